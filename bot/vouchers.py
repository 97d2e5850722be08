"""Approved allocations to balanced vouchers, and posting them once.

One voucher per allocated item: a debit line per allocation line (with its
cost center, project and VAT code) and one credit line on the card account
for the item's NOK amount. The voucher number is derived from the
allocation id, so it is stable across retries and a connector can use it
to refuse a second booking.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.ports import Voucher, VoucherLine, VoucherPoster
from bot.records import BOT_ACTOR
from bot.store.database import Store
from bot.store.models import AllocationRow, CardTransaction
from bot.store.repository import audit, record_posting, unposted_allocations

log = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 60  # the shortest posting text among the target ERPs (DATEV Buchungstext)


def voucher_number(allocation_id: int) -> str:
    return f"AB{allocation_id:07d}"


def build_voucher(allocation: AllocationRow, card_account: str, charged_on: date | None = None) -> Voucher:
    """Turn one approved allocation with its lines, item and order loaded into a voucher.

    The voucher is dated on the card line's date, so the credit to the card
    account falls in the statement's period. Without a card line it takes
    the shipment date, else the order date.
    """
    item = allocation.item
    description = item.title[:DESCRIPTION_LENGTH]
    debit = tuple(
        VoucherLine(account=line.account, amount=line.amount, description=description,
                    cost_center=line.cost_center, project=line.project, tax_code=line.tax_code)
        for line in allocation.lines
    )
    total = sum((line.amount for line in allocation.lines), Decimal("0"))
    credit = VoucherLine(account=card_account, amount=-total, description=description)
    reference = f"{item.order.order_id} {item.payment_reference or ''}".strip()
    posting_date = charged_on or item.shipment_date or item.order.order_date
    return Voucher(voucher_number(allocation.id), posting_date, description, reference, (*debit, credit))


def post_allocations(store: Store, poster: VoucherPoster, card_account: str) -> list[str]:
    """Post every approved, unposted allocation in one batch and record the postings.

    The postings are recorded in the same transaction that read the
    allocations. If the connector fails, nothing is recorded, and the next
    run posts the same vouchers again under the same numbers, which the
    connector recognises and does not book twice.
    """
    with store.session() as session:
        allocations = unposted_allocations(session)
        if not allocations:
            return []

        charge_dates = _charge_dates(session, [a.item.card_transaction_id for a in allocations])
        vouchers = [build_voucher(allocation, card_account, charge_dates.get(allocation.item.card_transaction_id))
                    for allocation in allocations]
        external_ids = poster.post(vouchers)

        for allocation, voucher, external_id in zip(allocations, vouchers, external_ids):
            record_posting(session, allocation.id, connector=poster.name, voucher_number=voucher.number,
                           external_id=external_id)
            audit(session, actor=BOT_ACTOR, action="posted", subject_type="allocation",
                  subject_id=str(allocation.id),
                  data={"voucher": voucher.number, "connector": poster.name, "external_id": external_id})
    log.info("posted %d vouchers with connector %s", len(vouchers), poster.name)
    return external_ids


def _charge_dates(session: Session, transaction_ids: list[int | None]) -> dict[int, date]:
    ids = [transaction_id for transaction_id in transaction_ids if transaction_id is not None]
    rows = session.exec(select(CardTransaction.id, CardTransaction.date).where(col(CardTransaction.id).in_(ids)))
    return dict(rows.all())
