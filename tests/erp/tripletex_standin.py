"""A local stand-in for Tripletex's API v2 that tests start, drive and inspect.

TripletexStandIn is a real HTTP server on 127.0.0.1 with a port that the OS
chooses; `base_url` is what the connector's ``export.tripletex.base_url``
gets. It serves the operations listed in schemas/tripletex.json, an extract
of Tripletex's published OpenAPI description (version 2.70.19, see
schemas/README.md), and responds with Tripletex's envelopes: ``{"value": …}``
for one object, ``{"fullResultSize", "from", "count", "versionDigest",
"values"}`` for lists and ``{"status", "code", "message",
"developerMessage", "validationMessages", "requestId"}`` for errors, with
the status codes and error codes listed in that description. Every response
carries an ``x-tlx-request-id`` header.

It checks what Tripletex checks, as far as the API description and
Tripletex's developer FAQ state it:

- HTTP Basic auth with the company id and a session token that exists and
  has not expired (401, code 3000);
- declared and required query parameters and their types (422, code 21000);
- a voucher body against the Voucher definition: unknown fields (422, code
  16000), read-only fields, wrong types, and an id or version on the new
  object (422, code 15000);
- the voucher's rules: postings that sum to zero, rows from 1 that differ,
  dates as YYYY-MM-DD, referenced ids that exist (422, code 18000);
- the rules of each posting's account (422, code 18000): a supplier on an
  account whose ledgerType is VENDOR ("Leverandør mangler", as Tripletex's
  developer FAQ on ledger vouchers quotes it, and likewise a customer for
  CUSTOMER and an employee for EMPLOYEE), the account's vatType on a
  vatLocked account, and a department or project where the account's
  requiresDepartment or requiresProject is set. Apart from the three
  messages the FAQ quotes, the wording of these messages is the stand-in's.

Where it is stricter than Tripletex, it says so in the error message: it
rejects query parameters and filters that the operation does not declare or
that the stand-in does not implement, amounts with more than two decimals,
and a voucher listing whose dateTo is not after dateFrom. It does not
generate the VAT postings of row 0, and it accepts a posting without a
vatType on a vatLocked account, because whether Tripletex applies the
account's VAT type then or rejects the posting is not documented.

``fields`` selects nested fields as Tripletex does, such as
``postings(amountGross,account(number))``, and a reference named with
sub-fields is replaced by the referenced object.

``GET /ledger/voucher`` lists the vouchers dated from dateFrom up to but
excluding dateTo, as the API description says. Whether
``GET /ledger/voucher/>externalVoucherNumber`` finds vouchers created
through ``POST /ledger/voucher`` is not known, because the description
limits its parameter to vouchers "created from import". By default it finds
them, and `find_imported_vouchers_only` makes it find none of them.

Requests that break the schema are also kept in ``schema_violations``, and
responses of the stand-in that break the schema in ``response_violations``, so
a fixture can fail a test in which either list is not empty.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import itertools
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

log = logging.getLogger(__name__)

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "tripletex.json").read_text(encoding="utf-8"))
BASE_PATH = SCHEMA["basePath"]
ERROR_CODES = SCHEMA["errorCodes"]

# Start bytes of the attachment formats Tripletex accepts: PDF, PNG, JPEG and TIFF.
DOCUMENT_SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
                       b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff"}

TOKEN_PARAMETERS = ("consumerToken", "employeeToken")

# Filters the stand-in implements per list, as (field, match). "list" matches any of
# comma-separated values, "containing" a part of the text, ignoring case, and "from date"
# and "before date" a date on or after the value and a date before it.
FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "/ledger/account": {"id": ("id", "list"), "number": ("number", "list"), "isInactive": ("isInactive", "bool")},
    "/supplier": {"id": ("id", "list"), "supplierNumber": ("supplierNumber", "list")},
    "/ledger/vatType": {"id": ("id", "list"), "number": ("number", "list")},
    "/department": {"id": ("id", "list"), "name": ("name", "containing"),
                    "departmentNumber": ("departmentNumber", "containing"), "isInactive": ("isInactive", "bool")},
    "/project": {"id": ("id", "list"), "name": ("name", "containing"), "number": ("number", "equals"),
                 "isClosed": ("isClosed", "bool")},
    "/currency": {"id": ("id", "list"), "code": ("code", "list")},
    "/ledger/voucherType": {"name": ("name", "containing")},
    "/ledger/voucher": {"dateFrom": ("date", "from date"), "dateTo": ("date", "before date")},
    "/ledger/voucher/>externalVoucherNumber": {"externalVoucherNumber": ("externalVoucherNumber", "equals")},
}
PAGING_PARAMETERS = {"from", "count", "fields", "sorting"}

# The lists whose entries are the vouchers in TripletexStandIn.vouchers rather than a register of their own.
VOUCHER_LISTS = ("/ledger/voucher", "/ledger/voucher/>externalVoucherNumber")

# The register that a reference field of a stored object points into.
REFERENCES = {"account": "/ledger/account", "vatType": "/ledger/vatType", "department": "/department",
              "project": "/project", "currency": "/currency", "voucherType": "/ledger/voucherType",
              "supplier": "/supplier"}

# What a posting on an account of each ledger type must name, and the message Tripletex's developer FAQ
# quotes for a posting without it. GENERAL and ASSET accounts need none of them.
LEDGER_PARTIES = {"VENDOR": ("supplier", "Leverandør mangler"), "CUSTOMER": ("customer", "Kunde mangler"),
                  "EMPLOYEE": ("employee", "Ansatt mangler")}

# How long a voucher POST held with `book_next_voucher_post_late` waits for its release at most.
HOLD_LIMIT_SECONDS = 10.0


@dataclass(frozen=True)
class Call:
    """One request that reached the stand-in. ``query`` has token values replaced by "***"."""

    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass(frozen=True)
class Attachment:
    file_name: str
    media_type: str
    content: bytes


@dataclass
class Fault:
    """A response the stand-in sends instead of the real one, ``remaining`` more times."""

    method: str
    path: str
    status: int
    remaining: int
    skip: int = 0
    retry_after: float | None = None
    reset_seconds: int = 0


@dataclass
class HeldPost:
    """A voucher POST that waits for ``release`` before it is booked, and sets ``finished`` after.

    ``skip`` is the number of voucher POSTs to serve normally before the one that waits.
    """

    skip: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    started: bool = False


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ApiFailure(Exception):
    """A request the stand-in rejects, turned into Tripletex's error envelope."""

    def __init__(self, status: int, code: int | None, message: str, validation: Iterable[tuple[str, str]] = (),
                 headers: dict[str, str] | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.validation = list(validation)
        self.headers = headers or {}
        super().__init__(message)


class TripletexStandIn:
    """Tripletex's API for one company, with its registers, vouchers and the faults a test injects."""

    def __init__(self, *, consumer_token: str, employee_token: str, company_id: int = 0,
                 company_currency: str = "NOK", today: Callable[[], date] = date.today):
        self.consumer_token = consumer_token
        self.employee_token = employee_token
        self.company_id = company_id
        self.today = today
        self._ids = itertools.count(10001)
        self._voucher_numbers = itertools.count(1)
        self._lock = threading.Lock()

        self.sessions: dict[str, date] = {}        # session token -> expiration date
        self.expired: set[str] = set()
        self.registers: dict[str, dict[int, dict[str, Any]]] = {path: {} for path in FILTERS
                                                                 if path not in VOUCHER_LISTS}
        self.vouchers: dict[int, dict[str, Any]] = {}    # the booked vouchers by id, with amounts as Decimal
        self.attachments: dict[int, list[Attachment]] = {}
        self.calls: list[Call] = []
        self.schema_violations: list[str] = []
        self.response_violations: list[str] = []

        self._faults: list[Fault] = []
        self._stall_seconds = 0.0
        self._held_post: HeldPost | None = None
        self._imported_only = False
        self._rejected_accounts: dict[int, str] = {}

        self.company_currency_id = self.add_currency(company_currency)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Registers -----------------------------------------------------------------------------------

    def add_account(self, number: int, name: str, *, inactive: bool = False, ledger_type: str = "GENERAL",
                    vat_type: int | None = None, vat_locked: bool = False, requires_department: bool = False,
                    requires_project: bool = False) -> int:
        """Add an account. ``vat_type`` is the id of its default VAT type, which ``vat_locked`` makes the only one."""
        account: dict[str, Any] = {"number": number, "name": name, "isInactive": inactive, "ledgerType": ledger_type,
                                   "vatLocked": vat_locked, "requiresDepartment": requires_department,
                                   "requiresProject": requires_project}
        if vat_type is not None:
            account["vatType"] = {"id": vat_type}
        return self._add("/ledger/account", account)

    def add_vat_type(self, number: str, name: str, percentage: str) -> int:
        return self._add("/ledger/vatType", {"number": number, "name": name, "percentage": Decimal(percentage)})

    def add_department(self, number: str, name: str, *, inactive: bool = False) -> int:
        return self._add("/department", {"departmentNumber": number, "name": name, "isInactive": inactive})

    def add_project(self, number: str, name: str, *, closed: bool = False) -> int:
        return self._add("/project", {"number": number, "name": name, "isClosed": closed})

    def add_currency(self, code: str) -> int:
        return self._add("/currency", {"code": code})

    def add_voucher_type(self, name: str) -> int:
        return self._add("/ledger/voucherType", {"name": name})

    def add_supplier(self, number: int, name: str) -> int:
        return self._add("/supplier", {"supplierNumber": number, "name": name})

    def _add(self, path: str, entry: dict[str, Any]) -> int:
        entry_id = next(self._ids)
        self.registers[path][entry_id] = {"id": entry_id, "version": 0, **entry}
        return entry_id

    # --- Faults --------------------------------------------------------------------------------------

    def fail_next(self, method: str, path: str, *, status: int = 500, times: int = 1, after: int = 0) -> None:
        """Respond with ``status`` to ``times`` requests to ``path``, after ``after`` normal responses.

        ``path`` is an operation path of the schema, such as /ledger/voucher
        or /ledger/voucher/{voucherId}/attachment. A 503 comes without a body,
        as from a gateway, and other statuses with Tripletex's envelope.
        """
        self._faults.append(Fault(method.upper(), path, status, times, skip=after))

    def rate_limit_next(self, method: str, path: str, *, reset_seconds: int, retry_after: float | None = None,
                        times: int = 1) -> None:
        """Respond with 429 to the next ``times`` requests to ``path``.

        The response carries the rate-limit headers of the API description, with
        X-Rate-Limit-Reset (the seconds left in the period) set to
        ``reset_seconds``, and a Retry-After header when ``retry_after`` is given.
        """
        self._faults.append(Fault(method.upper(), path, 429, times, retry_after=retry_after,
                                  reset_seconds=reset_seconds))

    def stall_next_voucher_post(self, seconds: float) -> None:
        """Book the next valid voucher, then wait ``seconds`` before responding, past the client's timeout."""
        self._stall_seconds = seconds

    def book_next_voucher_post_late(self, *, after: int = 0) -> None:
        """Hold a voucher POST unbooked until `release_late_booking`, then book it.

        The POST held is the first one after ``after`` voucher POSTs. Other
        requests are served meanwhile, so a lookup made while the POST is
        held does not find the voucher, as with a Tripletex that books a
        request after the client gave up on it. A POST held longer than
        HOLD_LIMIT_SECONDS is booked then.
        """
        self._held_post = HeldPost(skip=after)

    def release_late_booking(self, timeout: float = 5.0) -> None:
        """Let the held voucher POST go on, and return once it is booked or rejected."""
        assert self._held_post is not None, "book_next_voucher_post_late() first"
        self._held_post.release.set()
        if not self._held_post.finished.wait(timeout):
            raise TimeoutError(f"the held voucher POST did not finish within {timeout} s")

    def expire_sessions(self) -> None:
        """End every session token issued so far, as Tripletex does when a session expires."""
        self.expired.update(self.sessions)

    def reject_account(self, account_id: int, message: str) -> None:
        """Reject every voucher with a posting on this account with 422 and ``message``."""
        self._rejected_accounts[account_id] = message

    def find_imported_vouchers_only(self) -> None:
        """Make ``>externalVoucherNumber`` find only vouchers created from import, as its description may mean.

        The stand-in creates vouchers through ``POST /ledger/voucher`` only,
        so the lookup then finds none. ``GET /ledger/voucher`` still lists them.
        """
        self._imported_only = True

    # --- Server --------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        # shutdown() waits for the next poll, so a short poll interval lets stop() return quickly.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="tripletex-standin", daemon=True)
        self._thread.start()
        log.info("tripletex stand-in listening at %s", self.base_url)

    def stop(self) -> None:
        if self._server is None:
            return
        if self._held_post is not None:
            self._held_post.release.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        log.info("tripletex stand-in stopped")
        self._server = None

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [call for call in self.calls if call.method == method.upper() and call.path == path]

    # --- Request handling ----------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        """Build the response to one request. The HTTP handler thread calls it."""
        request_id = str(uuid.uuid4())
        url = urlsplit(target)
        path = unquote(url.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))

        hold = self._take_held_post(method, path)
        if hold is not None:
            # Outside the lock, so that the client's lookups are served while this request waits.
            hold.release.wait(HOLD_LIMIT_SECONDS)

        with self._lock:
            try:
                reply = self._dispatch(method, path, query, headers, body)
            except ApiFailure as failure:
                reply = Reply(failure.status, _envelope(failure, request_id), failure.headers)

            reply.headers["x-tlx-request-id"] = request_id
            shown = {name: "***" if name in TOKEN_PARAMETERS else value for name, value in query.items()}
            self.calls.append(Call(method, path.removeprefix(BASE_PATH), shown, reply.status))

        if hold is not None:
            hold.finished.set()
        log.debug("tripletex stand-in: %s %s -> %d", method, path, reply.status)
        return reply

    def _take_held_post(self, method: str, path: str) -> HeldPost | None:
        """Return the hold that this request is the first voucher POST for, None for any other request."""
        with self._lock:
            hold = self._held_post
            if method != "POST" or path != BASE_PATH + "/ledger/voucher" or hold is None or hold.started:
                return None
            if hold.skip > 0:
                hold.skip -= 1
                return None
            hold.started = True
            return hold

    def _dispatch(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply:
        if not path.startswith(BASE_PATH + "/"):
            raise ApiFailure(404, 6000, f"Not found: {path}")
        template, path_values = _route(method.lower(), path.removeprefix(BASE_PATH))
        operation = SCHEMA["paths"][template][method.lower()]

        fault = self._take_fault(method, template)
        if fault is not None:
            return fault

        if template != "/token/session/:create":
            self._authenticate(headers.get("Authorization", ""))
        _check_query(operation, query)

        if template == "/token/session/:create":
            reply = self._create_session(query)
        elif template == "/ledger/voucher" and method == "POST":
            reply = self._post_voucher(body)
        elif template == "/ledger/voucher/{voucherId}/attachment":
            reply = self._post_attachment(int(path_values["voucherId"]), headers.get("Content-Type", ""), body)
        elif template == "/ledger/voucher/{id}":
            reply = self._get_voucher(path_values["id"], query)
        else:
            reply = Reply(200, self._list(template, query))

        self._check_response(method, template, operation, reply)
        return reply

    def _take_fault(self, method: str, template: str) -> Reply | None:
        for fault in self._faults:
            if fault.method != method or fault.path != template or fault.remaining == 0:
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            fault.remaining -= 1
            if fault.status == 429:
                headers = {"X-Rate-Limit-Limit": "100", "X-Rate-Limit-Remaining": "0",
                           "X-Rate-Limit-Reset": str(fault.reset_seconds)}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                raise ApiFailure(429, None, "Too many requests", headers=headers)
            if fault.status == 503:
                # A gateway in front of the API responds 503 without Tripletex's envelope.
                return Reply(503, None, {"Content-Type": "text/plain"})
            listed_code = min(map(int, ERROR_CODES.get(str(fault.status)) or {"1000": ""}))
            raise ApiFailure(fault.status, listed_code, "Injected failure")
        return None

    def _authenticate(self, authorization: str) -> None:
        scheme, _, encoded = authorization.partition(" ")
        try:
            user, _, token = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, token = "", ""
        if scheme != "Basic" or not token:
            raise ApiFailure(401, 3000, "Authorization header with Basic auth missing")
        # "0" or an empty user name is the employee's own company.
        companies = {str(self.company_id)} | ({"", "0"} if self.company_id == 0 else set())
        if user not in companies:
            raise ApiFailure(401, 3000, f"No access to company {user}")
        expiration = self.sessions.get(token)
        if expiration is None or token in self.expired or expiration <= self.today():
            raise ApiFailure(401, 3000, "The session token is invalid or has expired")

    def _create_session(self, query: dict[str, str]) -> Reply:
        if query["consumerToken"] != self.consumer_token or query["employeeToken"] != self.employee_token:
            # NOTE: the status Tripletex returns for unknown tokens is not documented, so 403 is a guess.
            raise ApiFailure(403, 9000, "Invalid consumer token or employee token")
        expiration = _date(query["expirationDate"])
        if expiration is None or expiration <= self.today():
            raise ApiFailure(422, 15000, "Validation failed",
                             [("expirationDate", "must be a date after today, as YYYY-MM-DD")])

        token = secrets.token_urlsafe(24)
        self.sessions[token] = expiration
        value = {"id": next(self._ids), "version": 0, "token": token, "expirationDate": expiration.isoformat()}
        return Reply(200, {"value": value})

    def _list(self, template: str, query: dict[str, str]) -> dict[str, Any]:
        filters = FILTERS[template]
        entries = self._entries(template, query)
        for name, value in query.items():
            if name in PAGING_PARAMETERS:
                continue
            if name not in filters:
                raise ApiFailure(422, 21000, f"The stand-in does not implement the filter {name}", [(name, "unsupported")])
            entries = [entry for entry in entries if _matches(entry, *filters[name], value)]

        start = int(query.get("from", 0))
        count = int(query.get("count", 1000))
        selection = _parse_fields(query.get("fields", "*"))
        page = [self._select(entry, selection) for entry in entries[start:start + count]]
        digest = hashlib.sha256(json.dumps(entries, default=str, sort_keys=True).encode()).hexdigest()
        return {"fullResultSize": len(entries), "from": start, "count": len(page),
                "versionDigest": digest if entries else None, "values": page}

    def _get_voucher(self, voucher_id: str, query: dict[str, str]) -> Reply:
        if not re.fullmatch(r"\d+", voucher_id):
            raise ApiFailure(400, 12000, "Invalid path parameter", [("id", "expected an integer")])
        voucher = self.vouchers.get(int(voucher_id))
        if voucher is None:
            raise ApiFailure(404, 6000, f"Object not found: voucher {voucher_id}")
        return Reply(200, {"value": self._select(voucher, _parse_fields(query.get("fields", "*")))})

    def _select(self, entry: dict[str, Any], selection: dict[str, Any]) -> dict[str, Any]:
        """Keep the fields of ``selection``, which `_parse_fields` reads.

        A reference whose sub-fields are selected is replaced by the object it points to.
        """
        if "*" in selection:
            return dict(entry)
        selected = {}
        for name, sub_selection in selection.items():
            if name not in entry:
                continue
            value = entry[name]
            if sub_selection is None or value is None:
                selected[name] = value
            elif isinstance(value, list):
                selected[name] = [self._select(self._referenced(name, item), sub_selection) for item in value]
            else:
                selected[name] = self._select(self._referenced(name, value), sub_selection)
        return selected

    def _referenced(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        """Return the object that a reference such as ``{"id": 10004}`` in field ``name`` points to."""
        register = self.registers.get(REFERENCES.get(name, ""), {})
        return register.get(value.get("id"), value)

    def _entries(self, template: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Return every entry of a list, before its filters."""
        if template == "/ledger/voucher":
            _check_period(query)
        if template == "/ledger/voucher/>externalVoucherNumber" and self._imported_only:
            return []
        if template in VOUCHER_LISTS:
            return list(self.vouchers.values())
        return list(self.registers[template].values())

    def _post_voucher(self, body: bytes) -> Reply:
        try:
            voucher = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            raise ApiFailure(422, 22000, f"Invalid JSON: {exc}") from None
        if not isinstance(voucher, dict):
            raise ApiFailure(422, 22000, "The body must be a JSON object")

        self._check_schema(voucher)
        self._check_voucher_rules(voucher)

        voucher_id = next(self._ids)
        stored = copy.deepcopy(voucher)
        stored.update(id=voucher_id, version=0, url=f"tripletex.no/v2/ledger/voucher/{voucher_id}",
                      number=next(self._voucher_numbers), year=_date(voucher["date"]).year)
        for posting in stored["postings"]:
            posting.update(id=next(self._ids), version=0)
        self.vouchers[voucher_id] = stored

        delay, self._stall_seconds = self._stall_seconds, 0.0
        return Reply(200, {"value": stored}, delay=delay)

    def _post_attachment(self, voucher_id: int, content_type: str, body: bytes) -> Reply:
        if voucher_id not in self.vouchers:
            raise ApiFailure(404, 6000, f"Voucher {voucher_id} not found")
        if not content_type.startswith("multipart/form-data"):
            raise ApiFailure(422, 16000, "Expected multipart/form-data", [("file", "missing")])

        form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        files = [part for part in form.iter_parts()
                 if part.get_param("name", header="content-disposition") == "file"]
        if len(files) != 1:
            raise ApiFailure(422, 21000, "Validation failed", [("file", "exactly one form field 'file' is required")])

        content = files[0].get_payload(decode=True)
        media_type = next((kind for signature, kind in DOCUMENT_SIGNATURES.items() if content.startswith(signature)),
                          None)
        if media_type is None:
            raise ApiFailure(422, 15000, "Validation failed", [("file", "valid document formats are PDF, PNG, JPEG "
                                                                         "and TIFF")])
        self.attachments.setdefault(voucher_id, []).append(
            Attachment(files[0].get_filename() or "", media_type, content))
        return Reply(200, {"value": self.vouchers[voucher_id]})

    # --- Checks --------------------------------------------------------------------------------------

    def _check_schema(self, voucher: dict[str, Any]) -> None:
        """Validate a new voucher against the Voucher definition as Tripletex reads it."""
        messages: list[tuple[int, str, str]] = []
        for name in ("id", "version"):
            if name in voucher:
                messages.append((15000, name, "ID and version cannot be set when creating an object"))
        for error in sorted(VOUCHER_VALIDATOR.iter_errors(voucher), key=lambda error: list(error.absolute_path)):
            messages.extend(_schema_messages(error))
        if not messages:
            return

        self.schema_violations.extend(f"POST /ledger/voucher: {name}: {text}" for _, name, text in messages)
        code = 16000 if any(code == 16000 for code, _, _ in messages) else 15000
        raise ApiFailure(422, code, "Validation failed", [(name, text) for _, name, text in messages])

    def _check_voucher_rules(self, voucher: dict[str, Any]) -> None:
        problems: list[tuple[str, str]] = []
        if _date(voucher["date"]) is None:
            problems.append(("date", "must be a date as YYYY-MM-DD"))
        problems += self._missing_reference("voucherType", voucher.get("voucherType"), "/ledger/voucherType")

        postings = voucher["postings"]
        if not postings:
            problems.append(("postings", "the voucher has no postings"))
        rows = [posting.get("row") for posting in postings]
        total = Decimal("0")
        for index, posting in enumerate(postings):
            name = f"postings[{index}]"
            if posting.get("row") is None or posting["row"] < 1:
                problems.append((f"{name}.row", "rows start at 1; row 0 is reserved for postings Tripletex generates"))
            elif rows.count(posting["row"]) > 1:
                problems.append((f"{name}.row", f"row {posting['row']} is used twice"))
            if "date" in posting and _date(posting["date"]) is None:
                problems.append((f"{name}.date", "must be a date as YYYY-MM-DD"))
            if "account" not in posting:
                problems.append((f"{name}.account", "the account is missing"))
            problems += self._missing_reference(f"{name}.account", posting.get("account"), "/ledger/account")
            problems += self._missing_reference(f"{name}.vatType", posting.get("vatType"), "/ledger/vatType")
            problems += self._missing_reference(f"{name}.department", posting.get("department"), "/department")
            problems += self._missing_reference(f"{name}.project", posting.get("project"), "/project")
            problems += self._missing_reference(f"{name}.currency", posting.get("currency"), "/currency")
            problems += self._missing_reference(f"{name}.supplier", posting.get("supplier"), "/supplier")
            problems += self._account_rule_problems(name, posting)

            gross = posting.get("amountGross")
            if gross is None:
                problems.append((f"{name}.amountGross", "the gross amount is missing"))
                continue
            gross = Decimal(gross)
            total += gross
            if gross != gross.quantize(Decimal("0.01")):
                problems.append((f"{name}.amountGross", "the stand-in takes at most two decimals"))
            currency_id = (posting.get("currency") or {}).get("id", self.company_currency_id)
            in_currency = posting.get("amountGrossCurrency")
            if currency_id == self.company_currency_id and in_currency is not None and Decimal(in_currency) != gross:
                problems.append((f"{name}.amountGrossCurrency",
                                 "must equal amountGross for a posting in the company currency"))

            account_id = (posting.get("account") or {}).get("id")
            if account_id in self._rejected_accounts:
                problems.append((f"{name}.account", self._rejected_accounts[account_id]))

        if total != 0:
            problems.append(("postings", f"the postings do not balance: they sum to {total}"))
        if problems:
            raise ApiFailure(422, 18000, "Validation failed", problems)

    def _account_rule_problems(self, name: str, posting: dict[str, Any]) -> list[tuple[str, str]]:
        """Check a posting against its account's ledgerType, vatLocked, requiresDepartment and requiresProject."""
        account = self.registers["/ledger/account"].get((posting.get("account") or {}).get("id"))
        if account is None:
            return []

        problems = []
        party = LEDGER_PARTIES.get(account["ledgerType"])
        if party is not None and party[0] not in posting:
            field_name, message = party
            problems.append((f"{name}.{field_name}", message))

        locked = account.get("vatType") if account["vatLocked"] else None
        sent = posting.get("vatType")
        if locked is not None and sent is not None and sent.get("id") != locked["id"]:
            number = self.registers["/ledger/vatType"][locked["id"]]["number"]
            problems.append((f"{name}.vatType", f"account {account['number']} is locked to VAT type {number}"))

        if account["requiresDepartment"] and "department" not in posting:
            problems.append((f"{name}.department", f"account {account['number']} requires a department"))
        if account["requiresProject"] and "project" not in posting:
            problems.append((f"{name}.project", f"account {account['number']} requires a project"))
        return problems

    def _missing_reference(self, name: str, reference: Any, path: str) -> list[tuple[str, str]]:
        if reference is None:
            return []
        if "id" not in reference:
            return [(name, "refer to an existing object by its id")]
        if reference["id"] not in self.registers[path]:
            return [(name, f"Object not found: id {reference['id']}")]
        return []

    def _check_response(self, method: str, template: str, operation: dict[str, Any], reply: Reply) -> None:
        schema = operation["responses"].get("200", {}).get("schema")
        if schema is None or reply.status != 200:
            return
        validator = Draft202012Validator({**schema, "definitions": RESPONSE_DEFINITIONS})
        for error in validator.iter_errors(reply.body):
            self.response_violations.append(f"{method} {template}: {_field(error.absolute_path)}: {error.message}")


# --- Schema ------------------------------------------------------------------------------------------

def _read_only(validator: Any, value: bool, instance: Any, schema: dict[str, Any]) -> Iterable[ValidationError]:
    if value:
        yield ValidationError("the field is read-only")


# Draft 2020-12 applies keywords beside a $ref, which Swagger 2.0 uses for readOnly references.
RequestValidator = extend(Draft202012Validator, {"readOnly": _read_only})


def _reference_definitions(definitions: dict[str, Any], *, request: bool) -> dict[str, Any]:
    """Return the definitions as nested objects are checked: without required fields, since a reference needs only an id.

    Tripletex's developer FAQ states that the required fields of a sub-object apply
    only when that object is created. For a ``request``, every object that
    lists its properties gets additionalProperties: false, so unknown fields
    fail. In a response, every property may be null, which Swagger 2.0 cannot
    express but Tripletex's responses contain (versionDigest of an empty list, an
    account without a currency).
    """
    def convert(schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        converted = {}
        for key, value in schema.items():
            if key == "required":
                continue
            if key == "properties":
                converted[key] = {name: property_schema(sub_schema) for name, sub_schema in value.items()}
            elif key in ("items", "additionalProperties"):
                converted[key] = convert(value)
            else:
                converted[key] = value
        if request and "properties" in schema and "additionalProperties" not in schema:
            converted["additionalProperties"] = False
        return converted

    def property_schema(schema: Any) -> Any:
        return convert(schema) if request else {"anyOf": [{"type": "null"}, convert(schema)]}

    return {name: convert(definition) for name, definition in definitions.items()}


def _voucher_validator() -> Draft202012Validator:
    definitions = _reference_definitions(SCHEMA["definitions"], request=True)
    root = copy.deepcopy(definitions["Voucher"])
    root["required"] = SCHEMA["definitions"]["Voucher"]["required"]
    root["definitions"] = definitions
    return RequestValidator(root)


VOUCHER_VALIDATOR = _voucher_validator()
RESPONSE_DEFINITIONS = _reference_definitions(SCHEMA["definitions"], request=False)


def _schema_messages(error: ValidationError) -> list[tuple[int, str, str]]:
    name = _field(error.absolute_path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [(16000, _join(name, key), "the field does not exist in the object") for key in unknown]
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return [(15000, _join(name, key), "the field is required") for key in missing]
    return [(15000, name, error.message)]


def _route(method: str, path: str) -> tuple[str, dict[str, str]]:
    # Templates without placeholders first, so /ledger/voucher/>externalVoucherNumber is not read as
    # /ledger/voucher/{id}.
    for template, operations in sorted(SCHEMA["paths"].items(), key=lambda item: "{" in item[0]):
        if method not in operations:
            continue
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        match = re.match(pattern, path)
        if match:
            return template, match.groupdict()
    raise ApiFailure(404, 6000, f"The stand-in does not serve {method.upper()} {path}")


def _check_query(operation: dict[str, Any], query: dict[str, str]) -> None:
    declared = {parameter["name"]: parameter for parameter in operation["parameters"] if parameter["in"] == "query"}
    problems = []
    for name, parameter in declared.items():
        if parameter.get("required") and name not in query:
            problems.append((name, "the parameter is required"))
    for name, value in query.items():
        parameter = declared.get(name)
        if parameter is None:
            problems.append((name, "the operation does not declare this parameter (the stand-in rejects it)"))
        elif parameter.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
            problems.append((name, "expected an integer"))
        elif parameter.get("type") == "boolean" and value not in ("true", "false"):
            problems.append((name, "expected true or false"))
    if problems:
        raise ApiFailure(422, 21000, "Invalid query parameters", problems)


def _check_period(query: dict[str, str]) -> None:
    """Reject a voucher listing whose dateFrom or dateTo is not a date, or whose dateTo is not after dateFrom."""
    problems = [(name, "must be a date as YYYY-MM-DD") for name in ("dateFrom", "dateTo") if _date(query[name]) is None]
    if not problems and _date(query["dateTo"]) <= _date(query["dateFrom"]):
        problems.append(("dateTo", "must be after dateFrom, because dateTo is excluded (the stand-in rejects an "
                                   "empty range)"))
    if problems:
        raise ApiFailure(422, 21000, "Invalid query parameters", problems)


def _matches(entry: dict[str, Any], field_name: str, match: str, value: str) -> bool:
    actual = entry.get(field_name)
    if match == "list":
        return str(actual) in value.split(",")
    if match == "containing":
        return value.casefold() in str(actual or "").casefold()
    if match == "bool":
        return bool(actual) == (value == "true")
    if match == "from date":
        return _date(actual) >= _date(value)
    if match == "before date":
        return _date(actual) < _date(value)
    return str(actual) == value


def _parse_fields(fields: str) -> dict[str, Any]:
    """Read a ``fields`` pattern such as ``id,postings(row,account(number))`` into {name: sub-selection or None}."""
    selection: dict[str, Any] = {}
    enclosing: list[dict[str, Any]] = []
    current = selection
    name = ""
    for char in fields + ",":
        if char not in ",()":
            name += char
            continue

        name = name.strip()
        if char == "(":
            current[name] = {}
            enclosing.append(current)
            current = current[name]
        elif name:
            current.setdefault(name, None)
        if char == ")":
            if not enclosing:
                raise ApiFailure(400, 11000, "Illegal field filter: unbalanced brackets", [("fields", fields)])
            current = enclosing.pop()
        name = ""

    if enclosing:
        raise ApiFailure(400, 11000, "Illegal field filter: unbalanced brackets", [("fields", fields)])
    return selection


def _envelope(failure: ApiFailure, request_id: str) -> dict[str, Any]:
    return {
        "status": failure.status,
        "code": failure.code,
        "message": failure.message,
        "link": None,
        "developerMessage": ERROR_CODES.get(str(failure.status), {}).get(str(failure.code)),
        "validationMessages": [{"field": name, "message": text} for name, text in failure.validation] or None,
        "requestId": request_id,
    }


def _date(text: Any) -> date | None:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _field(path: Iterable[Any]) -> str:
    name = ""
    for part in path:
        name = f"{name}[{part}]" if isinstance(part, int) else _join(name, part)
    return name


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class _DecimalEncoder(json.JSONEncoder):
    def default(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        return super().default(value)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: TripletexStandIn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes. With Nagle's algorithm on, each response
    # waited for the client's delayed ACK, which made these tests about ten times slower.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.standin.handle(method, self.path, self.headers, body)
        if reply.delay:
            time.sleep(reply.delay)

        payload = b"" if reply.body is None else json.dumps(reply.body, cls=_DecimalEncoder).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("tripletex stand-in: the client closed the connection before the response")

    def log_message(self, format: str, *args: Any) -> None:
        # handle() logs each request without its query, which may hold tokens.
        pass
