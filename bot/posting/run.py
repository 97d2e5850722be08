"""The posting run: finish what an earlier run left sending, claim new vouchers, send them, store each outcome.

0. Release. With ``retry_rejected``, the allocations of rejected vouchers
   that a controller has corrected are freed for this run (see
   ``bot.store.postings``). Without it they stay on their rejected voucher.
1. Recovery. Vouchers that a crash, an unreachable ERP or a failing
   connector left "sending" are looked up in the ERP by number. A voucher
   found there is marked posted. The others are sent again with their
   stored content and number, in a batch of their own, so that a voucher
   the connector fails on does not hold up the new ones.
2. Code check and claim. New vouchers are built from the approved
   allocations without a posting. Those whose codes pass the check are
   stored with their postings, and the card lines or item vouchers with a
   bad code are held back (see ``bot.posting.codes``). The claim is
   committed before anything is sent, so a crash during sending leaves
   the vouchers "sending", never unrecorded.
3. Sending. The new vouchers go to the connector in one batch, and each
   outcome is stored in a transaction of its own.

An exception from the connector other than ErpUnavailable and ConfigError
is logged and reported in ``PostingResult.failures``; the vouchers it
concerned stay "sending". A run holds the store's posting lock throughout
(see ``bot.store.posting_lock``). A dry run builds and checks the vouchers
of step 2 the same way, but stores nothing, sends nothing and needs no
lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlmodel import Session

from bot.config import Settings
from bot.errors import AllocbotError, ConfigError, UsageError
from bot.failpoints import failpoint
from bot.i18n import N_, Translator
from bot.ports import ErpCode, ErpUnavailable, Posted, Rejected, Voucher, VoucherPoster
from bot.posting.build import VoucherDraft, VoucherOptions
from bot.posting.codes import CodeLists, CodeProblem, build_checked_vouchers
from bot.posting.payload import voucher_from_payload, voucher_payload
from bot.records import BOT_ACTOR
from bot.store.codes import master_data_codes, replace_erp_codes, vat_rates
from bot.store.database import Store
from bot.store.models import VoucherRow, utc_now
from bot.store.posting_lock import posting_lock
from bot.store.postings import (
    abandon_voucher,
    add_voucher,
    card_lines,
    claim_allocations,
    count_attempt,
    record_posted,
    record_rejected,
    release_rejected,
    sending_vouchers,
    statement_files,
    unposted_allocations,
    voucher_allocations,
    voucher_by_number,
    waiting_rejections,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoucherOutcome:
    """The outcome of one voucher in a run.

    ``status`` is "posted", "rejected", or "sending" when the ERP could not
    be reached or the connector failed, and the next run looks the voucher
    up. ``found`` marks a voucher of an earlier run that the ERP held
    already, so nothing was sent. ``message`` is the ERP's reason for a
    rejection, and ``note`` what the ERP did not take of a posted voucher.
    """

    voucher: Voucher
    allocation_ids: tuple[int, ...]
    status: str
    external_id: str | None = None
    message: str | None = None
    found: bool = False
    note: str = ""


@dataclass(frozen=True)
class HeldBack:
    """A voucher that was not claimed or sent because some of its codes are unknown or inactive."""

    draft: VoucherDraft
    problems: tuple[CodeProblem, ...]


@dataclass(frozen=True)
class WaitingRejection:
    """A voucher rejected by an earlier run, whose allocations wait for ``allocbot post --retry-rejected``."""

    voucher: Voucher
    connector: str
    message: str


@dataclass(frozen=True)
class ConnectorFailure:
    """An exception other than ErpUnavailable and ConfigError that the connector raised.

    ``step`` is "lists" (reading its code lists), "lookup" (looking up
    vouchers left sending) or "send". ``numbers`` are the vouchers of that
    step, which stay "sending", and ``reason`` is the error's text.
    """

    step: str
    numbers: tuple[str, ...]
    reason: str


@dataclass
class PostingResult:
    """The outcome of a posting run, for the summary a user reads.

    ``lists_from`` is the connector whose lists the codes were checked
    against, or None for the master data. A dry run fills ``drafts`` with
    the vouchers a real run would send, and ``waiting`` with the number of
    vouchers left "sending" that a real run would look up first.
    ``elsewhere`` lists the numbers of vouchers left "sending" by another
    connector, which this one cannot look up. ``unavailable`` is the reason
    the ERP could not be reached. ``rejections`` are the vouchers rejected
    by earlier runs that still wait for a controller, and ``released`` the
    numbers of rejected vouchers whose allocations this run freed.
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
    failures: list[ConnectorFailure] = field(default_factory=list)
    rejections: list[WaitingRejection] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def with_status(self, status: str) -> list[VoucherOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def failed(self) -> bool:
        """Whether anything needs a person: a held back, rejected or unsent voucher, an unreachable ERP or a failure."""
        unfinished = any(outcome.status != "posted" for outcome in self.outcomes)
        return bool(self.held_back or self.elsewhere or self.unavailable or self.failures or self.rejections
                    or unfinished)


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
                dry_run: bool = False, retry_rejected: bool | str = False, actor: str = BOT_ACTOR) -> PostingResult:
    """Post the approved allocations without a posting, after finishing what earlier runs left sending.

    ``retry_rejected`` first frees the allocations of the rejected vouchers
    that wait for a controller: True for all of them, or the number of
    one. ``actor`` is the person who asked for it, for the audit log.
    Raises UsageError for a number that is no rejected voucher waiting.
    Raises ConfigError where the connector raises it. The vouchers being
    sent then stay "sending", and the next run looks them up before it
    sends them again. Every other exception of the connector is caught
    and listed in ``PostingResult.failures``.
    """
    if dry_run and retry_rejected:
        raise ValueError("a dry run releases no rejected vouchers")
    result = PostingResult(poster.name, dry_run=dry_run)
    log.info("posting run started: connector %s, grouping %s%s", poster.name, settings.export.grouping,
             ", dry run" if dry_run else "")
    if dry_run:
        _dry_run(store, poster, settings, translator, result)
    else:
        with posting_lock(store):
            if retry_rejected:
                _release(store, retry_rejected, actor, result)
            _post(store, poster, settings, translator, result)
    _list_waiting_rejections(store, result)

    log.info("posting run finished: %d posted, %d rejected, %d still sending, %d held back, %d rejected earlier "
             "and waiting, %d connector failures%s",
             len(result.with_status("posted")), len(result.with_status("rejected")),
             len(result.with_status("sending")), len(result.held_back), len(result.rejections),
             len(result.failures), f", {result.unavailable}" if result.unavailable else "")
    return result


def _post(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator,
          result: PostingResult) -> None:
    lists = _code_lists(store, poster, settings, translator, result, keep=True)
    if lists is None:
        return
    resend = _recover(store, poster, translator, result)
    if resend is None or not _send(store, poster, translator, resend, result):
        # The ERP could not be reached, so new vouchers would only wait as "sending".
        return

    ready = _build_and_check(store, settings, translator, lists, result)
    claimed = _claim(store, poster.name, ready)
    if claimed:
        failpoint("posting.after_claim")
    _send(store, poster, translator, claimed, result)


def _dry_run(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator,
             result: PostingResult) -> None:
    lists = _code_lists(store, poster, settings, translator, result, keep=False)
    if lists is None:
        return

    with store.session() as session:
        sending = sending_vouchers(session)
    result.waiting = sum(row.connector == poster.name for row in sending)
    result.elsewhere = [row.number for row in sending if row.connector != poster.name]
    result.drafts = _build_and_check(store, settings, translator, lists, result)


def _code_lists(store: Store, poster: VoucherPoster, settings: Settings, translator: Translator,
                result: PostingResult, *, keep: bool) -> _Lists | None:
    """Read the lists the codes are checked against: the ERP's, stored when ``keep``, else the master data's.

    Returns None when the connector could not read them, and ``result`` then gives the reason.
    """
    read_lists = getattr(poster, "master_lists", None)
    if read_lists is None:
        with store.session() as session:
            codes = master_data_codes(session)
        configured = (settings.export.card_account, settings.policy.private_account)
        return _Lists(CodeLists.from_master_data(codes, configured), {})

    try:
        entries: list[ErpCode] = read_lists()
    except ErpUnavailable as error:
        _unavailable(result, error)
        return None
    except ConfigError:
        raise
    except Exception as error:
        _connector_failed(result, poster.name, "lists", (), error, translator)
        return None
    log.info("read %d list entries from %s", len(entries), poster.name)

    if keep:
        with store.session() as session:
            replace_erp_codes(session, poster.name, entries)
    result.lists_from = poster.name
    rates = {entry.code: entry.rate for entry in entries if entry.kind == "vat_code" and entry.rate is not None}
    return _Lists(CodeLists.from_erp(poster.name, entries), rates)


def _recover(store: Store, poster: VoucherPoster, translator: Translator,
             result: PostingResult) -> list[_Sending] | None:
    """Mark posted the sending vouchers that the ERP holds, and return the others to be sent again.

    Returns None when the ERP could not be reached, and no vouchers when
    the connector failed on the lookup. ``result`` then gives the reason.
    """
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

    numbers = tuple(entry.voucher.number for entry in pending)
    log.info("looking up %d vouchers left sending by an earlier run: %s", len(numbers), ", ".join(numbers))
    try:
        found = poster.find(list(numbers))
    except ErpUnavailable as error:
        _unavailable(result, error)
        return None
    except ConfigError:
        raise
    except Exception as error:
        _connector_failed(result, poster.name, "lookup", numbers, error, translator)
        return []

    resend = []
    for entry in pending:
        external_id = found.get(entry.voucher.number)
        if external_id is None:
            log.info("voucher %s is not in %s; sending it again (allocations %s)", entry.voucher.number,
                     poster.name, list(entry.allocation_ids))
            resend.append(entry)
            continue
        # NOTE: find() returns ids only, so a voucher found here is not compared with the stored content
        # as post() does. A number reused by a restored database is taken as booked on this path.
        with store.session() as session:
            record_posted(session, entry.voucher_id, external_id)
        result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "posted", external_id, found=True))
    return resend


def _build_and_check(store: Store, settings: Settings, translator: Translator, lists: _Lists,
                     result: PostingResult) -> list[VoucherDraft]:
    """Build the vouchers of the unposted allocations; hold back the parts with bad codes, return the others."""
    with store.session() as session:
        allocations = unposted_allocations(session)
        cards = card_lines(session, {allocation.item.card_transaction_id for allocation in allocations
                                     if allocation.item.card_transaction_id is not None})
        statements = statement_files(session, {card.document_id for card in cards.values()})
        rates = vat_rates(session)

    # The ERP books with its own rates, so a rate it lists wins over the master data's.
    export = settings.export
    options = VoucherOptions(export.grouping, export.card_account, export.currency,
                             {**rates, **lists.erp_rates}, translator, vat_in_price=export.vat_in_price)
    checked = build_checked_vouchers(allocations, cards, statements, options, lists.codes)
    for draft, problems in checked.held_back:
        result.held_back.append(HeldBack(draft, problems))
        log.warning("voucher of allocations %s held back: %s", list(draft.allocation_ids),
                    "; ".join(f"{problem.kind} {problem.code} {problem.state}" for problem in problems))
    return checked.ready


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


def _send(store: Store, poster: VoucherPoster, translator: Translator, sending: list[_Sending],
          result: PostingResult) -> bool:
    """Send one batch and store each outcome; return False when the ERP could not be reached."""
    if not sending:
        return True
    with store.session() as session:
        count_attempt(session, [entry.voucher_id for entry in sending])

    numbers = tuple(entry.voucher.number for entry in sending)
    log.info("sending %d vouchers via %s: %s", len(sending), poster.name, ", ".join(numbers))
    try:
        outcomes = poster.post([entry.voucher for entry in sending])
    except ErpUnavailable as error:
        _record(store, sending, error.done, result)
        _unavailable(result, error)
        return False
    except ConfigError:
        raise
    except Exception as error:
        _connector_failed(result, poster.name, "send", numbers, error, translator)
        result.outcomes.extend(VoucherOutcome(entry.voucher, entry.allocation_ids, "sending") for entry in sending)
        return True
    failpoint("posting.after_send")
    _record(store, sending, outcomes, result)
    return True


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
                record_posted(session, entry.voucher_id, outcome.external_id, outcome.note)
                result.outcomes.append(VoucherOutcome(entry.voucher, entry.allocation_ids, "posted",
                                                      outcome.external_id, note=outcome.note))
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


def _connector_failed(result: PostingResult, connector: str, step: str, numbers: tuple[str, ...],
                      error: Exception, translator: Translator) -> None:
    log.error("connector %s failed (%s) on vouchers %s: %s; they stay sending and are looked up on the next run",
              connector, step, ", ".join(numbers) or "none", error, exc_info=traceback_wanted(error))
    result.failures.append(ConnectorFailure(step, numbers, error_text(error, translator)))


def traceback_wanted(error: Exception) -> bool:
    """Return whether to log a connector's exception with its traceback.

    A ValueError or one of the bot's own errors states what the connector
    cannot take, so its traceback is logged only at debug level (with
    ``--verbose``). Any other exception is a fault in the connector.
    """
    return not isinstance(error, (AllocbotError, ValueError)) or log.isEnabledFor(logging.DEBUG)


def error_text(error: Exception, translator: Translator) -> str:
    """Return an exception's text for a user: translated for the bot's own errors, else with its class name."""
    if isinstance(error, AllocbotError):
        return error.describe(translator)
    return f"{type(error).__name__}: {error}"


# --- rejected vouchers a controller releases ------------------------------------


def _release(store: Store, retry_rejected: bool | str, actor: str, result: PostingResult) -> None:
    """Free the allocations of all waiting rejected vouchers (True), or of the one with this number."""
    with store.session() as session:
        if retry_rejected is True:
            rows = waiting_rejections(session)
        else:
            rows = [_waiting_rejection(session, str(retry_rejected))]
        for row in rows:
            release_rejected(session, row, actor)
    result.released = [row.number for row in rows]


def _waiting_rejection(session: Session, number: str) -> VoucherRow:
    """Return the rejected voucher with this number if its allocations wait; raise UsageError otherwise."""
    row = voucher_by_number(session, number)
    waiting = {waiting.id for waiting in waiting_rejections(session)}
    if row is not None and row.id in waiting:
        return row

    location, option = N_("option {option}"), "--retry-rejected"
    if row is None:
        raise UsageError(number, N_("no voucher has this number"), location=location,
                         fix=N_("allocbot post --dry-run lists the rejected vouchers that wait"), option=option)
    if row.status == "rejected":
        raise UsageError(number, N_("the items of this rejected voucher were released already"), location=location,
                         fix=N_("allocbot post posts them on a new voucher"), option=option)
    if row.status == "posted":
        raise UsageError(number, N_("this voucher is posted, not rejected"), location=location, option=option)
    raise UsageError(number, N_("this voucher is still being sent, and its outcome is unknown"), location=location,
                     fix=N_("allocbot post looks it up first; allocbot post --abandon {number} ends it"),
                     option=option, number=number)


def _list_waiting_rejections(store: Store, result: PostingResult) -> None:
    """Fill ``result.rejections`` with the waiting rejected vouchers that this run did not reject itself."""
    with store.session() as session:
        rows = waiting_rejections(session)
    this_run = {outcome.voucher.number for outcome in result.outcomes}
    result.rejections = [WaitingRejection(voucher_from_payload(row.payload), row.connector, row.error or "")
                         for row in rows if row.number not in this_run]


# --- vouchers a controller abandons ---------------------------------------------


@dataclass(frozen=True)
class Abandonment:
    """The result of ``abandon`` for a voucher left sending.

    ``external_id`` is set when the ERP has the voucher, which is then
    recorded as posted. Otherwise the voucher is rejected, and
    ``allocation_ids`` are free for the next run. ``unavailable`` and
    ``failure`` give the reason when nothing changed.
    """

    number: str
    connector: str
    external_id: str | None = None
    allocation_ids: tuple[int, ...] = ()
    unavailable: str | None = None
    failure: str | None = None


def abandon(store: Store, poster: VoucherPoster, number: str, actor: str, translator: Translator) -> Abandonment:
    """End a voucher that stays "sending", such as one the connector fails on in every run.

    The ERP is asked for the number first. A voucher the ERP has is
    recorded as posted. Any other is marked rejected ("abandoned by
    ``actor``") and its allocations are freed, so the next run posts them
    on a new voucher. Raises UsageError for a number that is unknown, not
    sending, or was sent with another connector.
    """
    with posting_lock(store):
        with store.session() as session:
            row = _sending_voucher(session, number, poster.name)
        result = Abandonment(number, poster.name)

        try:
            found = poster.find([number])
        except ErpUnavailable as error:
            log.error("abandoning voucher %s: %s unreachable: %s", number, poster.name, error.reason)
            return replace(result, unavailable=error.reason)
        except ConfigError:
            raise
        except Exception as error:
            log.error("abandoning voucher %s: connector %s failed on the lookup: %s", number, poster.name, error,
                      exc_info=traceback_wanted(error))
            return replace(result, failure=error_text(error, translator))

        external_id = found.get(number)
        with store.session() as session:
            if external_id is not None:
                allocation_ids = record_posted(session, row.id, external_id)
            else:
                allocation_ids = abandon_voucher(session, row.id, actor, utc_now())
        return replace(result, external_id=external_id, allocation_ids=tuple(allocation_ids or ()))


def _sending_voucher(session: Session, number: str, connector: str) -> VoucherRow:
    """Return the sending voucher with this number; raise UsageError when there is none for this connector."""
    row = voucher_by_number(session, number)
    location, option = N_("option {option}"), "--abandon"
    if row is None:
        raise UsageError(number, N_("no voucher has this number"), location=location,
                         fix=N_("check the number in the output of allocbot post"), option=option)
    if row.status == "posted":
        raise UsageError(number, N_("this voucher is posted, so there is nothing to abandon"), location=location,
                         option=option)
    if row.status == "rejected":
        waiting = row.id in {waiting.id for waiting in waiting_rejections(session)}
        fix = N_("allocbot post --retry-rejected {number} posts its items on a new voucher") if waiting \
            else N_("allocbot post posts them on a new voucher")
        raise UsageError(number, N_("this voucher was rejected, so there is nothing to abandon"), location=location,
                         fix=fix, option=option, number=number)
    if row.connector != connector:
        raise UsageError(number, N_("this voucher was sent with the {connector} connector"), location=location,
                         fix=N_("set export.connector to {connector} to look it up there"), option=option,
                         connector=row.connector)
    return row
