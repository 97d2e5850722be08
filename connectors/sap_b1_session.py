"""A Service Layer session: log in at first use, log in again once when it expires, log out at the end.

``POST /Login`` with CompanyDB, UserName and Password returns the session id
and its idle timeout in minutes, and sets the cookies ``B1SESSION`` (the
session id) and ``ROUTEID`` (the node behind SAP's load balancer). The httpx
client's cookie jar sends both back. The password and the session id are never
logged and never part of an error message, and hide_session_cookie_in_http_logs
keeps the session id out of the HTTP libraries' DEBUG logs as well.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from bot.errors import ConfigError
from bot.i18n import N_
from bot.ports import ErpUnavailable
from connectors.http import OutcomeUnknown, Retrying
from connectors.sap_b1_odata import is_session_invalid, parse_error, read_json

log = logging.getLogger(__name__)

CONNECTOR = "sap"

# httpcore's DEBUG traces show response headers, Set-Cookie with the session id included.
_HTTP_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpx")
_SESSION_COOKIE = re.compile(r"B1SESSION=[^;,'\"\s]+")


@dataclass(frozen=True)
class Credentials:
    """Login credentials, with the settings file they came from for naming in a ConfigError."""

    company_db: str
    username: str
    password: str = field(repr=False)
    password_variable: str
    source: object


class ServiceLayerSession:
    """Sends requests to the Service Layer inside a logged-in session.

    Requests go through ``retrying``, so timeouts and 5xx responses are retried
    as connectors.http describes, and a POST whose outcome is unknown raises
    OutcomeUnknown to the caller. Login is a POST as well, but logging in
    twice is harmless, so a login with an unknown outcome is simply repeated.
    """

    def __init__(self, client: httpx.Client, retrying: Retrying, credentials: Credentials, *, attempts: int,
                 backoff_seconds: float, sleep: Callable[[float], None] = time.sleep):
        self._client = client
        self._retrying = retrying
        self._credentials = credentials
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._logged_in = False
        hide_session_cookie_in_http_logs()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request in the session, logging in first if needed and once more if the session expired.

        Raises ConfigError when the Service Layer rejects the login,
        ErpUnavailable when it cannot be reached or rejects a fresh session,
        and OutcomeUnknown as Retrying does.
        """
        if not self._logged_in:
            self._login()

        response = self._retrying.request(method, url, **kwargs)
        if not is_session_invalid(response):
            return response

        log.info("Service Layer session expired or invalid (HTTP %d on %s %s); logging in again",
                 response.status_code, method, url_path(url))
        self._login()
        response = self._retrying.request(method, url, **kwargs)
        if is_session_invalid(response):
            error = parse_error(response)
            raise ErpUnavailable(CONNECTOR, f"the Service Layer rejected a new session on {method} {url_path(url)}: "
                                            f"HTTP {response.status_code}: {error.message}")
        return response

    def close(self) -> None:
        """Log out if logged in. A failed logout is only logged, because the session times out by itself."""
        if not self._logged_in:
            return

        self._logged_in = False
        try:
            response = self._retrying.request("POST", "Logout")
        except (OutcomeUnknown, ErpUnavailable) as exc:
            log.warning("Service Layer logout failed: %s; the session ends at its timeout", exc.reason)
        else:
            if response.status_code >= 400:
                log.warning("Service Layer logout failed: HTTP %d: %s; the session ends at its timeout",
                            response.status_code, parse_error(response).message)
            else:
                log.info("logged out of the Service Layer")
        self._client.cookies.clear()

    def _login(self) -> None:
        """Start a new session, repeating a login whose outcome is unknown with the same doubling pauses."""
        self._logged_in = False
        self._client.cookies.clear()
        credentials = self._credentials
        body = {"CompanyDB": credentials.company_db, "UserName": credentials.username,
                "Password": credentials.password}

        reason = ""
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._retrying.request("POST", "Login", json=body)
            except OutcomeUnknown as exc:
                reason = exc.reason
                if attempt < self._attempts:
                    wait = self._backoff_seconds * 2 ** (attempt - 1)
                    log.warning("Service Layer login: %s; attempt %d of %d, next in %.1f s", reason, attempt,
                                self._attempts, wait)
                    self._sleep(wait)
                continue
            self._accept_login(response)
            return

        log.error("Service Layer login failed: %s; giving up after %d attempts", reason, self._attempts)
        raise ErpUnavailable(CONNECTOR, f"login failed: {reason}")

    def _accept_login(self, response: httpx.Response) -> None:
        """Take the session of a successful login, or raise ConfigError naming the settings to check."""
        credentials = self._credentials
        if response.status_code == 404:
            log.error("Service Layer login failed: no Login endpoint at %s", response.url)
            raise ConfigError(credentials.source, N_("the Service Layer has no Login endpoint at {url}"),
                              location=N_("key {key}"), key="export.sap.base_url", url=str(response.url),
                              fix=N_("set export.sap.base_url to the Service Layer's address, which ends in "
                                     "/b1s/v1 or /b1s/v2"))
        if 400 <= response.status_code < 500:
            error = parse_error(response)
            log.error("Service Layer login as %s to company %s rejected: HTTP %d, code %s: %s",
                      credentials.username, credentials.company_db, response.status_code, error.code, error.message)
            raise ConfigError(credentials.source,
                              N_("SAP Business One rejected the login as {username} to company {company}: {reason}"),
                              location=N_("key {key}"), key="export.sap.username",
                              fix=N_("check export.sap.username and export.sap.company_db, and the password in "
                                     "{variable}"),
                              username=credentials.username, company=credentials.company_db, reason=error.message,
                              variable=credentials.password_variable)
        if response.status_code != 200:
            raise ErpUnavailable(CONNECTOR, f"unexpected HTTP {response.status_code} on POST Login")

        try:
            timeout = read_json(response).get("SessionTimeout")
        except ValueError:
            timeout = "unknown"
        self._logged_in = True
        log.info("logged in to the Service Layer as %s, company %s; idle timeout %s min", credentials.username,
                 credentials.company_db, timeout)


def url_path(url: str) -> str:
    """Return the URL without its query, which keeps log lines and messages short."""
    return url.split("?", 1)[0]


class _SessionCookieFilter(logging.Filter):
    """Replaces the value of the B1SESSION cookie in a log record with "<hidden>"."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "B1SESSION=" in message:
            record.msg = _SESSION_COOKIE.sub("B1SESSION=<hidden>", message)
            record.args = None
        return True


def hide_session_cookie_in_http_logs() -> None:
    """Add the cookie filter to the HTTP libraries' loggers, once per logger.

    A logger's filters see only the records logged on that logger, so each
    library logger that can show headers gets its own.
    """
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _SessionCookieFilter) for existing in logger.filters):
            logger.addFilter(_SessionCookieFilter())
