"""Posting vouchers to Tripletex through its REST API v2, and reading its lists.

Each voucher is looked up by its number and date before it is posted, so
a voucher booked by an earlier run that crashed before recording the
booking is not booked again. The number is sent as externalVoucherNumber
and at the start of the voucher's description. The codes of its lines
are turned into Tripletex ids next. A code Tripletex does not have rejects
the voucher before anything is sent for it. A POST whose outcome is
unknown (a timeout or a 5xx response) is followed by another lookup, and
the voucher is posted again only when Tripletex does not have it.

After the voucher is booked, its statement files are attached to it.
Failing to attach a file does not undo the booking: the voucher counts as
posted, and the failure is logged and kept in ``attachment_failures``.

Setup and behaviour for administrators: docs/erp-tripletex.md.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

import httpx

from bot.config import Settings, environment_secret
from bot.errors import ConfigError
from bot.i18n import N_
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher
from connectors.http import OutcomeUnknown, Retrying
from connectors.tripletex_lookup import PAGE_SIZE, REGISTERS, VOUCHER_PATH, TripletexLookup
from connectors.tripletex_session import TripletexApiError, TripletexSession, api_error, read_json
from connectors.tripletex_voucher import PostingIds, amount_error, voucher_body

log = logging.getLogger(__name__)

ATTACHMENT_PATH = "/ledger/voucher/{voucher_id}/attachment"

# How many days back `find` lists vouchers for the numbers that >externalVoucherNumber does not find.
# post() still finds a voucher dated earlier, because it looks each voucher up by its own date.
RECOVERY_DAYS = 400

# The file types Tripletex accepts as voucher attachments, by file name suffix.
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
                    ".jpeg": "image/jpeg", ".tif": "image/tiff", ".tiff": "image/tiff"}

KIND_NAMES = {"account": "account", "vat_code": "VAT code", "cost_center": "cost center", "project": "project"}
POSTING_FIELDS = {"account": "account", "vat_code": "vatType", "cost_center": "department", "project": "project"}
# The field that marks an entry as no longer in use, by kind. VAT types have no such field.
INACTIVE_FLAGS = {"account": "isInactive", "cost_center": "isInactive", "project": "isClosed"}


@dataclass(frozen=True)
class AttachmentFailure:
    """A statement file that could not be attached to a booked voucher."""

    number: str
    external_id: str
    path: Path
    reason: str


class TripletexConnector:
    """Posts vouchers to one Tripletex company and reads its accounts, departments, projects and VAT types."""

    name = "tripletex"

    def __init__(self, session: TripletexSession, *, currency: str, voucher_type: str = "",
                 attach_statement: bool = True, page_size: int = PAGE_SIZE, today: Callable[[], date] = date.today):
        self.session = session
        self.lookup = TripletexLookup(session, page_size=page_size)
        self.currency = currency
        self.voucher_type = voucher_type
        self.attach_statement = attach_statement
        self.today = today
        self.attachment_failures: list[AttachmentFailure] = []

    @classmethod
    def from_settings(cls, settings: Settings, *, sleep: Callable[[float], None] = time.sleep,
                      page_size: int = PAGE_SIZE, today: Callable[[], date] = date.today) -> TripletexConnector:
        """Build the connector from ``[export]`` and ``[export.tripletex]``, with the tokens from the environment.

        ``today`` returns the last day of the dates that `find` lists.
        Raises ConfigError naming the environment variable of a missing token.
        """
        export = settings.export
        tripletex = export.tripletex
        source = settings.source or "config.toml"
        consumer_token = _required_token(source, tripletex.consumer_token_env, "export.tripletex.consumer_token_env",
                                         N_("export {variable} with the consumer token Tripletex issued for allocbot"))
        employee_token = _required_token(source, tripletex.employee_token_env, "export.tripletex.employee_token_env",
                                         N_("export {variable} with an employee token created in Tripletex under "
                                            "API access"))

        address = urlsplit(tripletex.base_url)
        if address.scheme != "https" and address.hostname not in ("127.0.0.1", "::1", "localhost"):
            log.warning("tripletex: base_url %s is not HTTPS, so the tokens travel unencrypted", tripletex.base_url)

        client = httpx.Client(base_url=tripletex.base_url, timeout=export.timeout_seconds,
                              headers={"Accept": "application/json"})
        retrying = Retrying(client, cls.name, attempts=export.attempts, backoff_seconds=export.backoff_seconds,
                            sleep=sleep)
        session = TripletexSession(retrying, consumer_token=consumer_token, employee_token=employee_token,
                                   company_id=tripletex.company_id,
                                   token_variables=(tripletex.consumer_token_env, tripletex.employee_token_env))
        return cls(session, currency=export.currency, voucher_type=tripletex.voucher_type,
                   attach_statement=tripletex.attach_statement, page_size=page_size, today=today)

    def __enter__(self) -> TripletexConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.retrying.client.close()

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        """Post the vouchers in order, as bot.ports.VoucherPoster describes.

        Raises ErpUnavailable with the outcomes so far in ``done`` when
        Tripletex stays unreachable, and ConfigError when the company
        currency or the configured voucher type is missing in Tripletex or
        the tokens are rejected.
        """
        if not vouchers:
            return []
        self.lookup.clear()
        log.info("tripletex: posting %d vouchers to company %d", len(vouchers), self.session.company_id)
        outcomes: list[Posted | Rejected] = []
        try:
            currency_id = self._currency_id()
            voucher_type_id = self._voucher_type_id()
            for voucher in vouchers:
                outcomes.append(self._post_one(voucher, currency_id, voucher_type_id))
        except ErpUnavailable as exc:
            log.error("tripletex: stopped after %d of %d vouchers: %s", len(outcomes), len(vouchers), exc.reason)
            raise ErpUnavailable(self.name, exc.reason, outcomes) from exc

        posted = sum(isinstance(outcome, Posted) for outcome in outcomes)
        log.info("tripletex: %d vouchers posted, %d rejected", posted, len(outcomes) - posted)
        return outcomes

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        """Return the Tripletex voucher id of each of these voucher numbers that Tripletex holds.

        Each number is asked for at ``>externalVoucherNumber`` first, with
        one request per number. The numbers not found there are looked for
        in one listing of the vouchers dated in the last RECOVERY_DAYS days,
        one request per ``page_size`` vouchers, which for a company with many
        vouchers is the expensive part. A voucher dated before that is not
        found here, but ``post`` looks each voucher up again by its own date
        before it sends it, so it is not booked twice.

        Raises ConfigError when Tripletex rejects the lookup, such as for an
        employee token without access to vouchers.
        """
        today = self.today()
        try:
            return self._find(numbers, today - timedelta(days=RECOVERY_DAYS), today)
        except TripletexApiError as exc:
            raise _access_error(exc) from None

    def _find(self, numbers: Sequence[str], first_day: date, last_day: date) -> dict[str, str]:
        """Look the numbers up by externalVoucherNumber, then the rest among the vouchers of these dates."""
        ids = {number: self.lookup.vouchers_by_external_number(number) for number in numbers}
        missing = [number for number in numbers if not ids[number]]
        if missing:
            listed = self.lookup.vouchers_by_date(missing, first_day, last_day)
            for number, voucher_ids in listed.items():
                log.info("tripletex: voucher %s found as Tripletex voucher %s among the vouchers dated %s to %s, "
                         "but not by its externalVoucherNumber", number, ", ".join(map(str, sorted(voucher_ids))),
                         first_day.isoformat(), last_day.isoformat())
            ids.update(listed)

        found: dict[str, str] = {}
        for number, voucher_ids in ids.items():
            if len(voucher_ids) > 1:
                log.warning("tripletex: voucher %s is booked %d times, as Tripletex vouchers %s", number,
                            len(voucher_ids), ", ".join(map(str, sorted(voucher_ids))))
            if voucher_ids:
                found[number] = str(min(voucher_ids))
        return found

    def master_lists(self) -> list[ErpCode]:
        """Return all accounts, departments, projects and VAT types, inactive and closed ones included.

        A department or project without a number is left out, since an
        allocation refers to it by number. Raises ConfigError when Tripletex
        rejects reading a list.
        """
        try:
            return self._master_lists()
        except TripletexApiError as exc:
            raise _access_error(exc) from None

    def _master_lists(self) -> list[ErpCode]:
        codes = []
        for kind, register in REGISTERS.items():
            extra_field = INACTIVE_FLAGS.get(kind, "percentage")
            for entry in self.lookup.values(register.path, f"id,{register.number_field},name,{extra_field}"):
                number = entry.get(register.number_field)
                if number in (None, ""):
                    continue
                percentage = entry.get("percentage")
                codes.append(ErpCode(kind, str(number), entry.get("name") or "",
                                     active=not entry.get(INACTIVE_FLAGS.get(kind, ""), False),
                                     external_id=str(entry["id"]),
                                     rate=None if percentage is None else Decimal(percentage)))
        log.info("tripletex: read %d codes from company %d", len(codes), self.session.company_id)
        return codes

    def _post_one(self, voucher: Voucher, currency_id: int, voucher_type_id: int | None) -> Posted | Rejected:
        try:
            existing = self._find([voucher.number], voucher.date, voucher.date)
            if voucher.number in existing:
                log.info("tripletex: voucher %s is booked already, as Tripletex voucher %s", voucher.number,
                         existing[voucher.number])
                return Posted(voucher.number, existing[voucher.number])

            if voucher.currency != self.currency:
                message = (f"voucher currency {voucher.currency} is not the company currency {self.currency}, "
                           f"and the connector books company currency amounts only")
                log.warning("tripletex: voucher %s rejected before posting: %s", voucher.number, message)
                return Rejected(voucher.number, message, field="currency")

            ids_or_rejected = self._posting_ids(voucher)
            if isinstance(ids_or_rejected, Rejected):
                log.warning("tripletex: voucher %s rejected before posting: %s", voucher.number,
                            ids_or_rejected.message)
                return ids_or_rejected

            body = voucher_body(voucher, ids_or_rejected, currency_id=currency_id, voucher_type_id=voucher_type_id)
            outcome = self._create(voucher, body)
        except TripletexApiError as exc:
            log.warning("tripletex: voucher %s rejected (HTTP %d, request %s): %s", voucher.number, exc.status,
                        exc.request_id, exc.message)
            return Rejected(voucher.number, exc.message, exc.status, exc.field)

        if isinstance(outcome, Posted) and self.attach_statement:
            self._attach(voucher, outcome.external_id)
        return outcome

    def _posting_ids(self, voucher: Voucher) -> list[PostingIds] | Rejected:
        """Find the ids of every line's codes, or reject the voucher for the first code Tripletex lacks."""
        ids = []
        for index, line in enumerate(voucher.lines):
            problem = amount_error(line.amount)
            if problem:
                return Rejected(voucher.number, f"amount {line.amount} on account {line.account} {problem}",
                                field=f"postings[{index}].amountGross")

            found: dict[str, int | None] = {}
            for kind, code in (("account", line.account), ("vat_code", line.tax_code),
                               ("cost_center", line.cost_center), ("project", line.project)):
                if not code:
                    found[kind] = None
                    continue
                found[kind] = self.lookup.code_id(kind, code)
                if found[kind] is None:
                    return Rejected(voucher.number,
                                    f"{KIND_NAMES[kind]} {code} does not exist in Tripletex; create it there "
                                    f"or change the allocation",
                                    field=f"postings[{index}].{POSTING_FIELDS[kind]}")

            ids.append(PostingIds(account=found["account"], vat_type=found["vat_code"],
                                  department=found["cost_center"], project=found["project"]))
        return ids

    def _create(self, voucher: Voucher, body: dict[str, Any]) -> Posted:
        """POST the voucher, and after an unknown outcome post it again only if a lookup does not find it.

        Raises TripletexApiError for a 4xx response and ErpUnavailable when every attempt failed.
        """
        retrying = self.session.retrying
        reason = ""
        for attempt in range(1, retrying.attempts + 1):
            try:
                response = self.session.request("POST", VOUCHER_PATH, params={"sendToLedger": "true"}, json=body)
            except OutcomeUnknown as exc:
                reason = exc.reason
                # Waiting first gives a request that is still being processed time to finish.
                pause = retrying.backoff_seconds * 2 ** (attempt - 1)
                log.warning("tripletex: voucher %s: %s; looking it up in %.1f s before posting again "
                            "(attempt %d of %d)", voucher.number, reason, pause, attempt, retrying.attempts)
                retrying.sleep(pause)
                existing = self._find([voucher.number], voucher.date, voucher.date)
                if voucher.number in existing:
                    log.info("tripletex: voucher %s was booked, as Tripletex voucher %s", voucher.number,
                             existing[voucher.number])
                    return Posted(voucher.number, existing[voucher.number])
                continue

            if not response.is_success:
                raise api_error(response)
            voucher_id = str(read_json(response)["value"]["id"])
            log.info("tripletex: voucher %s booked as Tripletex voucher %s", voucher.number, voucher_id)
            return Posted(voucher.number, voucher_id)

        raise ErpUnavailable(self.name, f"voucher {voucher.number} not booked after {retrying.attempts} attempts: "
                                        f"{reason}")

    def _attach(self, voucher: Voucher, voucher_id: str) -> None:
        """Attach the voucher's statement files of a type Tripletex accepts, and log and keep each failure."""
        for path in voucher.attachments:
            media_type = ATTACHMENT_TYPES.get(path.suffix.lower())
            if media_type is None:
                log.info("tripletex: voucher %s: %s is not PDF, PNG, JPEG or TIFF; not attached", voucher.number,
                         path.name)
                continue
            if not path.is_file():
                log.warning("tripletex: voucher %s: statement file %s not found; not attached", voucher.number, path)
                continue

            reason = self._upload(voucher_id, path, media_type)
            if reason is None:
                log.info("tripletex: voucher %s: attached %s to Tripletex voucher %s", voucher.number, path.name,
                         voucher_id)
                continue
            log.error("tripletex: voucher %s is booked as Tripletex voucher %s, but attaching %s failed: %s; "
                      "attach the file in Tripletex by hand", voucher.number, voucher_id, path, reason)
            self.attachment_failures.append(AttachmentFailure(voucher.number, voucher_id, path, reason))

    def _upload(self, voucher_id: str, path: Path, media_type: str) -> str | None:
        """Send one file and return why it failed, None when Tripletex took it."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            return f"cannot read the file: {exc.strerror}"

        try:
            response = self.session.request("POST", ATTACHMENT_PATH.format(voucher_id=voucher_id),
                                            files={"file": (path.name, content, media_type)})
        except (OutcomeUnknown, ErpUnavailable) as exc:
            return exc.reason
        if not response.is_success:
            return str(api_error(response))
        return None

    def _currency_id(self) -> int:
        currency_id = self.lookup.currency_id(self.currency)
        if currency_id is None:
            raise ConfigError("Tripletex", N_("currency {currency} not found in Tripletex"),
                              fix=N_("set export.currency to the company's currency"), currency=self.currency)
        return currency_id

    def _voucher_type_id(self) -> int | None:
        if not self.voucher_type:
            return None
        voucher_type_id = self.lookup.voucher_type_id(self.voucher_type)
        if voucher_type_id is None:
            raise ConfigError("Tripletex", N_("voucher type {name} not found in Tripletex"),
                              fix=N_("set export.tripletex.voucher_type to the name of a voucher type in Tripletex, "
                                     "or leave it empty"),
                              name=repr(self.voucher_type))
        return voucher_type_id


def _access_error(exc: TripletexApiError) -> ConfigError:
    log.error("tripletex: GET %s rejected (HTTP %d, request %s): %s", exc.path, exc.status, exc.request_id,
              exc.message)
    return ConfigError("Tripletex", N_("Tripletex rejected reading {path} (HTTP {status}): {reason}"),
                       fix=N_("check the entitlements of the employee token under API access in Tripletex"),
                       path=exc.path, status=exc.status, reason=exc.message)


def _required_token(source: str | Path, variable: str, key: str, fix: str) -> str:
    token = environment_secret(variable)
    if token is None:
        raise ConfigError(source, N_("environment variable {variable} is not set"), location=N_("key {key}"),
                          key=key, fix=fix, variable=variable)
    return token
