"""Writing a reconciliation to the store: links, card items, refund items and duplicates, each audited.

``reconcile_open_work`` reads what is open, reconciles it and stores the
result in the caller's session. It returns the items that need an
allocation now, for the pipeline to classify and route:

- the items of matched Amazon shipments, with their NOK share of the line;
- one item per card line from another merchant, with the line's amount;
- one refund item per returned item, with its negative share of the
  credit. A refund that names its order, or that the report lists, of an
  item whose decision is approved carries that decision's lines scaled to
  the refund, so it is booked the same way without asking anyone. Any
  other refund is classified and routed like a new item.

Lines and shipments left open stay as they are and are matched again on
the next run. Their reasons are logged and returned in the
reconciliation. A line whose links the store rejects (an invalid amount,
an item linked or decided meanwhile) is left open the same way, with
the error in its reason, so one bad line does not stop the others. Rows
that another document reports already are set to the state "duplicate",
so they are never booked twice.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from bot.masterdata import MasterData
from bot.matching import reasons
from bot.matching.money import split_amount
from bot.matching.refunds import REFUND_WINDOW_DAYS
from bot.matching.results import MATCHED, UNMATCHED, ChargeNote, ShipmentNote
from bot.reconcile import Reconciliation, reconcile
from bot.records import BOT_ACTOR, Allocation, Reason, ReportItem
from bot.store import queries
from bot.store.models import AmazonItem, Document
from bot.store.repository import (
    AlreadyDecided,
    AlreadyLinked,
    add_card_item,
    add_refund_item,
    audit,
    link_item_to_charge,
    mark_duplicate,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Work:
    """An item that needs an allocation, with the card line's date and its NOK amount.

    ``like`` contains the lines of the approved decision of the item that a
    refund pays back, scaled to the refund. The refund is booked with them.
    """

    item_id: int
    item: ReportItem
    charged_on: date
    amount_nok: Decimal
    refund_of: int | None = None
    like: tuple[tuple[Allocation, Decimal], ...] = ()


def reconcile_open_work(session: Session, master: MasterData) -> tuple[Reconciliation, list[Work]]:
    """Reconcile the open items and card lines in the store, store the outcome, and return the work it creates."""
    items = queries.open_items(session)
    charges = queries.open_charges(session)
    credit_dates = [charge.date for _, charge in charges if charge.amount < 0]
    since = min(credit_dates) - timedelta(days=REFUND_WINDOW_DAYS) if credit_dates else None
    earlier = queries.settled_items(session, order_ids={item.order_id for _, item in items}, since=since)

    result = reconcile([item for _, item in items], [charge for _, charge in charges],
                       earlier=[item for _, item in earlier], period=queries.statement_period(session))

    # Reconciliation returns the very objects it was given, so object identity maps them back to rows.
    item_ids = {id(item): item_id for item_id, item in items + earlier}
    charge_ids = {id(charge): charge_id for charge_id, charge in charges}
    rejected: dict[int, Reason] = {}
    work = _link_matches(session, result, item_ids, charge_ids, rejected)
    card_items = _add_card_items(session, result, charge_ids, master, rejected)
    work += card_items.values()
    work += _add_refunds(session, result, item_ids, charge_ids, card_items, rejected)
    _mark_duplicates(session, result, item_ids)

    result = _leave_rejected_open(result, rejected)
    _log_open(result, charge_ids)
    return result, work


# Errors the repository raises, before it writes, for a link it cannot store.
_REJECTED = (ValueError, LookupError, AlreadyDecided, AlreadyLinked)


def _store_line(charge_id: int, item_ids: list[int], rejected: dict[int, Reason], charge_key: int,
                steps: list[Callable[[], object]]) -> bool:
    """Run the store steps of one card line; on a rejected first step, record why the line stays open.

    Returns whether all steps ran. An error after the first step is raised,
    because the steps before it have written already and the run must roll
    back as a whole rather than keep half a line.
    """
    for done, step in enumerate(steps):
        try:
            step()
        except _REJECTED as error:
            if done:
                raise
            log.error("card transaction %s stays open: storing its links to items %s failed: %s",
                      charge_id, item_ids, error)
            rejected[charge_key] = reasons.reason(reasons.NOT_STORED, error=str(error))
            return False
    return True


def _link_matches(session: Session, result: Reconciliation, item_ids: dict[int, int],
                  charge_ids: dict[int, int], rejected: dict[int, Reason]) -> list[Work]:
    work = []
    for match in result.matches:
        charge_id = charge_ids[id(match.charge)]
        linked = [item_ids[id(item)] for item, _ in match.item_amounts]
        steps = [partial(link_item_to_charge, session, item_id, charge_id, amount)
                 for item_id, (_, amount) in zip(linked, match.item_amounts)]
        if not _store_line(charge_id, linked, rejected, id(match.charge), steps):
            continue

        work += [Work(item_id, item, match.charge.date, amount)
                 for item_id, (item, amount) in zip(linked, match.item_amounts)]
        audit(session, actor=BOT_ACTOR, action="charge_matched", subject_type="card_transaction",
              subject_id=str(charge_id),
              data={"items": linked, "reason": match.reason.template, "params": match.reason.params,
                    "shipments": [{"order": shipment.order_id, "reference": shipment.payment_reference}
                                  for shipment in match.shipments]})
    return work


def _add_card_items(session: Session, result: Reconciliation, charge_ids: dict[int, int],
                    master: MasterData, rejected: dict[int, Reason]) -> dict[int, Work]:
    """Store each other merchant's line as an item; return the work keyed by the id() of its line."""
    work: dict[int, Work] = {}
    for charge in result.other_charges:
        charge_id = charge_ids[id(charge)]
        requester = card_holder_email(charge.card, master)
        rows: list[AmazonItem] = []
        step = partial(_add_card_row, rows, session, charge_id, requester)
        if not _store_line(charge_id, [], rejected, id(charge), [step]):
            continue

        row = rows[0]
        audit(session, actor=BOT_ACTOR, action="card_item_created", subject_type="item", subject_id=str(row.id),
              data={"card_transaction": charge_id, "amount_nok": str(charge.amount), "requester": requester})
        work[id(charge)] = Work(row.id, _record(session, row), charge.date, charge.amount)
    return work


def _add_refunds(session: Session, result: Reconciliation, item_ids: dict[int, int], charge_ids: dict[int, int],
                 card_items: dict[int, Work], rejected: dict[int, Reason]) -> list[Work]:
    work = []
    for refund in result.refund_matches:
        charge_id = charge_ids[id(refund.charge)]
        if refund.purchase is not None:
            if id(refund.purchase) not in card_items:
                rejected[id(refund.charge)] = reasons.reason(reasons.NOT_STORED, error="its purchase was not stored")
                continue
            returned = [(card_items[id(refund.purchase)].item_id, refund.charge.amount)]
        else:
            returned = [(item_ids[id(item)], amount) for item, amount in refund.returned]

        rows: list[AmazonItem] = []
        steps = [partial(_add_refund_row, rows, session, original_id, charge_id, amount)
                 for original_id, amount in returned]
        if not _store_line(charge_id, [original_id for original_id, _ in returned], rejected, id(refund.charge),
                           steps):
            continue

        # A refund found by amount alone may have been paired with one of several
        # equal purchases that were booked differently, so only a refund that
        # names its order, or that the report lists, is booked like its original.
        named = refund.reason.template in (reasons.REFUND_BY_ORDER, reasons.REFUND_BY_REPORT)
        created = []
        for row, (original_id, amount) in zip(rows, returned):
            like = _scaled(queries.approved_lines(session, original_id), amount) if named else ()
            work.append(Work(row.id, _record(session, row), refund.charge.date, amount, original_id, like))
            created.append({"item": row.id, "refund_of": original_id, "amount_nok": str(amount)})
        audit(session, actor=BOT_ACTOR, action="refund_matched", subject_type="card_transaction",
              subject_id=str(charge_id),
              data={"refund_items": created, "reason": refund.reason.template, "params": refund.reason.params})
    return work


def _add_card_row(rows: list[AmazonItem], session: Session, charge_id: int, requester: str | None) -> None:
    rows.append(add_card_item(session, charge_id, requester_email=requester))


def _add_refund_row(rows: list[AmazonItem], session: Session, original_id: int, charge_id: int,
                    amount: Decimal) -> None:
    rows.append(add_refund_item(session, original_id, charge_id, amount))


def _mark_duplicates(session: Session, result: Reconciliation, item_ids: dict[int, int]) -> None:
    reasons = {id(note.shipment): note.reason for note in result.shipment_notes}
    for shipment in result.duplicates:
        reason = reasons[id(shipment)]
        for item in shipment.items:
            item_id = item_ids[id(item)]
            mark_duplicate(session, item_id)
            audit(session, actor=BOT_ACTOR, action="item_duplicate", subject_type="item", subject_id=str(item_id),
                  data={"reason": reason.template, "params": reason.params})


def _leave_rejected_open(result: Reconciliation, rejected: dict[int, Reason]) -> Reconciliation:
    """Return the reconciliation with the rejected lines, and the shipments of rejected matches, left open."""
    if not rejected:
        return result

    failed_matches = [match for match in result.matches if id(match.charge) in rejected]
    failed_shipments = {id(shipment): rejected[id(match.charge)]
                        for match in failed_matches for shipment in match.shipments}
    charge_notes = tuple(ChargeNote(note.charge, UNMATCHED, rejected[id(note.charge)])
                         if id(note.charge) in rejected else note for note in result.charge_notes)
    shipment_notes = tuple(ShipmentNote(note.shipment, UNMATCHED, failed_shipments[id(note.shipment)])
                           if note.outcome == MATCHED and id(note.shipment) in failed_shipments else note
                           for note in result.shipment_notes)
    return replace(
        result,
        matches=tuple(match for match in result.matches if id(match.charge) not in rejected),
        unmatched_charges=result.unmatched_charges + tuple(note.charge for note in result.charge_notes
                                                           if id(note.charge) in rejected),
        unmatched_shipments=result.unmatched_shipments + tuple(shipment for match in failed_matches
                                                               for shipment in match.shipments),
        other_charges=tuple(charge for charge in result.other_charges if id(charge) not in rejected),
        refund_matches=tuple(refund for refund in result.refund_matches if id(refund.charge) not in rejected),
        charge_notes=charge_notes,
        shipment_notes=shipment_notes,
    )


def _log_open(result: Reconciliation, charge_ids: dict[int, int]) -> None:
    for note in result.open_charge_notes():
        log.info("card transaction %s stays open: %s %s", charge_ids.get(id(note.charge)), note.reason.template,
                 note.reason.params)
    for note in result.open_shipment_notes():
        log.info("shipment %s %s stays open: %s %s", note.shipment.order_id, note.shipment.payment_reference or "-",
                 note.reason.template, note.reason.params)


def _scaled(lines: list[tuple[Allocation, Decimal]] | None,
            amount: Decimal) -> tuple[tuple[Allocation, Decimal], ...]:
    """Divide ``amount`` over the allocations of ``lines`` in proportion to their amounts."""
    if not lines:
        return ()
    shares = split_amount(amount, [line_amount for _, line_amount in lines])
    return tuple((allocation, share) for (allocation, _), share in zip(lines, shares))


def _record(session: Session, row: AmazonItem) -> ReportItem:
    document = session.get(Document, row.document_id)
    return queries.to_report_item(row, document.filename)


def card_holder_email(card: str | None, master: MasterData) -> str | None:
    """Return the email of the employee whom a statement's card field names by name or email, or None when no employee fits.

    NOTE: a card number (last digits) maps to no employee, because master
    data lists no cards per employee.
    """
    if not card:
        return None
    wanted = _name_key(card)
    for employee in master.employees.values():
        if wanted in (_name_key(employee.name), _name_key(employee.email)):
            return employee.email
    return None


def _name_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())

