"""Posting vouchers as journal entries to SAP Business One through the Service Layer.

Each voucher becomes one ``POST /JournalEntries`` (see connectors.sap_b1_entries
for the fields) whose header ``Reference`` carries the voucher number, and
``find`` looks numbers up with ``GET /JournalEntries?$filter=Reference eq '…'``.
``post`` first looks up every voucher of the batch. An entry that carries the
number and the voucher's content counts as posted, so a run that repeats the
vouchers of a run that crashed books none of them twice. An entry that carries
the number with other content rejects the voucher. That usually means that
another allocbot database posts to the same SAP company.

When a POST times out or gets a 5xx, SAP may book it later, so the connector
never posts that voucher again in the same run. It looks the number up once
and raises ErpUnavailable when no entry carries it yet, so that the posting
core's next run looks it up again before it sends it.

A 4xx response to a POST, and a voucher whose content cannot become a journal
entry, yield Rejected, and the next vouchers are still posted. A 4xx response to a
read raises ConfigError, because running again does not help. Setup and field
mapping are in docs/erp-sap-b1.md.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Callable
from urllib.parse import quote

import httpx

from bot.config import Settings, environment_secret
from bot.errors import ConfigError
from bot.i18n import N_
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher
from bot.vat import ORE
from connectors import sap_b1_master
from connectors.http import OutcomeUnknown, Retrying
from connectors.sap_b1_entries import EntryError, booked_as_sent, journal_entry, side_total
from connectors.sap_b1_odata import encode_json, next_link, parse_error, read_json, string_literal
from connectors.sap_b1_session import CONNECTOR, Credentials, ServiceLayerSession, url_path

log = logging.getLogger(__name__)

# Voucher numbers looked up per GET, joined with "or" in one $filter, to keep the URL short.
FIND_CHUNK = 20

# Characters left as they are in a $filter value: OData's quote and parentheses. Spaces
# become %20, because a "+" in an OData query is not read as a space by every server.
QUERY_SAFE = "'()"

# The $select of find, and the wider one with which post compares a booked entry with its voucher.
FIND_SELECT = "JdtNum,Reference"
COMPARE_SELECT = "JdtNum,Reference,ReferenceDate,JournalEntryLines"

_JSON = {"Content-Type": "application/json"}


class SapB1Connector:
    """Posts vouchers to SAP Business One and reads its accounts, cost centers, projects and VAT groups.

    Use it as a context manager, or call ``close``, so that the Service
    Layer session is logged out when the work is done.
    """

    name = CONNECTOR

    def __init__(self, base_url: str, credentials: Credentials, *, vat_accounts: Mapping[str, str], attempts: int,
                 backoff_seconds: float, timeout_seconds: float, verify: ssl.SSLContext | bool = True,
                 sleep: Callable[[float], None] = time.sleep):
        self._base_url = httpx.URL(base_url.rstrip("/") + "/")
        if self._base_url.scheme != "https" and not _is_loopback(self._base_url.host):
            log.warning("export.sap.base_url uses plain HTTP to %s, so the password and the session id travel "
                        "unencrypted; use the Service Layer's https:// address", self._base_url.host)

        self._client = httpx.Client(base_url=self._base_url, timeout=timeout_seconds, verify=verify)
        retrying = Retrying(self._client, CONNECTOR, attempts=attempts, backoff_seconds=backoff_seconds, sleep=sleep)
        self._session = ServiceLayerSession(self._client, retrying, credentials, attempts=attempts,
                                            backoff_seconds=backoff_seconds, sleep=sleep)
        self._credentials = credentials
        self._vat_accounts = dict(vat_accounts)
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> SapB1Connector:
        """Configure the connector from ``[export]`` and ``[export.sap]`` and the password's environment variable.

        Raises ConfigError naming the key or the environment variable that is
        missing, or the CA file that cannot be read. Nothing is sent yet,
        because the login happens at the first request.
        """
        export = settings.export
        sap = export.sap
        source = settings.source or N_("built-in defaults")

        for key, value, example in (
            ("base_url", sap.base_url, 'base_url = "https://b1.example.no:50000/b1s/v1"'),
            ("company_db", sap.company_db, 'company_db = "SBODEMONO"'),
            ("username", sap.username, 'username = "allocbot"'),
            ("password_env", sap.password_env, 'password_env = "SAP_B1_PASSWORD"'),
        ):
            if not value:
                raise ConfigError(source, N_("the key is empty"), location=N_("key {key}"),
                                  fix=N_("set it in the [export.sap] table, such as {example}"),
                                  key=f"export.sap.{key}", example=example)

        password = environment_secret(sap.password_env)
        if password is None:
            raise ConfigError(source, N_("environment variable {variable} is not set"), location=N_("key {key}"),
                              fix=N_("export {variable} with the password of the SAP Business One user {username}"),
                              key="export.sap.password_env", variable=sap.password_env, username=sap.username)

        credentials = Credentials(sap.company_db, sap.username, password, sap.password_env, source)
        return cls(sap.base_url, credentials, vat_accounts=sap.vat_accounts, attempts=export.attempts,
                   backoff_seconds=export.backoff_seconds, timeout_seconds=export.timeout_seconds,
                   verify=_tls_context(sap.ca_file, source), sleep=sleep)

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        """Post the vouchers in order, as VoucherPoster.post describes.

        Every body is built before the first request. A voucher whose content
        cannot become a journal entry yields Rejected and is not sent. A
        voucher that a journal entry with the same content already carries is
        not sent again, and its outcome is Posted with that entry's JdtNum.

        Raises ValueError, with nothing sent, for a batch the posting core
        never produces: two vouchers with the same number, or a voucher that
        journal_entry raises ValueError for. Raises ConfigError when SAP
        rejects the look-up, such as for missing authorizations.
        """
        repeated = sorted(number for number, count in Counter(voucher.number for voucher in vouchers).items()
                          if count > 1)
        if repeated:
            raise ValueError(f"vouchers {', '.join(repeated)} occur more than once in one batch")

        prepared = [self._prepare(voucher) for voucher in vouchers]
        sendable = [voucher.number for voucher, body in zip(vouchers, prepared) if isinstance(body, dict)]
        log.info("posting %d voucher(s) to SAP Business One, %d of them rejected before sending", len(vouchers),
                 len(vouchers) - len(sendable))
        try:
            booked = self._entries_by_number(sendable, COMPARE_SELECT) if sendable else {}
        except ErpUnavailable as exc:
            raise ErpUnavailable(self.name, exc.reason,
                                 [body for body in prepared if isinstance(body, Rejected)]) from exc

        outcomes: list[Posted | Rejected] = []
        for voucher, body in zip(vouchers, prepared):
            if isinstance(body, Rejected):
                outcomes.append(body)
            elif voucher.number in booked:
                outcomes.append(self._booked_already(voucher, body, booked[voucher.number]))
            else:
                try:
                    outcomes.append(self._post_entry(voucher, body))
                except ErpUnavailable as exc:
                    log.error("voucher %s not posted: %s; %d of %d voucher(s) done", voucher.number, exc.reason,
                              len(outcomes), len(vouchers))
                    raise ErpUnavailable(self.name, f"voucher {voucher.number}: {exc.reason}", outcomes) from exc
        return outcomes

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        """Return the JdtNum (as text) of each voucher number that a journal entry carries as its Reference.

        Raises ConfigError when SAP rejects the look-up.
        """
        found: dict[str, str] = {}
        for number, entries in self._entries_by_number(numbers, FIND_SELECT).items():
            if len(entries) > 1:
                log.warning("voucher %s is booked %d times in SAP, as journal entries %s; returning the first",
                            number, len(entries), ", ".join(str(entry.get("JdtNum")) for entry in entries))
            found[number] = str(entries[0].get("JdtNum"))
        return found

    def master_lists(self) -> list[ErpCode]:
        """Read the accounts, cost centers, projects and VAT groups, as MasterDataSource.master_lists describes."""
        rows = {name: list(self._collection(f"{name}?$select={select}"))
                for name, select in sap_b1_master.SELECTS.items()}
        codes = [
            *sap_b1_master.accounts(rows["ChartOfAccounts"]),
            *sap_b1_master.cost_centers(rows["ProfitCenters"]),
            *sap_b1_master.projects(rows["Projects"]),
            *sap_b1_master.vat_codes(rows["VatGroups"], date.today()),
        ]
        log.info("read %d master data entries from SAP Business One", len(codes))
        return codes

    def close(self) -> None:
        """Log out of the Service Layer and close the connections, even when the logout fails."""
        try:
            self._session.close()
        finally:
            self._client.close()

    def __enter__(self) -> SapB1Connector:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _prepare(self, voucher: Voucher) -> dict[str, Any] | Rejected:
        """Return the journal entry body of ``voucher``, or Rejected when its content cannot become one."""
        try:
            return journal_entry(voucher, self._vat_accounts)
        except EntryError as exc:
            log.warning("voucher %s rejected before sending: %s", voucher.number, exc)
            return Rejected(voucher.number, str(exc), field=exc.field)

    def _booked_already(self, voucher: Voucher, body: dict[str, Any],
                        entries: list[dict[str, Any]]) -> Posted | Rejected:
        """Return Posted for an entry with the voucher's content, else Rejected naming the entry that differs."""
        for entry in entries:
            if booked_as_sent(body, entry):
                log.info("voucher %s is already booked as journal entry %s; not posted again", voucher.number,
                         entry.get("JdtNum"))
                return Posted(voucher.number, str(entry.get("JdtNum")))

        entry = entries[0]
        jdt_num = entry.get("JdtNum")
        entry_date = str(entry.get("ReferenceDate") or "")[:10]
        entry_total = side_total(entry.get("JournalEntryLines") or [], "Debit").quantize(ORE)
        voucher_date = body["ReferenceDate"]
        voucher_total = side_total(body["JournalEntryLines"], "Debit")
        lines_differ = ", and their lines differ" if (entry_date, entry_total) == (voucher_date, voucher_total) else ""
        log.error("voucher %s rejected: journal entry %s carries its number with other content", voucher.number,
                  jdt_num)
        message = (f"SAP Business One already has journal entry {jdt_num} under voucher number {voucher.number} "
                   f"with other content: the entry is dated {entry_date} with debit total {entry_total}, this "
                   f"voucher is dated {voucher_date} with debit total {voucher_total}{lines_differ}. This usually "
                   f"means that another allocbot database, such as a restored backup or a second installation, "
                   f"posts to this SAP company. Find out which one booked journal entry {jdt_num}, and let only "
                   f"one allocbot database post to the company")
        return Rejected(voucher.number, message, field="Reference")

    def _post_entry(self, voucher: Voucher, body: dict[str, Any]) -> Posted | Rejected:
        """Post one journal entry, and look it up after an unknown outcome instead of posting it again."""
        try:
            response = self._session.request("POST", "JournalEntries", content=encode_json(body), headers=_JSON)
        except OutcomeUnknown as exc:
            return self._look_up_after(voucher, exc.reason)
        return self._outcome(voucher, response)

    def _look_up_after(self, voucher: Voucher, reason: str) -> Posted:
        """Look a voucher up after a POST with an unknown outcome, and raise ErpUnavailable when it is not found.

        A Service Layer that is slow may book the POST after this look-up,
        so posting again here could book the voucher twice. The voucher stays
        "sending" instead, and the next run looks it up again.
        """
        log.warning("voucher %s: %s; looking it up in %.1f s, and not posting it again in this run", voucher.number,
                    reason, self._backoff_seconds)
        self._sleep(self._backoff_seconds)
        try:
            external_id = self.find([voucher.number]).get(voucher.number)
        except ErpUnavailable as exc:
            raise ErpUnavailable(self.name, f"{reason}, and the look-up after it failed: {exc.reason}") from exc

        if external_id is None:
            raise ErpUnavailable(self.name, f"{reason}, and no journal entry carries the number yet; the next run "
                                            f"looks it up again before it sends it")
        log.info("voucher %s was booked as journal entry %s", voucher.number, external_id)
        return Posted(voucher.number, external_id)

    def _outcome(self, voucher: Voucher, response: httpx.Response) -> Posted | Rejected:
        if response.status_code in (200, 201):
            external_id = read_json(response).get("JdtNum")
            if external_id is None:
                raise ErpUnavailable(self.name, "the Service Layer responded without a JdtNum, so "
                                                "look the voucher up with find before sending it again")
            log.info("posted voucher %s as journal entry %s", voucher.number, external_id)
            return Posted(voucher.number, str(external_id))

        if 400 <= response.status_code < 500:
            error = parse_error(response)
            log.warning("voucher %s rejected: HTTP %d, code %s: %s", voucher.number, response.status_code,
                        error.code, error.message)
            return Rejected(voucher.number, error.message, response.status_code, error.field)

        raise ErpUnavailable(self.name, f"unexpected HTTP {response.status_code} on POST JournalEntries; "
                                        f"look the voucher up with find before sending it again")

    def _entries_by_number(self, numbers: Sequence[str], select: str) -> dict[str, list[dict[str, Any]]]:
        """Return the journal entries whose Reference is one of ``numbers``, in the order SAP lists them."""
        requested = set(numbers)
        found: dict[str, list[dict[str, Any]]] = {}
        ordered = list(dict.fromkeys(numbers))
        for start in range(0, len(ordered), FIND_CHUNK):
            condition = " or ".join(f"Reference eq {string_literal(number)}" for number in
                                    ordered[start:start + FIND_CHUNK])
            url = f"JournalEntries?$filter={quote(condition, safe=QUERY_SAFE)}&$select={select}"
            for row in self._collection(url):
                if row.get("Reference") in requested:
                    found.setdefault(row["Reference"], []).append(row)
        return found

    def _collection(self, url: str) -> Iterator[dict[str, Any]]:
        """Yield every row of a collection, following the next-page links.

        Raises ConfigError for a 4xx response, which a later run would get
        as well, and ErpUnavailable for any other response but 200.
        """
        link: str | None = url
        while link is not None:
            response = self._session.request("GET", link)
            if 400 <= response.status_code < 500:
                raise self._read_rejected(link, response)
            if response.status_code != 200:
                raise ErpUnavailable(self.name, f"unexpected HTTP {response.status_code} on GET {url_path(link)}")

            payload = read_json(response)
            yield from payload.get("value", [])
            link = self._same_origin(next_link(payload))

    def _read_rejected(self, link: str, response: httpx.Response) -> ConfigError:
        error = parse_error(response)
        credentials = self._credentials
        log.error("GET %s rejected: HTTP %d, code %s: %s", url_path(link), response.status_code, error.code,
                  error.message)
        return ConfigError(credentials.source, N_("SAP Business One rejected reading {path} (HTTP {status}): {reason}"),
                           location=N_("key {key}"), key="export.sap.username",
                           fix=N_("check that the SAP Business One user {username} is authorized to read {path}, "
                                  "under Administration > System Initialization > Authorizations > General "
                                  "Authorizations"),
                           path=url_path(link), status=response.status_code, reason=error.message,
                           username=credentials.username)

    def _same_origin(self, link: str | None) -> str | None:
        """Resolve a next-page link against the base URL, and raise ErpUnavailable if it leads to another server.

        The session cookie is sent with every request, so following a link
        to another host would hand the session to that host.
        """
        if link is None:
            return None

        url = self._base_url.join(link)
        if (url.scheme, url.host, url.port) != (self._base_url.scheme, self._base_url.host, self._base_url.port):
            raise ErpUnavailable(self.name, f"the next-page link leads to another server: {url.scheme}://{url.host}")
        return str(url)


def _tls_context(ca_file: Path | None, source: object) -> ssl.SSLContext | bool:
    """Return a context that trusts ``ca_file``, or True for the default trust store when there is none."""
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(source, N_("cannot read the file: {reason}"), location=N_("key {key}"),
                          fix=N_("set export.sap.ca_file to the PEM file of the CA that signed the Service Layer's "
                                 "certificate"), key="export.sap.ca_file", reason=str(exc)) from None


def _is_loopback(host: str) -> bool:
    """Return whether ``host`` names this machine, where plain HTTP does not leave it."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
