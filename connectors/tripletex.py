"""Posting vouchers to Tripletex through its REST API v2, and reading its lists.

Each voucher is looked up by its number and date before it is posted. A
voucher found there counts as posted when its date and postings match, so
a voucher booked by an earlier run that crashed before recording the
booking is not booked again. When they differ, the voucher is rejected,
because another database numbered other allocations the same way
(`connectors.tripletex_booked`). The number is sent as
externalVoucherNumber and at the start of the voucher's description.

The codes of the lines are turned into Tripletex ids next, and each line
is checked against the rules of its account (`connectors.tripletex_accounts`).
A code Tripletex does not have, or a rule a line breaks, rejects the
voucher before anything is sent for it.

A POST is sent once per run. After one whose outcome is unknown (a timeout
or a 5xx response) the voucher is looked up once. When Tripletex does not
show it, ErpUnavailable ends the run with the voucher unresolved, and the
next run looks it up again before it sends it.

After the voucher is booked, its statement files are attached to it.
Failing to attach a file does not undo the booking: the voucher counts as
posted, with the failure in the note of its outcome.

Setup and behaviour for administrators: docs/erp-tripletex.md.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
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
from connectors.tripletex_accounts import RuleViolation, apply_account_rules
from connectors.tripletex_attachments import attach_statement_files
from connectors.tripletex_booked import content_difference
from connectors.tripletex_lookup import PAGE_SIZE, REGISTERS, VOUCHER_PATH, TripletexLookup
from connectors.tripletex_session import TripletexApiError, TripletexSession, api_error, read_json
from connectors.tripletex_voucher import PostingIds, amount_error, voucher_body

log = logging.getLogger(__name__)

# How many days back `find` lists vouchers for the numbers that >externalVoucherNumber does not find.
# post() still finds a voucher dated earlier, because it looks each voucher up by its own date.
RECOVERY_DAYS = 400

KIND_NAMES = {"account": "account", "vat_code": "VAT code", "cost_center": "cost center", "project": "project"}
POSTING_FIELDS = {"account": "account", "vat_code": "vatType", "cost_center": "department", "project": "project"}
# The field that marks an entry as no longer in use, by kind. VAT types have no such field.
INACTIVE_FLAGS = {"account": "isInactive", "cost_center": "isInactive", "project": "isClosed"}


class TripletexConnector:
    """Posts vouchers to one Tripletex company and reads its accounts, departments, projects and VAT types."""

    name = "tripletex"

    def __init__(self, session: TripletexSession, *, currency: str, voucher_type: str = "",
                 card_supplier_number: str = "", attach_statement: bool = True, page_size: int = PAGE_SIZE,
                 today: Callable[[], date] = date.today):
        """Set up the connector. ``card_supplier_number`` is the card issuer's supplier number, or empty for none."""
        self.session = session
        self.lookup = TripletexLookup(session, page_size=page_size)
        self.currency = currency
        self.voucher_type = voucher_type
        self.card_supplier_number = card_supplier_number
        self.attach_statement = attach_statement
        self.today = today

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
        card_supplier_number = tripletex.card_supplier_number.strip()
        return cls(session, currency=export.currency, voucher_type=tripletex.voucher_type,
                   card_supplier_number=card_supplier_number, attach_statement=tripletex.attach_statement,
                   page_size=page_size, today=today)

    def __enter__(self) -> TripletexConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.retrying.client.close()

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        """Post the vouchers in order, as bot.ports.VoucherPoster describes.

        Raises ErpUnavailable with the outcomes so far in ``done`` when
        Tripletex stays unreachable or a POST's outcome stays unknown.
        Raises ConfigError when the company currency, the configured voucher
        type or the card issuer's supplier is missing in Tripletex, or when
        Tripletex rejects the tokens.
        """
        if not vouchers:
            return []
        self.lookup.clear()
        log.info("tripletex: posting %d vouchers to company %d", len(vouchers), self.session.company_id)
        outcomes: list[Posted | Rejected] = []
        try:
            currency_id, voucher_type_id, card_supplier_id = self._configured_ids()
            for voucher in vouchers:
                outcomes.append(self._post_one(voucher, currency_id, voucher_type_id, card_supplier_id))
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

    def _post_one(self, voucher: Voucher, currency_id: int, voucher_type_id: int | None,
                  card_supplier_id: int | None) -> Posted | Rejected:
        try:
            existing = self._find([voucher.number], voucher.date, voucher.date)
            if voucher.number in existing:
                return self._compare_booked(voucher, existing[voucher.number])

            if voucher.currency != self.currency:
                message = (f"voucher currency {voucher.currency} is not the company currency {self.currency}, "
                           f"and the connector books company currency amounts only")
                log.warning("tripletex: voucher %s rejected before posting: %s", voucher.number, message)
                return Rejected(voucher.number, message, field="currency")

            ids_or_rejected = self._posting_ids(voucher, card_supplier_id)
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

        if self.attach_statement:
            note = attach_statement_files(self.session, voucher, outcome.external_id)
            outcome = replace(outcome, note=note)
        return outcome

    def _compare_booked(self, voucher: Voucher, voucher_id: str) -> Posted | Rejected:
        """Return Posted when the voucher Tripletex has under this number is this one, Rejected when it differs.

        Raises ErpUnavailable when Tripletex rejects reading that voucher,
        because a Rejected outcome would free the allocations of a voucher
        that may be booked.
        """
        try:
            booked = self.lookup.booked_voucher(voucher_id)
        except TripletexApiError as exc:
            log.error("tripletex: voucher %s: reading Tripletex voucher %s failed (HTTP %d, request %s): %s",
                      voucher.number, voucher_id, exc.status, exc.request_id, exc.message)
            raise ErpUnavailable(self.name, f"voucher {voucher.number} is booked as Tripletex voucher {voucher_id}, "
                                            f"but reading that voucher failed (HTTP {exc.status}): "
                                            f"{exc.message}") from exc

        difference = content_difference(voucher, booked)
        if difference is None:
            log.info("tripletex: voucher %s is booked already, as Tripletex voucher %s", voucher.number, voucher_id)
            return Posted(voucher.number, voucher_id)

        message = (f"Tripletex already has voucher id {voucher_id} with number {voucher.number}, but with other "
                   f"content: it is {difference}. This voucher was not sent. The usual cause is another allocbot "
                   f"database that posts to this Tripletex company, such as a restored backup or a second "
                   f"installation. Check voucher id {voucher_id} in Tripletex")
        log.error("tripletex: voucher %s rejected: %s", voucher.number, message)
        return Rejected(voucher.number, message, field="externalVoucherNumber")

    def _posting_ids(self, voucher: Voucher, card_supplier_id: int | None) -> list[PostingIds] | Rejected:
        """Find the ids of every line's codes, or reject the voucher for the first code or account rule that fails."""
        ids = []
        for index, line in enumerate(voucher.lines):
            problem = amount_error(line.amount)
            if problem:
                return Rejected(voucher.number, f"amount {line.amount} on account {line.account} {problem}",
                                field=f"postings[{index}].amountGross")

            account = self.lookup.account(line.account)
            if account is None:
                return _unknown_code(voucher, index, "account", line.account)

            found: dict[str, int | None] = {}
            for kind, code in (("vat_code", line.tax_code), ("cost_center", line.cost_center),
                               ("project", line.project)):
                found[kind] = self.lookup.code_id(kind, code) if code else None
                if code and found[kind] is None:
                    return _unknown_code(voucher, index, kind, code)

            line_ids = PostingIds(account=account.id, vat_type=found["vat_code"], department=found["cost_center"],
                                  project=found["project"])
            ruled = apply_account_rules(account, line, line_ids, card_supplier_id)
            if isinstance(ruled, RuleViolation):
                return Rejected(voucher.number, ruled.message, field=f"postings[{index}].{ruled.field}")
            ids.append(ruled)
        return ids

    def _create(self, voucher: Voucher, body: dict[str, Any]) -> Posted:
        """POST the voucher once, and after an unknown outcome look it up instead of posting it again.

        A slow Tripletex can book a request after the client gave up on it,
        even after the lookup, so a second POST in the same run could book
        the voucher twice. When the lookup does not find the voucher,
        ErpUnavailable leaves it "sending", and the next run looks it up
        again before it sends it. Raises TripletexApiError for a 4xx
        response to the POST.
        """
        try:
            response = self.session.request("POST", VOUCHER_PATH, params={"sendToLedger": "true"}, json=body)
        except OutcomeUnknown as exc:
            return self._look_up_unknown_outcome(voucher, exc.reason)

        if not response.is_success:
            raise api_error(response)
        voucher_id = str(read_json(response)["value"]["id"])
        log.info("tripletex: voucher %s booked as Tripletex voucher %s", voucher.number, voucher_id)
        return Posted(voucher.number, voucher_id)

    def _look_up_unknown_outcome(self, voucher: Voucher, reason: str) -> Posted:
        """Return Posted when Tripletex shows the voucher after a pause, and raise ErpUnavailable when it does not."""
        pause = self.session.retrying.backoff_seconds
        log.warning("tripletex: voucher %s: %s; looking it up in %.1f s, and it will not be posted again in this run",
                    voucher.number, reason, pause)
        # The pause gives a request that Tripletex is still processing time to finish.
        self.session.retrying.sleep(pause)

        try:
            existing = self._find([voucher.number], voucher.date, voucher.date)
        except TripletexApiError as exc:
            log.error("tripletex: voucher %s: lookup after %s failed (HTTP %d, request %s): %s", voucher.number,
                      reason, exc.status, exc.request_id, exc.message)
            raise ErpUnavailable(self.name, f"voucher {voucher.number}: {reason}, and looking it up failed "
                                            f"(HTTP {exc.status}): {exc.message}; it may be booked, so the next "
                                            f"run looks it up again") from exc
        if voucher.number in existing:
            log.info("tripletex: voucher %s was booked, as Tripletex voucher %s", voucher.number,
                     existing[voucher.number])
            return Posted(voucher.number, existing[voucher.number])

        raise ErpUnavailable(self.name, f"voucher {voucher.number}: {reason}, and Tripletex did not show it "
                                        f"{pause:.1f} s later; it may still be booked, so the next run looks it up "
                                        f"again before it sends it")

    def _configured_ids(self) -> tuple[int, int | None, int | None]:
        """Return the ids of the company currency, the voucher type and the card issuer's supplier, as configured.

        Raises ConfigError when one is missing in Tripletex or Tripletex rejects the lookup.
        """
        try:
            return self._currency_id(), self._voucher_type_id(), self._card_supplier_id()
        except TripletexApiError as exc:
            raise _access_error(exc) from None

    def _card_supplier_id(self) -> int | None:
        """Return the id of the card issuer's supplier, None when export.tripletex.card_supplier_number is empty."""
        if not self.card_supplier_number:
            return None
        supplier_id = self.lookup.supplier_id(self.card_supplier_number)
        if supplier_id is None:
            raise ConfigError("Tripletex", N_("supplier number {number} not found in Tripletex"),
                              fix=N_("set export.tripletex.card_supplier_number to the supplier number of the card "
                                     "issuer in Tripletex, or leave it empty"),
                              number=self.card_supplier_number)
        return supplier_id

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


def _unknown_code(voucher: Voucher, index: int, kind: str, code: str) -> Rejected:
    return Rejected(voucher.number, f"{KIND_NAMES[kind]} {code} does not exist in Tripletex; create it there, "
                                    f"then run allocbot post --retry-rejected", field=f"postings[{index}].{POSTING_FIELDS[kind]}")


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
