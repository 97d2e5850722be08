"""The posting run: finish what an earlier run left sending, claim new vouchers, send them, store each outcome.

1. Recovery. Vouchers that a crash or an unreachable ERP left "sending"
   are looked up in the ERP by number. A voucher found there is marked
   posted. The others are sent again with their stored content and
   number.
2. Code check and claim. New vouchers are built from the approved
   allocations without a posting, and those whose codes pass the check
   are stored with their postings. The claim is committed before anything
   is sent, so a crash during sending leaves the vouchers "sending", never
   unrecorded.
3. Sending. The recovered and the new vouchers go to the connector
   together, and each outcome is stored in a transaction of its own.

A run holds the store's posting lock throughout (see
``bot.store.posting_lock``). A dry run builds and checks the vouchers of
step 2 the same way, but stores nothing, sends nothing and needs no lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.config import Settings
from bot.i18n import Translator
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher, VoucherPoster
from bot.posting.build import VoucherDraft, VoucherOptions, build_vouchers
from bot.posting.codes import CodeLists, CodeProblem, check_codes
from bot.posting.payload import voucher_from_payload, voucher_payload
from bot.store.codes import master_data_codes, replace_erp_codes, vat_rates
from bot.store.database import Store
from bot.store.posting_lock import posting_lock
from bot.store.postings import (
    add_voucher,
    card_lines,
    claim_allocations,
    count_attempt,
    record_posted,
    record_rejected,
    sending_vouchers,
    statement_files,
    unposted_allocations,
    voucher_allocations,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoucherOutcome:
    """The outcome of one voucher in a run.

    ``status`` is "posted", "rejected", or "sending" when the ERP could not
    be reached and the next run looks the voucher up. ``found`` marks a
    voucher of an earlier run that the ERP held already, so nothing was
    sent.
    """

    voucher: Voucher
    allocation_ids: tuple[int, ...]
    status: str
    external_id: str | None = None
    message: str | None = None
    found: bool = False


@dataclass(frozen=True)
class HeldBack:
    """A voucher that was not claimed or sent because some of its codes are unknown or inactive."""

    draft: VoucherDraft
    problems: tuple[CodeProblem, ...]


@dataclass
class PostingResult:
    """The outcome of a posting run, for the summary a user reads.

    ``lists_from`` is the connector whose lists the codes were checked
    against, or None for the master data. A dry run fills ``drafts`` with
    the vouchers a real run would send, and ``waiting`` with the number of
    vouchers left "sending" that a real run would look up first.
    ``elsewhere`` lists the numbers of vouchers left "sending" by another
    connector, which this one cannot look up. ``unavailable`` is the reason
    the ERP could not be reached.
    """

    connector: str
    dry_run: bool = False
    lists_from: str | None = None
    drafts: list[VoucherDraft] = field(default_factory=list)
    outcomes: list[VoucherOutcome] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    waiting: int = 0
    elsewhere: list[str] = field(default_factory=list)
    unavailable: str | None = None

    def with_status(self, status: str) -> list[VoucherOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def failed(self) -> bool:
        """Whether anything needs a person: a held back, rejected or unsent voucher, or an unreachable ERP."""
        unfinished = any(outcome.status != "posted" for outcome in self.outcomes)
        return bool(self.held_back or self.elsewhere or self.unavailable or unfinished)


@dataclass(frozen=True)
class _Sending:
    """A claimed voucher on its way to the connector."""

    voucher_id: int
    voucher: Voucher
    allocation_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Lists:
    """The code lists of a run, and the VAT percents the ERP lists (none for the master data)."""

    codes: CodeLists
    erp_rates: dict[str, Decimal]


def run_posting(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator, *,
                dry_run: bool = False) -> PostingResult:
    """Post the approved allocations without a posting, after finishing what earlier runs left sending.

    Raises what the connector raises besides ErpUnavailable, such as an
    export folder that cannot be written. The vouchers being sent then
    stay "sending", and the next run looks them up before it sends them
    again.
    """
    result = PostingResult(poster.name, dry_run=dry_run)
    log.info("posting run started: connector %s, grouping %s%s", poster.name, settings.export.grouping,
             ", dry run" if dry_run else "")
    if dry_run:
        _dry_run(store, poster, settings, translator, result)
    else:
        with posting_lock(store):
            _post(store, poster, settings, translator, result)

    log.info("posting run finished: %d posted, %d rejected, %d still sending, %d held back%s",
             len(result.with_status("posted")), len(result.with_status("rejected")),
             len(result.with_status("sending")), len(result.held_back),
             f", {result.unavailable}" if result.unavailable else "")
    return result


def _post(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator,
          result: PostingResult) -> None:
    try:
        lists = _code_lists(store, poster, settings, result, keep=True)
        resend = _recover(store, poster, result)
    except ErpUnavailable as error:
        _unavailable(result, error)
        return

    ready = _build_and_check(store, settings, translator, lists, result)
    claimed = _claim(store, poster.name, ready)
    _send(store, poster, resend + claimed, result)


def _dry_run(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator,
             result: PostingResult) -> None:
    try:
        lists = _code_lists(store, poster, settings, result, keep=False)
    except ErpUnavailable as error:
        _unavailable(result, error)
        return

    with store.session() as session:
        sending = sending_vouchers(session)
    result.waiting = sum(row.connector == poster.name for row in sending)
    result.elsewhere = [row.number for row in sending if row.connector != poster.name]
    result.drafts = _build_and_check(store, settings, translator, lists, result)


def _code_lists(store: Store, poster: VoucherPoster, settings: Settings, result: PostingResult, *,
                keep: bool) -> _Lists:
    """Read the lists the codes are checked against: the ERP's, stored when ``keep``, else the master data's."""
    read_lists = getattr(poster, "master_lists", None)
    if read_lists is None:
        with store.session() as session:
            codes = master_data_codes(session)
        configured = (settings.export.card_account, settings.policy.private_account)
        return _Lists(CodeLists.from_master_data(codes, configured), {})

    entries: list[ErpCode] = read_lists()
    log.info("read %d list entries from %s", len(entries), poster.name)
    if keep:
        with store.session() as session:
            replace_erp_codes(session, poster.name, entries)
    result.lists_from = poster.name
    rates = {entry.code: entry.rate for entry in entries if entry.kind == "vat_code" and entry.rate is not None}
    return _Lists(CodeLists.from_erp(poster.name, entries), rates)


def _recover(store: Store, poster: VoucherPoster, result: PostingResult) -> list[_Sending]:
    """Mark posted the sending vouchers that the ERP holds, and return the others to be sent again."""
    pending: list[_Sending] = []
    with store.session() as session:
        for row in sending_vouchers(session):
            if row.connector != poster.name:
                result.elsewhere.append(row.number)
                continue
            allocation_ids = tuple(allocation_id for allocation_id, _ in voucher_allocations(session, row.id))
            pending.append(_Sending(row.id, voucher_from_payload(row.payload), allocation_ids))
    if result.elsewhere:
        log.warning("vouchers %s were left sending by another connector; %s cannot look them up",
                    ", ".join(result.elsewhere), poster.name)
    if not pending:
        return []

    numbers = [entry.voucher.number for entry in pending]
    log.info("looking up %d vouchers left sending by an earlier run: %s", len(numbers), ", ".join(numbers))
    found = poster.find(numbers)

    resend = []
    for entry in pending:
        external_id = found.get(entry.voucher.number)
        if external_id is None:
            log.info("voucher %s is not in %s; sending it again (allocations %s)", entry.voucher.number,
                     poster.name, list(entry.allocation_ids))
            resend.append(entry)
            continue
        with store.session() as session:
            record_posted(session, entry.voucher_id, external_id)
        result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "posted", external_id, found=True))
    return resend


def _build_and_check(store: Store, settings: Settings, translator: Translator, lists: _Lists,
                     result: PostingResult) -> list[VoucherDraft]:
    """Build the vouchers of the unposted allocations; hold back those with bad codes, return the others."""
    with store.session() as session:
        allocations = unposted_allocations(session)
        cards = card_lines(session, {allocation.item.card_transaction_id for allocation in allocations
                                     if allocation.item.card_transaction_id is not None})
        statements = statement_files(session, {card.document_id for card in cards.values()})
        rates = vat_rates(session)

    export = settings.export
    options = VoucherOptions(export.grouping, export.card_account, export.currency,
                             {**lists.erp_rates, **rates}, translator)
    ready = []
    for draft in build_vouchers(allocations, cards, statements, options):
        problems = check_codes(draft, lists.codes)
        if not problems:
            ready.append(draft)
            continue
        result.held_back.append(HeldBack(draft, tuple(problems)))
        log.warning("voucher of allocations %s held back: %s", list(draft.allocation_ids),
                    "; ".join(f"{problem.kind} {problem.code} {problem.state}" for problem in problems))
    return ready


def _claim(store: Store, connector: str, drafts: Sequence[VoucherDraft]) -> list[_Sending]:
    """Store the vouchers and their postings, and commit before any of them is sent."""
    claimed = []
    with store.session() as session:
        for draft in drafts:
            row = add_voucher(session, connector=connector, grouping=draft.grouping, document_id=draft.document_id,
                              voucher_date=draft.voucher.date)
            voucher = replace(draft.voucher, number=row.number)
            row.payload = voucher_payload(voucher)
            if not claim_allocations(session, row, list(draft.allocation_ids)):
                continue
            claimed.append(_Sending(row.id, voucher, draft.allocation_ids))
            log.info("claimed voucher %s for allocations %s", row.number, list(draft.allocation_ids))
    return claimed


def _send(store: Store, poster: VoucherPoster, sending: list[_Sending], result: PostingResult) -> None:
    if not sending:
        return
    with store.session() as session:
        count_attempt(session, [entry.voucher_id for entry in sending])

    numbers = ", ".join(entry.voucher.number for entry in sending)
    log.info("sending %d vouchers via %s: %s", len(sending), poster.name, numbers)
    try:
        outcomes = poster.post([entry.voucher for entry in sending])
    except ErpUnavailable as error:
        _record(store, sending, error.done, result)
        _unavailable(result, error)
        return
    except Exception:
        # NOTE: a voucher the connector cannot take at all (DATEV's account length, say) fails again on
        # every run with its stored content, and no command releases it yet.
        log.exception("connector %s failed while sending vouchers %s; they stay sending for the next run",
                      poster.name, numbers)
        raise
    _record(store, sending, outcomes, result)


def _record(store: Store, sending: list[_Sending], outcomes: Sequence[Posted | Rejected],
            result: PostingResult) -> None:
    """Store each outcome in a transaction of its own; a voucher without one stays sending."""
    by_number = {entry.voucher.number: entry for entry in sending}
    answered = set()
    for outcome in outcomes:
        entry = by_number.get(outcome.number)
        if entry is None or outcome.number in answered:
            log.error("connector returned an outcome for voucher %s, which was not sent or has an outcome already",
                      outcome.number)
            continue
        answered.add(outcome.number)
        with store.session() as session:
            if isinstance(outcome, Posted):
                record_posted(session, entry.voucher_id, outcome.external_id)
                result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "posted",
                                                      outcome.external_id))
            else:
                message = _rejection_text(outcome)
                record_rejected(session, entry.voucher_id, message)
                result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "rejected",
                                                      message=message))

    for entry in sending:
        if entry.voucher.number not in answered:
            log.error("voucher %s got no outcome from the connector; it stays sending, and the next run looks it up "
                      "first", entry.voucher.number)
            result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "sending"))


def _rejection_text(rejected: Rejected) -> str:
    """Return the ERP's message with its field and HTTP status, such as "no account (postings[2].account, HTTP 422)"."""
    details = [part for part in (rejected.field, f"HTTP {rejected.status}" if rejected.status else None) if part]
    return f"{rejected.message} ({', '.join(details)})" if details else rejected.message


def _unavailable(result: PostingResult, error: ErpUnavailable) -> None:
    log.error("%s unreachable: %s; the vouchers being sent stay sending for the next run", error.connector,
              error.reason)
    result.unavailable = error.reason
