"""Approved allocations to balanced vouchers: one per card statement, or one per allocation.

With grouping "statement", the allocations of one run whose items were
paid on lines of the same card statement share a voucher. An item without
a card line gets a voucher of its own, as every item does with grouping
"item". Each allocation line becomes a debit line with its account, cost
center, project and VAT code. A refund's amounts are negative, so its
lines are credits. Each card line then gets one balancing line on the
card's clearing account with the total of its items, so the clearing
account in the ERP matches the statement line by line.

No amount is divided here. The store keeps an allocation's lines adding up
to the item's NOK amount exactly, and a clearing line is the sum of its
items' NOK amounts. An allocation whose lines do not add up therefore
raises UnbalancedVoucher instead of being posted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.i18n import N_, Translator
from bot.ports import Voucher, VoucherLine
from bot.store.models import AllocationRow, CardTransaction
from bot.store.postings import StatementFile

log = logging.getLogger(__name__)

# DATEV's Buchungstext takes 60 characters. A connector with a shorter field, such as
# SAP Business One's 50-character journal entry Memo, shortens the text further.
DESCRIPTION_LENGTH = 60

# An allocation to post, and the card line its item was paid on (None for an item without one).
Entry = tuple[AllocationRow, CardTransaction | None]


class UnbalancedVoucher(ValueError):
    """An allocation's lines do not add up to its item's NOK amount, so its voucher would not balance."""


@dataclass(frozen=True)
class VoucherOptions:
    """The settings a voucher is built with: the grouping, the clearing account and the currency.

    ``vat_rates`` gives the percent of each VAT code, and ``translator``
    writes dates and the statement voucher's description in the company's
    language.
    """

    grouping: str
    card_account: str
    currency: str
    vat_rates: dict[str, Decimal]
    translator: Translator


@dataclass(frozen=True)
class VoucherDraft:
    """A voucher of a posting run before the store gives it a number (``voucher.number`` is empty).

    ``line_items`` gives the item id behind each line of the voucher, None
    for a clearing line. ``items`` pairs each item id with its title.
    ``statement`` is the statement's file name for a statement voucher.
    """

    voucher: Voucher
    grouping: str
    document_id: int | None
    statement: str | None
    allocation_ids: tuple[int, ...]
    line_items: tuple[int | None, ...]
    items: dict[int, str] = field(default_factory=dict)


def build_vouchers(allocations: Sequence[AllocationRow], card_lines: dict[int, CardTransaction],
                   statements: dict[int, StatementFile], options: VoucherOptions) -> list[VoucherDraft]:
    """Group approved allocations (lines, item and order loaded) into vouchers, ordered by date.

    ``card_lines`` contains the card line of every item paid by card, and
    ``statements`` the statement of every such card line.
    """
    groups: dict[tuple[str, int], list[AllocationRow]] = {}
    for allocation in allocations:
        card = card_lines.get(allocation.item.card_transaction_id)
        if options.grouping == "statement" and card is not None:
            groups.setdefault(("statement", card.document_id), []).append(allocation)
        else:
            groups.setdefault(("item", allocation.id), []).append(allocation)

    drafts = []
    for (grouping, key), members in groups.items():
        entries = [(allocation, card_lines.get(allocation.item.card_transaction_id)) for allocation in members]
        if grouping == "statement":
            draft = _statement_voucher(entries, statements[key], options)
        else:
            draft = _item_voucher(entries[0], statements, options)
        if draft is not None:
            drafts.append(draft)
    drafts.sort(key=lambda draft: (draft.voucher.date, draft.document_id or 0, draft.allocation_ids))
    return drafts


def shorten(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Return ``text`` cut to ``length`` characters, ending in "…" where it was cut."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


_STATEMENT_DESCRIPTION = N_("Card statement {start}–{end}")


def _statement_voucher(entries: list[Entry], statement: StatementFile, options: VoucherOptions) -> VoucherDraft | None:
    _ = options.translator
    description = _(_STATEMENT_DESCRIPTION, start=_.date(statement.period_start), end=_.date(statement.period_end))
    voucher_date = max(card.date for _allocation, card in entries if card is not None)
    return _draft(entries, options, grouping="statement", dated_lines=True, voucher_date=voucher_date,
                  description=description, reference=statement.filename, statement=statement)


def _item_voucher(entry: Entry, statements: dict[int, StatementFile], options: VoucherOptions) -> VoucherDraft | None:
    allocation, card = entry
    item = allocation.item
    statement = statements.get(card.document_id) if card is not None else None
    voucher_date = card.date if card is not None else item.shipment_date or item.order.order_date
    reference = f"{item.order.order_id} {item.payment_reference or ''}".strip()
    return _draft([entry], options, grouping="item", dated_lines=False, voucher_date=voucher_date,
                  description=item.title, reference=reference, statement=statement)


def _draft(entries: list[Entry], options: VoucherOptions, *, grouping: str, dated_lines: bool, voucher_date: date,
           description: str, reference: str, statement: StatementFile | None) -> VoucherDraft | None:
    """Build the voucher of ``entries``: the debit lines of each card line's items, then its clearing line."""
    lines: list[VoucherLine] = []
    line_items: list[int | None] = []
    for card, allocations in _by_card_line(entries):
        prefix = f"{options.translator.date(card.date)} " if dated_lines and card is not None else ""
        for allocation in allocations:
            _check_lines_add_up(allocation)
            item = allocation.item
            for line in allocation.lines:
                if line.amount == 0:
                    continue
                lines.append(VoucherLine(account=line.account, amount=line.amount,
                                         description=shorten(prefix + item.title), cost_center=line.cost_center,
                                         project=line.project, tax_code=line.tax_code,
                                         vat_rate=options.vat_rates.get(line.tax_code)))
                line_items.append(item.id)

        total = sum((allocation.item.amount_nok for allocation in allocations), Decimal("0"))
        if total != 0:
            text = prefix + card.description if card is not None else allocations[0].item.title
            lines.append(VoucherLine(account=options.card_account, amount=-total, description=shorten(text),
                                     clearing=True))
            line_items.append(None)

    allocation_ids = tuple(sorted(allocation.id for allocation, _card in entries))
    if not lines:
        # NOTE: an allocation of 0.00 NOK on a voucher of its own has nothing to book, so it stays unposted.
        log.info("allocations %s book 0.00 NOK and get no voucher", list(allocation_ids))
        return None

    voucher = Voucher(
        number="",
        date=voucher_date,
        description=shorten(description),
        reference=reference,
        lines=tuple(lines),
        period_start=statement.period_start if statement else None,
        period_end=statement.period_end if statement else None,
        attachments=(statement.attachment,) if statement and statement.attachment else (),
        currency=options.currency,
    )
    if voucher.balance() != 0:
        raise UnbalancedVoucher(f"voucher of allocations {list(allocation_ids)} does not balance: {voucher.balance()}")
    return VoucherDraft(voucher, grouping, statement.document_id if grouping == "statement" else None,
                        statement.filename if statement else None, allocation_ids, tuple(line_items),
                        {allocation.item.id: allocation.item.title for allocation, _card in entries})


def _by_card_line(entries: list[Entry]) -> list[tuple[CardTransaction | None, list[AllocationRow]]]:
    """Group the allocations by card line, in statement order; an item without one is a group of its own."""
    groups: dict[tuple, tuple[CardTransaction | None, list[AllocationRow]]] = {}
    for allocation, card in sorted(entries, key=_statement_order):
        key = ("card", card.id) if card is not None else ("item", allocation.item.id)
        groups.setdefault(key, (card, []))[1].append(allocation)
    return list(groups.values())


def _statement_order(entry: Entry) -> tuple:
    allocation, card = entry
    if card is None:
        return (1, date.min, 0, allocation.item.id)
    return (0, card.date, card.line, allocation.item.id)


def _check_lines_add_up(allocation: AllocationRow) -> None:
    item = allocation.item
    total = sum((line.amount for line in allocation.lines), Decimal("0"))
    if item.amount_nok is None or total != item.amount_nok:
        raise UnbalancedVoucher(f"allocation {allocation.id}: its lines sum to {total} NOK, "
                                f"but item {item.id} has {item.amount_nok} NOK")
