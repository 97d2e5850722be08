"""A local stand-in for the SAP Business One Service Layer that tests start, drive and inspect.

SapB1StandIn is a real HTTP server (HTTPS when given a server SSL context) on
127.0.0.1 with a port the OS chooses, serving ``/b1s/v1`` and ``/b1s/v2``:

- ``POST /Login`` checks the body against the Login schema in
  schemas/sap_b1.json and the credentials, returns SessionId and
  SessionTimeout and sets the cookies B1SESSION and ROUTEID.
  ``POST /Logout`` ends the session.
- Every other request needs both cookies of a live session, else HTTP 401
  with code 301, "Invalid session or session already timeout.".
- ``POST /JournalEntries`` checks the body against the JournalEntry schema.
  Then it checks that texts fit their length in UTF-16 code units, because
  SAP's nvarchar columns count an emoji as 2 and JSON Schema's maxLength as 1.
  It checks that amounts have at most two decimals (stricter than SAP, to
  catch rounding bugs), that the lines balance exactly, and that every
  AccountCode, ShortName, CostingCode, ProjectCode and TaxGroup exists and may
  be used. It books the entry with the next JdtNum and responds 201 with the
  entry.
- ``GET`` of JournalEntries (``$filter`` of ``Reference eq '…'`` terms joined
  with ``or``, ``$select``), ChartOfAccounts, ProfitCenters, Projects and
  VatGroups (``$select``) returns ``page_size`` rows a page with a next-page
  link after every full page, as the Service Layer does. A journal entry's
  lines come back with both Debit and Credit, the unused one as 0.

A path outside ``/b1s/v1`` and ``/b1s/v2`` gets 404. Errors come in the
Service Layer's shape of the version in the path (see connectors.sap_b1_odata).
The codes and wording of the stand-in's own validation errors are its own, not
SAP's.

Fault injection: ``fail`` responds to the next matching requests with an
error status, ``stall_after_booking`` books an entry and then delays the
response past the client's timeout, ``hold_next_entry`` keeps an entry
unbooked until the test calls ``book_held_entry``, after the client gave up,
``expire_sessions`` ends every session (now or at a given request), and
``reject_account`` makes postings to an account fail. ``book`` adds an entry
as another client of the same company would.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

log = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sap_b1.json"

ROUTE_ID = ".node1"
SESSION_TIMEOUT_MINUTES = 30
FIRST_JDT_NUM = 101

# Stand-in error codes. The session code is SAP's, and the others are the stand-in's choice.
SESSION_INVALID = (301, "Invalid session or session already timeout.")
LOGIN_FAILED = -304
INVALID_PROPERTY = -1000
INVALID_VALUE = -5002
VALUE_TOO_LONG = -5003
SERVER_ERROR = -1

# How long a held journal entry waits for book_held_entry before it is booked anyway.
HOLD_LIMIT_SECONDS = 30.0

_ENTITIES = {"JournalEntries": "JournalEntry", "ChartOfAccounts": "ChartOfAccount", "ProfitCenters": "ProfitCenter",
             "Projects": "Project", "VatGroups": "VatGroup"}
_REFERENCE_TERM = r"Reference eq '((?:[^']|'')*)'"
_REFERENCE_FILTER = re.compile(rf"{_REFERENCE_TERM}(?: or {_REFERENCE_TERM})*")


@dataclass
class Company:
    """The master data of the stand-in's company, as rows in the Service Layer's property names."""

    accounts: list[dict[str, Any]]
    profit_centers: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    vat_groups: list[dict[str, Any]]


def norwegian_company() -> Company:
    """Return a small Norwegian chart with two dimensions, projects and VAT groups with dated rates."""
    return Company(
        accounts=[
            {"Code": "1000", "Name": "Eiendeler", "ActiveAccount": "tNO", "FrozenFor": "tNO"},
            {"Code": "2400", "Name": "Leverandørgjeld kort", "ActiveAccount": "tYES", "FrozenFor": "tNO"},
            {"Code": "2710", "Name": "Inngående mva høy sats", "ActiveAccount": "tYES", "FrozenFor": "tNO"},
            {"Code": "2711", "Name": "Inngående mva middels sats", "ActiveAccount": "tYES", "FrozenFor": "tNO"},
            {"Code": "6540", "Name": "Inventar", "ActiveAccount": "tYES", "FrozenFor": "tNO"},
            {"Code": "6800", "Name": "Kontorrekvisita", "ActiveAccount": "tYES", "FrozenFor": "tNO"},
            {"Code": "7140", "Name": "Reisekostnad", "ActiveAccount": "tYES", "FrozenFor": "tYES"},
        ],
        profit_centers=[
            {"CenterCode": "100", "CenterName": "Administrasjon", "Active": "tYES", "InWhichDimension": 1},
            {"CenterCode": "200", "CenterName": "Salg", "Active": "tYES", "InWhichDimension": 1},
            {"CenterCode": "300", "CenterName": "Nedlagt", "Active": "tNO", "InWhichDimension": 1},
            {"CenterCode": "OSLO", "CenterName": "Oslo", "Active": "tYES", "InWhichDimension": 2},
        ],
        projects=[
            {"Code": "P1", "Name": "Nytt kontor", "Active": "tYES"},
            {"Code": "P2", "Name": "Avsluttet", "Active": "tNO"},
        ],
        vat_groups=[
            {"Code": "1", "Name": "Inngående høy sats", "Inactive": "tNO", "VatGroups_Lines": [
                {"Effectivefrom": "2001-01-01T00:00:00Z", "Rate": Decimal("24.0")},
                {"Effectivefrom": "2005-01-01T00:00:00Z", "Rate": Decimal("25.0")},
                {"Effectivefrom": "2999-01-01T00:00:00Z", "Rate": Decimal("26.0")},
            ]},
            {"Code": "11", "Name": "Inngående middels sats", "Inactive": "tNO", "VatGroups_Lines": [
                {"Effectivefrom": "2018-01-01T00:00:00Z", "Rate": Decimal("15.0")},
            ]},
            {"Code": "0", "Name": "Ingen mva", "Inactive": "tNO", "VatGroups_Lines": [
                {"Effectivefrom": "2001-01-01T00:00:00Z", "Rate": Decimal("0.0")},
            ]},
            {"Code": "9", "Name": "Utgått", "Inactive": "tYES", "VatGroups_Lines": []},
        ],
    )


@dataclass
class Fault:
    """A fault that responds to matching requests with ``status``. ``remaining`` None means every one."""

    status: int
    remaining: int | None
    entity: str | None
    method: str | None
    after_bookings: int
    message: str = "Internal error"


@dataclass
class Received:
    """A request as the stand-in saw it. ``status`` stays None until the response is sent."""

    method: str
    version: str
    entity: str
    query: str
    status: int | None = None


@dataclass
class _State:
    sessions: dict[str, float] = field(default_factory=dict)
    issued_session_ids: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    rejected_accounts: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0
    hold_after_bookings: int | None = None
    held_entry: dict[str, Any] | None = None
    expire_at: tuple[str, str] | None = None
    logins: int = 0
    logouts: int = 0


class SapB1StandIn:
    """The Service Layer stand-in, started and stopped by ``with SapB1StandIn(...) as standin``."""

    def __init__(self, *, company_db: str = "SBODEMONO", username: str = "allocbot", password: str = "B1-secret-pw",
                 company: Company | None = None, page_size: int = 2, ssl_context: ssl.SSLContext | None = None,
                 session_timeout_seconds: float = SESSION_TIMEOUT_MINUTES * 60):
        self.company_db = company_db
        self.username = username
        self.password = password
        self.company = company or norwegian_company()
        self.page_size = page_size
        self.session_timeout_seconds = session_timeout_seconds
        self._ssl_context = ssl_context
        self._state = _State()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._holding = threading.Event()
        self._release_held = threading.Event()
        self._held_booked = threading.Event()
        self._jdt_numbers = itertools.count(FIRST_JDT_NUM)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

        schema = json.loads(SCHEMA_PATH.read_text())
        self._validators = {
            name: Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]},
                                       format_checker=Draft202012Validator.FORMAT_CHECKER)
            for name in ("Login", "JournalEntry")
        }
        self._max_lengths = {
            name: {key: value["maxLength"] for key, value in schema["$defs"][name]["properties"].items()
                   if "maxLength" in value}
            for name in ("JournalEntry", "JournalEntryLine")
        }

    # Start and stop

    def __enter__(self) -> SapB1StandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sap-b1-standin", daemon=True)
        self._thread.start()
        log.info("SAP Business One stand-in listening on %s", self.url())

    def stop(self) -> None:
        """Stop serving and close the port, releasing a stalled response and a held entry first."""
        self._release.set()
        self._release_held.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("SAP Business One stand-in stopped")

    def url(self, version: str = "v1") -> str:
        """Return the Service Layer base URL, such as http://127.0.0.1:50123/b1s/v1."""
        assert self._server is not None, "start the stand-in first"
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/b1s/{version}"

    # Inspection

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The booked journal entries: the request bodies with their JdtNum, amounts as Decimal."""
        with self._lock:
            return [dict(entry) for entry in self._state.entries]

    def entries_with_reference(self, reference: str) -> list[dict[str, Any]]:
        return [entry for entry in self.entries if entry.get("Reference") == reference]

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    def count(self, method: str, entity: str) -> int:
        """Return how many requests of ``method`` to ``entity`` (such as "JournalEntries") arrived."""
        return sum(1 for request in self.received if request.method == method and request.entity == entity)

    @property
    def logins(self) -> int:
        return self._state.logins

    @property
    def logouts(self) -> int:
        return self._state.logouts

    @property
    def issued_session_ids(self) -> list[str]:
        with self._lock:
            return list(self._state.issued_session_ids)

    @property
    def live_sessions(self) -> int:
        with self._lock:
            return len(self._state.sessions)

    # Fault injection

    def fail(self, status: int, count: int | None = 1, *, entity: str | None = None, method: str | None = None,
             after_bookings: int = 0, message: str = "Internal error") -> None:
        """Respond to the next ``count`` requests (all when None) to ``entity`` with ``status``.

        ``after_bookings`` delays the fault until that many journal entries
        are booked. A 4xx or 500 has SAP's error body with ``message``, and
        502 and 503 a plain text one as a gateway in front of the Service
        Layer would send.
        """
        with self._lock:
            self._state.faults.append(Fault(status, count, entity, method, after_bookings, message))

    def stall_after_booking(self, seconds: float) -> None:
        """Book the next journal entry, then wait ``seconds`` before sending the response."""
        with self._lock:
            self._state.stall_seconds = seconds

    def hold_next_entry(self, *, after_bookings: int = 0) -> None:
        """Keep the next valid journal entry unbooked until ``book_held_entry``, as a stalled Service Layer does.

        The client times out meanwhile and looks the entry up in vain, and
        the entry is booked after the client gave up. ``after_bookings``
        lets that many entries be booked before one is held.
        """
        for event in (self._holding, self._release_held, self._held_booked):
            event.clear()
        with self._lock:
            self._state.hold_after_bookings = after_bookings
            self._state.held_entry = None

    def book_held_entry(self, timeout: float = 5.0) -> dict[str, Any]:
        """Book the held journal entry, wait until it is booked, and return it with its JdtNum."""
        assert self._holding.wait(timeout), "no journal entry is held"
        self._release_held.set()
        assert self._held_booked.wait(timeout), "the held journal entry was not booked"
        with self._lock:
            assert self._state.held_entry is not None
            return dict(self._state.held_entry)

    def book(self, entry: dict[str, Any]) -> int:
        """Book ``entry`` as another client of the company would, unchecked, and return its JdtNum."""
        with self._lock:
            jdt_num = next(self._jdt_numbers)
            self._state.entries.append({"JdtNum": jdt_num, **entry})
        return jdt_num

    def expire_sessions(self, *, at: tuple[str, str] | None = None) -> None:
        """End every session, as the Service Layer does after the idle timeout.

        With ``at``, such as ("POST", "JournalEntries"), the sessions end when
        the next such request arrives, just before it is checked.
        """
        with self._lock:
            if at is None:
                self._state.sessions.clear()
            self._state.expire_at = at

    def reject_account(self, code: str, message: str | None = None) -> None:
        """Reject postings to ``code`` from now on, with ``message`` or a default one."""
        with self._lock:
            self._state.rejected_accounts[code] = message or f"Account {code} is blocked for postings"

    # Request handling, called by _Handler

    def handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        match = re.fullmatch(r"/b1s/(v1|v2)/(\w+)", parts.path)
        body = handler.read_body()
        if match is None:
            handler.send_json(404, error_body("v1", INVALID_VALUE, f"Resource not found for {parts.path}"), "v1")
            return

        version, entity = match.groups()
        handler.received = Received(method, version, entity, parts.query)
        with self._lock:
            self._state.received.append(handler.received)
        self._respond(handler, method, version, entity, parts.query, body)

    def _respond(self, handler: _Handler, method: str, version: str, entity: str, query: str,
                 body: bytes) -> None:
        fault = self._take_fault(method, entity)
        if fault is not None:
            return handler.send_fault(fault, version)

        with self._lock:
            if self._state.expire_at == (method, entity):
                self._state.sessions.clear()
                self._state.expire_at = None
        if (method, entity) == ("POST", "Login"):
            return self._login(handler, version, body)
        if not self._session_valid(handler):
            return handler.send_json(401, error_body(version, *SESSION_INVALID), version)
        if (method, entity) == ("POST", "Logout"):
            return self._logout(handler)
        if (method, entity) == ("POST", "JournalEntries"):
            return self._post_entry(handler, version, body)
        if method == "GET" and entity in _ENTITIES:
            return self._get_collection(handler, version, entity, query)
        return handler.send_json(405, error_body(version, INVALID_VALUE, f"{method} {entity} is not supported"),
                                 version)

    def _take_fault(self, method: str, entity: str) -> Fault | None:
        with self._lock:
            for fault in self._state.faults:
                if fault.entity not in (None, entity) or fault.method not in (None, method):
                    continue
                if len(self._state.entries) < fault.after_bookings or fault.remaining == 0:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def _login(self, handler: _Handler, version: str, body: bytes) -> None:
        payload, problem = self._validated(body, "Login", "B1Session")
        if problem is not None:
            return handler.send_json(400, error_body(version, *problem), version)

        credentials = (payload["CompanyDB"], payload["UserName"], payload["Password"])
        if credentials != (self.company_db, self.username, self.password):
            return handler.send_json(401, error_body(version, LOGIN_FAILED, "Fail to NONE-SSO login from SLD."),
                                     version)

        session_id = secrets.token_hex(16)
        with self._lock:
            self._state.sessions[session_id] = time.monotonic()
            self._state.issued_session_ids.append(session_id)
            self._state.logins += 1
        response_body = {_metadata_key(version): f"{self.url(version)}/$metadata#B1Sessions/@Element",
                  "SessionId": session_id, "Version": "1000190", "SessionTimeout": SESSION_TIMEOUT_MINUTES}
        # Service Layer responses quoted in public reports set B1SESSION without a Path, with a trailing semicolon.
        cookies = [f"B1SESSION={session_id};HttpOnly;", f"ROUTEID={ROUTE_ID}; path=/"]
        return handler.send_json(200, response_body, version, cookies=cookies)

    def _logout(self, handler: _Handler) -> None:
        session_id = handler.cookie("B1SESSION")
        with self._lock:
            self._state.sessions.pop(session_id, None)
            self._state.logouts += 1
        return handler.send_empty(204)

    def _session_valid(self, handler: _Handler) -> bool:
        session_id = handler.cookie("B1SESSION")
        if session_id is None or handler.cookie("ROUTEID") != ROUTE_ID:
            return False
        with self._lock:
            last_used = self._state.sessions.get(session_id)
            if last_used is None or time.monotonic() - last_used > self.session_timeout_seconds:
                self._state.sessions.pop(session_id, None)
                return False
            self._state.sessions[session_id] = time.monotonic()
        return True

    def _post_entry(self, handler: _Handler, version: str, body: bytes) -> None:
        payload, problem = self._validated(body, "JournalEntry", "JournalEntry")
        if problem is None:
            problem = self._entry_problem(payload)
        if problem is not None:
            return handler.send_json(400, error_body(version, *problem), version)

        with self._lock:
            after = self._state.hold_after_bookings
            hold = after is not None and len(self._state.entries) >= after
            if hold:
                self._state.hold_after_bookings = None
        if hold:
            self._holding.set()
            self._release_held.wait(HOLD_LIMIT_SECONDS)

        with self._lock:
            entry = {"JdtNum": next(self._jdt_numbers), **payload}
            self._state.entries.append(entry)
            stall, self._state.stall_seconds = self._state.stall_seconds, 0.0
            if hold:
                self._state.held_entry = entry
        if hold:
            self._held_booked.set()
        if stall:
            self._release.wait(stall)

        response_body = {_metadata_key(version): f"{self.url(version)}/$metadata#JournalEntries/@Element", **entry}
        return handler.send_json(201, response_body, version,
                                 headers={"Location": f"{self.url(version)}/JournalEntries({entry['JdtNum']})"})

    def _validated(self, body: bytes, schema: str, entity: str) -> tuple[dict[str, Any], tuple[int, str] | None]:
        """Parse a JSON body and check it against a schema, returning the payload and the first problem."""
        try:
            payload = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            return {}, (INVALID_VALUE, f"Invalid JSON body: {exc}")
        if not isinstance(payload, dict):
            return {}, (INVALID_VALUE, "The request body is not a JSON object")

        error = best_match(self._validators[schema].iter_errors(payload))
        if error is None:
            return payload, None

        where = "/".join(str(part) for part in error.absolute_path) or entity
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            owner = "JournalEntryLine" if len(error.absolute_path) >= 2 else entity
            return payload, (INVALID_PROPERTY, f"Property '{extra[0]}' of '{owner}' is invalid")
        return payload, (INVALID_VALUE, f"Value of '{where}' is invalid: {error.message}")

    def _entry_problem(self, entry: dict[str, Any]) -> tuple[int, str] | None:
        """Return the first reason SAP would reject the entry for: a text too long, a line, then the balance."""
        texts = [(entry, "JournalEntry"), *((line, "JournalEntryLine") for line in entry["JournalEntryLines"])]
        for values, entity in texts:
            too_long = self._too_long(values, entity)
            if too_long is not None:
                return VALUE_TOO_LONG, too_long

        debit = credit = Decimal(0)
        for number, line in enumerate(entry["JournalEntryLines"], start=1):
            problem = self._line_problem(line, number)
            if problem is not None:
                return INVALID_VALUE, problem
            debit += Decimal(line.get("Debit", 0))
            credit += Decimal(line.get("Credit", 0))

        if debit != credit:
            return INVALID_VALUE, f"Unbalanced transaction: debit {debit}, credit {credit}"
        return None

    def _too_long(self, values: dict[str, Any], entity: str) -> str | None:
        """Return SAP's message for the first text longer than its maxLength in UTF-16 code units."""
        for name, length in self._max_lengths[entity].items():
            value = values.get(name)
            if isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > length:
                return f"Value too long in property '{name}' of '{entity}'"
        return None

    def _line_problem(self, line: dict[str, Any], number: int) -> str | None:
        where = f"[line: {number}]"
        for side in ("Debit", "Credit"):
            amount = Decimal(line.get(side, 0))
            if amount.as_tuple().exponent < -2:
                return f"Amount {amount} has more than two decimals [JDT1.{side}]{where}"

        account = line.get("AccountCode", line["ShortName"])
        rows = {row["Code"]: row for row in self.company.accounts}
        if account not in rows or rows[account]["ActiveAccount"] != "tYES":
            return f"Invalid account code '{account}' [JDT1.Account]{where}"
        if rows[account]["FrozenFor"] == "tYES":
            return f"Account '{account}' is frozen [JDT1.Account]{where}"
        with self._lock:
            blocked = self._state.rejected_accounts.get(account)
        if blocked is not None:
            return f"{blocked} [JDT1.Account]{where}"
        if line["ShortName"] != account:
            return f"Short name '{line['ShortName']}' is not the line's G/L account [JDT1.ShortName]{where}"

        checks = (
            ("CostingCode", "ProfitCode", self.company.profit_centers, "CenterCode",
             lambda row: row["Active"] == "tYES" and row["InWhichDimension"] == 1),
            ("ProjectCode", "Project", self.company.projects, "Code", lambda row: row["Active"] == "tYES"),
            ("TaxGroup", "VatGroup", self.company.vat_groups, "Code", lambda row: row["Inactive"] == "tNO"),
        )
        for name, column, table, key, usable in checks:
            value = line.get(name)
            if value is None:
                continue
            matches = [row for row in table if row[key] == value]
            if not matches or not usable(matches[0]):
                return f"Linked value '{value}' does not exist or is inactive [JDT1.{column}]{where}"
        return None

    def _get_collection(self, handler: _Handler, version: str, entity: str, query: str) -> None:
        options = {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}
        unknown = sorted(set(options) - {"$filter", "$select", "$skip"})
        if unknown:
            return handler.send_json(400, error_body(version, INVALID_VALUE, f"Query option {unknown[0]} is not "
                                                                              f"supported by the stand-in"), version)

        rows = self._rows(entity)
        if "$filter" in options:
            wanted = _references(options["$filter"]) if entity == "JournalEntries" else None
            if wanted is None:
                return handler.send_json(400, error_body(version, INVALID_VALUE,
                                                         f"Filter not supported: {options['$filter']}"), version)
            rows = [row for row in rows if row.get("Reference") in wanted]
        if "$select" in options:
            names = options["$select"].split(",")
            known = set().union(*(row.keys() for row in rows)) if rows else set(names)
            invalid = [name for name in names if name not in known]
            if invalid:
                return handler.send_json(400, error_body(version, INVALID_PROPERTY, f"Property '{invalid[0]}' of "
                                                         f"'{_ENTITIES[entity]}' is invalid"), version)
            rows = [{name: row[name] for name in names if name in row} for row in rows]

        skip = int(options.get("$skip", "0"))
        page = rows[skip:skip + self.page_size]
        response_body: dict[str, Any] = {_metadata_key(version): f"{self.url(version)}/$metadata#{entity}",
                                         "value": page}
        if len(page) == self.page_size:
            rest = "&".join(f"{name}={quote(value, safe=',$()')}" for name, value in options.items()
                            if name != "$skip")
            link = f"{entity}?{rest + '&' if rest else ''}$skip={skip + self.page_size}"
            response_body["@odata.nextLink" if version == "v2" else "odata.nextLink"] = link
        return handler.send_json(200, response_body, version)

    def _rows(self, entity: str) -> list[dict[str, Any]]:
        tables = {"ChartOfAccounts": self.company.accounts, "ProfitCenters": self.company.profit_centers,
                  "Projects": self.company.projects, "VatGroups": self.company.vat_groups}
        if entity == "JournalEntries":
            return [{**entry, "JournalEntryLines": [{"Debit": Decimal("0.0"), "Credit": Decimal("0.0"), **line}
                                                    for line in entry.get("JournalEntryLines", [])]}
                    for entry in self.entries]
        return [dict(row) for row in tables[entity]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes, so with Nagle's algorithm each response waits for a delayed ACK.
    disable_nagle_algorithm = True
    received: Received | None = None
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self.server.standin.handle(self, "GET")  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.server.standin.handle(self, "POST")  # type: ignore[attr-defined]

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def cookie(self, name: str) -> str | None:
        jar = SimpleCookie(self.headers.get("Cookie", ""))
        return jar[name].value if name in jar else None

    def send_json(self, status: int, payload: dict[str, Any], version: str, *, cookies: Sequence[str] = (),
                  headers: dict[str, str] | None = None) -> None:
        content = json.dumps(payload, default=_decimal_number, ensure_ascii=False).encode()
        extra = {"Content-Type": "application/json;odata.metadata=minimal" if version == "v2"
                 else "application/json;odata=minimalmetadata;charset=utf-8", **(headers or {})}
        return self._send(status, content, extra, cookies)

    def send_empty(self, status: int) -> None:
        return self._send(status, b"", {}, [])

    def send_fault(self, fault: Fault, version: str) -> None:
        if fault.status < 500:
            return self.send_json(fault.status, error_body(version, INVALID_VALUE, fault.message), version)
        if fault.status == 500:
            return self.send_json(500, error_body(version, SERVER_ERROR, fault.message), version)
        text = f"{fault.status} {HTTPStatus(fault.status).phrase}\n"
        return self._send(fault.status, text.encode(), {"Content-Type": "text/plain"}, [])

    def _send(self, status: int, content: bytes, headers: dict[str, str], cookies: Sequence[str]) -> None:
        # Set before the response leaves, so a test that has the response also sees the status.
        if self.received is not None:
            self.received.status = status
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            for cookie in cookies:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting, as after stall_after_booking.
            log.info("SAP Business One stand-in: client closed the connection before the response")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("SAP Business One stand-in: " + format, *args)


def error_body(version: str, code: int, message: str) -> dict[str, Any]:
    """Return an error in the Service Layer's shape for ``version``."""
    if version == "v2":
        return {"error": {"code": str(code), "message": message, "details": [{"code": "", "message": ""}]}}
    return {"error": {"code": code, "message": {"lang": "en-us", "value": message}}}


def _references(condition: str) -> set[str] | None:
    """Return the values of ``Reference eq '…' or …``, or None for any other filter."""
    if _REFERENCE_FILTER.fullmatch(condition) is None:
        return None
    return {value.replace("''", "'") for value in re.findall(_REFERENCE_TERM, condition)}


def _metadata_key(version: str) -> str:
    return "@odata.context" if version == "v2" else "odata.metadata"


def _decimal_number(value: object) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")
