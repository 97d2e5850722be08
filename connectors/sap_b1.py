"""Posting vouchers as journal entries to SAP Business One through the Service Layer.

Each voucher becomes one ``POST /JournalEntries`` (see connectors.sap_b1_entries
for the fields) whose header ``Reference`` carries the voucher number, and
``find`` looks numbers up with ``GET /JournalEntries?$filter=Reference eq '…'``.
``post`` first looks up every voucher of the batch and skips those already
booked, so a run that repeats the vouchers of a run that crashed books none of
them twice. When a POST times out or gets a 5xx, SAP may have booked it, so
the connector looks the number up and posts again only when no entry carries
it, at most ``export.attempts`` times.

A 4xx response yields Rejected with SAP's own message, and the next vouchers are
still posted. When the Service Layer stays unreachable, ErpUnavailable carries
the outcomes of the vouchers posted before. Setup and field mapping are in
docs/erp-sap-b1.md.
"""

from __future__ import annotations

import logging
import ssl
import time
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
from connectors import sap_b1_master
from connectors.http import OutcomeUnknown, Retrying
from connectors.sap_b1_entries import journal_entry
from connectors.sap_b1_odata import encode_json, next_link, parse_error, read_json, string_literal
from connectors.sap_b1_session import CONNECTOR, Credentials, ServiceLayerSession

log = logging.getLogger(__name__)

# Voucher numbers looked up per GET, joined with "or" in one $filter, to keep the URL short.
FIND_CHUNK = 20

# Characters left as they are in a $filter value: OData's quote and parentheses. Spaces
# become %20, because a "+" in an OData query is not read as a space by every server.
QUERY_SAFE = "'()"

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
        self._client = httpx.Client(base_url=self._base_url, timeout=timeout_seconds, verify=verify)
        retrying = Retrying(self._client, CONNECTOR, attempts=attempts, backoff_seconds=backoff_seconds, sleep=sleep)
        self._session = ServiceLayerSession(self._client, retrying, credentials, attempts=attempts,
                                            backoff_seconds=backoff_seconds, sleep=sleep)
        self._vat_accounts = dict(vat_accounts)
        self._attempts = attempts
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

        Every body is built and checked before the first request, so a
        voucher that does not balance raises ValueError with nothing sent.
        A voucher whose number a journal entry already carries is not sent
        again, and its outcome is Posted with that entry's JdtNum.
        """
        bodies = [journal_entry(voucher, self._vat_accounts) for voucher in vouchers]
        log.info("posting %d voucher(s) to SAP Business One", len(vouchers))
        booked = self.find([voucher.number for voucher in vouchers]) if vouchers else {}

        outcomes: list[Posted | Rejected] = []
        for voucher, body in zip(vouchers, bodies):
            if voucher.number in booked:
                log.info("voucher %s is already booked as journal entry %s; not posted again", voucher.number,
                         booked[voucher.number])
                outcomes.append(Posted(voucher.number, booked[voucher.number]))
                continue
            try:
                outcomes.append(self._post_entry(voucher, body))
            except ErpUnavailable as exc:
                log.error("voucher %s not posted: %s; %d of %d voucher(s) done", voucher.number, exc.reason,
                          len(outcomes), len(vouchers))
                raise ErpUnavailable(self.name, f"voucher {voucher.number}: {exc.reason}", outcomes) from exc
        return outcomes

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        """Return the JdtNum (as text) of each voucher number that a journal entry carries as its Reference."""
        wanted = set(numbers)
        found: dict[str, str] = {}
        ordered = list(dict.fromkeys(numbers))
        for start in range(0, len(ordered), FIND_CHUNK):
            condition = " or ".join(f"Reference eq {string_literal(number)}" for number in
                                    ordered[start:start + FIND_CHUNK])
            url = f"JournalEntries?$filter={quote(condition, safe=QUERY_SAFE)}&$select=JdtNum,Reference"
            for row in self._collection(url):
                number, external_id = row.get("Reference"), str(row.get("JdtNum"))
                if number not in wanted:
                    continue
                if number in found and found[number] != external_id:
                    log.warning("voucher %s is booked twice in SAP, as journal entries %s and %s; keeping the first",
                                number, found[number], external_id)
                    continue
                found[number] = external_id
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
        """Log out of the Service Layer and close the connections."""
        self._session.close()
        self._client.close()

    def __enter__(self) -> SapB1Connector:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _post_entry(self, voucher: Voucher, body: dict[str, Any]) -> Posted | Rejected:
        """Post one journal entry, looking it up after an unknown outcome before posting it again."""
        content = encode_json(body)
        reason = ""
        for attempt in range(1, self._attempts + 1):
            try:
                response = self._session.request("POST", "JournalEntries", content=content, headers=_JSON)
            except OutcomeUnknown as exc:
                reason = exc.reason
                log.warning("voucher %s: %s; looking it up before posting again (attempt %d of %d)",
                            voucher.number, reason, attempt, self._attempts)
                external_id = self.find([voucher.number]).get(voucher.number)
                if external_id is not None:
                    log.info("voucher %s was booked as journal entry %s", voucher.number, external_id)
                    return Posted(voucher.number, external_id)
                if attempt < self._attempts:
                    self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
                continue
            return self._outcome(voucher, response)

        raise ErpUnavailable(self.name, f"{reason}; not booked after {self._attempts} attempt(s)")

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

    def _collection(self, url: str) -> Iterator[dict[str, Any]]:
        """Yield every row of a collection, following the next-page links."""
        link: str | None = url
        while link is not None:
            response = self._session.request("GET", link)
            if response.status_code != 200:
                error = parse_error(response)
                raise ErpUnavailable(self.name, f"GET {link.split('?', 1)[0]}: HTTP {response.status_code}: "
                                                f"{error.message}")
            payload = read_json(response)
            yield from payload.get("value", [])
            link = self._same_origin(next_link(payload))

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
