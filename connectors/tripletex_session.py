"""Requests to Tripletex's API v2 with a session token, and the API's error envelope.

Tripletex issues a session token for two others: the consumer token it
gave the integration and the employee token an administrator created
under "API access". ``PUT /token/session/:create`` takes both in its query
and needs no authorization header. Every other call sends HTTP Basic with
the company id as user name (0 for the employee's own company) and the
session token as password. The token lasts until the expiration date
requested, and Tripletex can end it earlier, so a 401 response creates a new
token once and repeats the request.

httpx logs the URL of every request at INFO level, and the create call
carries the tokens in its query, so `TokenQueryFilter` removes the query
from httpx's log records of that call.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable

import httpx

from bot.errors import ConfigError
from bot.i18n import N_
from connectors.http import Retrying

log = logging.getLogger(__name__)

SESSION_PATH = "/token/session/:create"

# NOTE: the API description does not say whether a token ends at the start or at the end of
# its expiration date. A token that expires tomorrow lasts at least until midnight either way.
SESSION_DAYS = 1
TOKEN_PARAMETERS = ("consumerToken", "employeeToken")


class TripletexApiError(Exception):
    """A 4xx response from Tripletex, other than 401 and 429.

    ``message`` is Tripletex's own message with its validation messages
    joined, ``field`` the first field it named, ``request_id`` the
    x-tlx-request-id that Tripletex support requests, and ``path`` the
    request's URL path without the query.
    """

    def __init__(self, status: int, message: str, field: str | None = None, request_id: str | None = None,
                 path: str = ""):
        self.status = status
        self.message = message
        self.field = field
        self.request_id = request_id
        self.path = path
        super().__init__(f"HTTP {status}: {message}")


class TripletexSession:
    """Sends requests to one Tripletex company with a session token that it creates and renews."""

    def __init__(self, retrying: Retrying, *, consumer_token: str, employee_token: str, company_id: int,
                 token_variables: tuple[str, str], today: Callable[[], date] = date.today):
        self.retrying = retrying
        self.company_id = company_id
        self._consumer_token = consumer_token
        self._employee_token = employee_token
        self._token_variables = token_variables
        self._today = today
        self._token: str | None = None
        _hide_token_queries()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request with the session's Basic auth and return the response.

        A 401 response creates a new session token and repeats the request once.
        Raises ConfigError when Tripletex rejects the new token too, and what
        ``Retrying.request`` raises (ErpUnavailable, OutcomeUnknown).
        """
        if self._token is None:
            self._token = self._create_token()
        response = self.retrying.request(method, path, auth=self._auth(), **kwargs)
        if response.status_code != 401:
            return response

        log.info("tripletex: session token for company %d rejected on %s %s; creating a new one",
                 self.company_id, method, path)
        self._token = self._create_token()
        response = self.retrying.request(method, path, auth=self._auth(), **kwargs)
        if response.status_code == 401:
            error = api_error(response)
            log.error("tripletex: new session token rejected on %s %s (request %s): %s", method, path,
                      error.request_id, error.message)
            raise ConfigError("Tripletex", N_("Tripletex rejected a new session token for company {company_id}: "
                                              "{reason}"),
                              fix=N_("check export.tripletex.company_id and the employee token's API access "
                                     "in Tripletex"),
                              company_id=self.company_id, reason=error.message)
        return response

    def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET a resource and return its JSON with numbers as Decimal. Raises TripletexApiError for a 4xx."""
        response = self.request("GET", path, params=params)
        if not response.is_success:
            raise api_error(response)
        return read_json(response)

    def _auth(self) -> httpx.BasicAuth:
        assert self._token is not None
        return httpx.BasicAuth(str(self.company_id), self._token)

    def _create_token(self) -> str:
        expiration = self._today() + timedelta(days=SESSION_DAYS)
        params = {"consumerToken": self._consumer_token, "employeeToken": self._employee_token,
                  "expirationDate": expiration.isoformat()}
        response = self.retrying.request("PUT", SESSION_PATH, params=params)

        if not response.is_success:
            error = api_error(response)
            consumer_variable, employee_variable = self._token_variables
            log.error("tripletex: session token request rejected (HTTP %d, request %s): %s", error.status,
                      error.request_id, error.message)
            raise ConfigError("Tripletex", N_("Tripletex rejected the session token request (HTTP {status}): "
                                              "{reason}"),
                              fix=N_("check the tokens in {consumer_variable} and {employee_variable}"),
                              status=error.status, reason=error.message, consumer_variable=consumer_variable,
                              employee_variable=employee_variable)

        log.info("tripletex: created a session token for company %d, valid until %s", self.company_id,
                 expiration.isoformat())
        return read_json(response)["value"]["token"]


def read_json(response: httpx.Response) -> Any:
    """Decode a JSON response with decimal numbers as Decimal, so amounts and VAT rates stay exact."""
    return json.loads(response.content, parse_float=Decimal)


def api_error(response: httpx.Response) -> TripletexApiError:
    """Read Tripletex's error envelope (status, code, message, validationMessages, requestId).

    A response without the envelope, such as a proxy's HTML page, gives its
    status and the start of its text.
    """
    request_id = response.headers.get("x-tlx-request-id")
    path = response.request.url.path
    try:
        envelope = read_json(response)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        return TripletexApiError(response.status_code, response.text[:200].strip() or response.reason_phrase,
                                 request_id=request_id, path=path)

    message = envelope.get("message") or response.reason_phrase
    validation = [item for item in envelope.get("validationMessages") or [] if isinstance(item, dict)]
    details = [f"{item.get('field')}: {item.get('message')}" if item.get("field") else str(item.get("message"))
               for item in validation]
    if details:
        message = f"{message} ({'; '.join(details)})"
    field = next((item["field"] for item in validation if item.get("field")), None)
    return TripletexApiError(response.status_code, message, field, envelope.get("requestId") or request_id, path)


class TokenQueryFilter(logging.Filter):
    """Removes the query from httpx's log records of URLs that carry a consumer or employee token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_token_query(arg) for arg in record.args)
        return True


def _without_token_query(arg: object) -> object:
    if isinstance(arg, httpx.URL) and any(name in arg.params for name in TOKEN_PARAMETERS):
        return arg.copy_with(query=None)
    return arg


def _hide_token_queries() -> None:
    # httpx logs through the logger "httpx" itself, so a filter there receives every request line.
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(existing, TokenQueryFilter) for existing in httpx_log.filters):
        httpx_log.addFilter(TokenQueryFilter())
