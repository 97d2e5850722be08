"""Reads and writes the pipeline needs beyond the repository: training data and open work.

Rows come back as ``bot.records`` values so the classifier and the
reconciliation never see table classes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.orm import aliased, selectinload
from sqlmodel import Session, col, exists, or_, select

from bot.records import Allocation, CardCharge, ReportItem
from bot.store.models import AllocationRow, AmazonItem, AmazonOrder, CardTransaction, Document, TrainingLabel


def add_example(session: Session, item_id: int, allocation: Allocation, *, source: str) -> TrainingLabel:
    """Store the true allocation of an item for training ("history" or "human")."""
    label = TrainingLabel(item_id=item_id, cost_center=allocation.cost_center, project=allocation.project,
                          account=allocation.account, tax_code=allocation.tax_code, source=source)
    session.add(label)
    session.flush()
    return label


def training_examples(session: Session) -> list[tuple[ReportItem, Allocation, str]]:
    """Return every labeled item with its label's source ("history" or "human"), in the order labeled."""
    statement = (
        select(AmazonItem, TrainingLabel, Document.filename)
        .join(TrainingLabel, col(TrainingLabel.item_id) == col(AmazonItem.id))
        .join(Document, col(Document.id) == col(AmazonItem.document_id))
        .options(selectinload(AmazonItem.order))
        .order_by(col(TrainingLabel.id))
    )
    return [
        (to_report_item(item, filename),
         Allocation(label.cost_center, label.project, label.account, label.tax_code),
         label.source)
        for item, label, filename in session.exec(statement)
    ]


def report_item(session: Session, item_id: int) -> tuple[ReportItem, Decimal | None] | None:
    """Return an item's parsed record and its NOK amount, or None when no item has that id."""
    statement = (
        select(AmazonItem, Document.filename)
        .join(Document, col(Document.id) == col(AmazonItem.document_id))
        .where(col(AmazonItem.id) == item_id)
        .options(selectinload(AmazonItem.order))
    )
    found = session.exec(statement).first()
    if found is None:
        return None
    row, filename = found
    return to_report_item(row, filename), row.amount_nok


def open_items(session: Session) -> list[tuple[int, ReportItem]]:
    """Return items that wait for their card charge: not linked, not history, not decided."""
    labeled = exists().where(col(TrainingLabel.item_id) == col(AmazonItem.id))
    statement = (
        select(AmazonItem, Document.filename)
        .join(Document, col(Document.id) == col(AmazonItem.document_id))
        .where(col(AmazonItem.card_transaction_id).is_(None), AmazonItem.state == "new", ~labeled)
        .options(selectinload(AmazonItem.order))
        .order_by(col(AmazonItem.id))
    )
    return [(item.id, to_report_item(item, filename)) for item, filename in session.exec(statement)]


def open_charges(session: Session) -> list[tuple[int, CardCharge]]:
    """Return card lines that no item is linked to yet."""
    linked = exists().where(col(AmazonItem.card_transaction_id) == col(CardTransaction.id))
    statement = (
        select(CardTransaction, Document.filename)
        .join(Document, col(Document.id) == col(CardTransaction.document_id))
        .where(~linked)
        .order_by(col(CardTransaction.date), col(CardTransaction.id))
    )
    return [(row.id, to_card_charge(row, filename)) for row, filename in session.exec(statement)]


def settled_items(session: Session, *, order_ids: Collection[str], since: date | None) -> list[tuple[int, ReportItem]]:
    """Return items matched to a card line before, of the given orders or paid from ``since`` on.

    Reconciliation reads them to recognise a shipment reported twice (by
    order) and to find what a credit pays back (by date). Refund items and
    items paid back already are left out.
    """
    refund = aliased(AmazonItem)
    paid_back = exists().where(col(refund.refund_of_id) == col(AmazonItem.id))
    wanted = [col(AmazonOrder.order_id).in_(list(order_ids))] if order_ids else []
    if since is not None:
        wanted.append(func.coalesce(col(AmazonItem.payment_date), col(AmazonOrder.order_date)) >= since)
    if not wanted:
        return []

    statement = (
        select(AmazonItem, Document.filename)
        .join(Document, col(Document.id) == col(AmazonItem.document_id))
        .join(AmazonOrder, col(AmazonOrder.id) == col(AmazonItem.amazon_order_id))
        .where(col(AmazonItem.card_transaction_id).is_not(None), AmazonItem.origin != "refund", ~paid_back,
               or_(*wanted))
        .options(selectinload(AmazonItem.order))
        .order_by(col(AmazonItem.id))
    )
    return [(item.id, to_report_item(item, filename)) for item, filename in session.exec(statement)]


def statement_period(session: Session) -> tuple[date, date] | None:
    """Return the first and last date of the card lines stored so far, or None when there are none."""
    first, last = session.exec(select(func.min(CardTransaction.date), func.max(CardTransaction.date))).one()
    return (first, last) if first is not None else None


def approved_lines(session: Session, item_id: int) -> list[tuple[Allocation, Decimal]] | None:
    """Return the lines of the item's approved decision, or None when it has none."""
    allocation = session.exec(
        select(AllocationRow).where(AllocationRow.item_id == item_id, AllocationRow.status == "approved")
        .options(selectinload(AllocationRow.lines))
    ).first()
    if allocation is None:
        return None
    return [(Allocation(line.cost_center, line.project, line.account, line.tax_code), line.amount)
            for line in allocation.lines]


def to_report_item(row: AmazonItem, source: str) -> ReportItem:
    """Rebuild the parsed record from its row; columns the store does not keep are None."""
    order = row.order
    return ReportItem(
        source=source, line=row.line, order_id=order.order_id, order_date=order.order_date,
        currency=row.currency, title=row.title, quantity=row.quantity, unit_price=row.unit_price,
        net_total=row.net_total, account_user_email=row.requester_email, po_number=order.po_number,
        payment_reference=row.payment_reference, payment_date=row.payment_date,
        payment_amount=row.payment_amount, payment_instrument=row.payment_instrument,
        shipment_date=row.shipment_date, shipping_address=row.shipping_address, product_category=row.category,
        asin=row.asin, unspsc=row.unspsc, brand=row.brand, seller=row.seller, item_tax=row.item_tax,
        custom_fields=dict(row.custom_fields or {}),
        subtotal=row.subtotal, shipping=row.shipping, promotion=row.promotion, vat_rate=row.vat_rate,
        order_shipping=order.shipping, order_promotion=order.promotion, order_tax=order.tax,
        order_net_total=order.net_total, order_status=order.status, invoice_number=row.invoice_number,
        refund_amount=row.refund_amount, refund_date=row.refund_date,
    )


def to_card_charge(row: CardTransaction, source: str) -> CardCharge:
    return CardCharge(source=source, line=row.line, date=row.date, description=row.description,
                      amount=row.amount, original_amount=row.original_amount,
                      original_currency=row.original_currency, rate=row.rate, booked_on=row.booked_on,
                      card=row.card)
