"""Writing a reconciliation to the store: links, card items, refund items and duplicates, each audited.

``reconcile_open_work`` reads what is open, reconciles it and stores the
result in the caller's session. It returns the items that need an
allocation now, for the pipeline to classify and route:

- the items of matched Amazon shipments, with their NOK share of the line;
- one item per card line from another merchant, with the line's amount;
- one refund item per returned item, with its negative share of the
  credit. A refund of an item whose decision is approved carries that
  decision's lines scaled to the refund, so it is booked the same way
  without asking anyone. Any other refund is classified and routed like a
  new item.

Lines and shipments left open stay as they are and are matched again on
the next run; their reasons are logged and returned in the
reconciliation. Rows that another document reports already are set to
the state "duplicate", so they are never booked twice.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from bot.masterdata import MasterData
from bot.matching.money import split_amount
from bot.matching.refunds import REFUND_WINDOW_DAYS
from bot.reconcile import Reconciliation, reconcile
from bot.records import BOT_ACTOR, Allocation, ReportItem
from bot.store import queries
from bot.store.models import AmazonItem, Document
from bot.store.repository import add_card_item, add_refund_item, audit, link_item_to_charge, mark_duplicate

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
    work = _link_matches(session, result, item_ids, charge_ids)
    card_items = _add_card_items(session, result, charge_ids, master)
    work += card_items.values()
    work += _add_refunds(session, result, item_ids, charge_ids, card_items)
    _mark_duplicates(session, result, item_ids)
    _log_open(result, charge_ids)
    return result, work


def _link_matches(session: Session, result: Reconciliation, item_ids: dict[int, int],
                  charge_ids: dict[int, int]) -> list[Work]:
    work = []
    for match in result.matches:
        charge_id = charge_ids[id(match.charge)]
        linked = []
        for item, amount in match.item_amounts:
            item_id = item_ids[id(item)]
            link_item_to_charge(session, item_id, charge_id, amount)
            work.append(Work(item_id, item, match.charge.date, amount))
            linked.append(item_id)
        audit(session, actor=BOT_ACTOR, action="charge_matched", subject_type="card_transaction",
              subject_id=str(charge_id),
              data={"items": linked, "reason": match.reason.template, "params": match.reason.params,
                    "shipments": [{"order": shipment.order_id, "reference": shipment.payment_reference}
                                  for shipment in match.shipments]})
    return work


def _add_card_items(session: Session, result: Reconciliation, charge_ids: dict[int, int],
                    master: MasterData) -> dict[int, Work]:
    """Store each other merchant's line as an item; return the work keyed by the id() of its line."""
    work: dict[int, Work] = {}
    for charge in result.other_charges:
        charge_id = charge_ids[id(charge)]
        requester = card_holder_email(charge.card, master)
        row = add_card_item(session, charge_id, requester_email=requester)
        audit(session, actor=BOT_ACTOR, action="card_item_created", subject_type="item", subject_id=str(row.id),
              data={"card_transaction": charge_id, "amount_nok": str(charge.amount), "requester": requester})
        work[id(charge)] = Work(row.id, _record(session, row), charge.date, charge.amount)
    return work


def _add_refunds(session: Session, result: Reconciliation, item_ids: dict[int, int], charge_ids: dict[int, int],
                 card_items: dict[int, Work]) -> list[Work]:
    work = []
    for refund in result.refund_matches:
        charge_id = charge_ids[id(refund.charge)]
        if refund.purchase is not None:
            returned = [(card_items[id(refund.purchase)].item_id, refund.charge.amount)]
        else:
            returned = [(item_ids[id(item)], amount) for item, amount in refund.returned]

        created = []
        for original_id, amount in returned:
            row = add_refund_item(session, original_id, charge_id, amount)
            like = _scaled(queries.approved_lines(session, original_id), amount)
            work.append(Work(row.id, _record(session, row), refund.charge.date, amount, original_id, like))
            created.append({"item": row.id, "refund_of": original_id, "amount_nok": str(amount)})
        audit(session, actor=BOT_ACTOR, action="refund_matched", subject_type="card_transaction",
              subject_id=str(charge_id),
              data={"refund_items": created, "reason": refund.reason.template, "params": refund.reason.params})
    return work


def _mark_duplicates(session: Session, result: Reconciliation, item_ids: dict[int, int]) -> None:
    reasons = {id(note.shipment): note.reason for note in result.shipment_notes}
    for shipment in result.duplicates:
        reason = reasons[id(shipment)]
        for item in shipment.items:
            item_id = item_ids[id(item)]
            mark_duplicate(session, item_id)
            audit(session, actor=BOT_ACTOR, action="item_duplicate", subject_type="item", subject_id=str(item_id),
                  data={"reason": reason.template, "params": reason.params})


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
    """Return the email of the employee a statement's card field names, by name or email; None when nobody fits.

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

