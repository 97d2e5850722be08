"""Approved allocations to balanced vouchers: one per card statement, or one per allocation.

With grouping "statement", the allocations of one run whose items were
paid on lines of the same card statement share a voucher. An item without
a card line gets a voucher of its own, as every item does with grouping
"item". Each allocation line becomes a debit line with its account, cost
center, project and VAT code, and with the code's VAT rate where the card
amount contains that VAT (``export.vat_in_price``). A refund's amounts are
negative, so its lines are credits. Each card line then gets one balancing
line on the card's clearing account with the total of its items, so the
clearing account in the ERP matches the statement line by line.

No amount is divided here. The store keeps an allocation's lines adding up
to the item's NOK amount exactly, and a clearing line is the sum of its
items' NOK amounts. An allocation whose lines do not add up therefore
raises UnbalancedVoucher instead of being posted.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.config import VAT_IN_PRICE
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
    language. ``vat_in_price`` (``export.vat_in_price``) lists the VAT codes
    whose VAT the card amount contains. Only a line with one of them gets
    its code's rate as ``VoucherLine.vat_rate``.
    """

    grouping: str
    card_account: str
    currency: str
    vat_rates: dict[str, Decimal]
    translator: Translator
    vat_in_price: Collection[str] = VAT_IN_PRICE

    def vat_rate(self, tax_code: str | None) -> Decimal | None:
        """Return the percent to split the VAT off a line's gross amount by, or None where the amount has no VAT."""
        if tax_code is None or tax_code not in self.vat_in_price:
            return None
        return self.vat_rates.get(tax_code)


@dataclass(frozen=True)
class CardLine:
    """A card statement line as a voucher and the held back report show it, with its NOK amount."""

    date: date
    description: str
    amount: Decimal


@dataclass(frozen=True)
class VoucherDraft:
    """A voucher of a posting run before the store gives it a number (``voucher.number`` is empty).

    ``line_items`` gives the item id behind each line of the voucher, None
    for a clearing line. ``items`` pairs each item id with its title.
    ``statement`` is the statement's file name for a statement voucher.
    ``line_cards`` gives the card line id of each line of the voucher (None
    for an item without a card line), and ``card_lines`` those card lines.
    """

    voucher: Voucher
    grouping: str
    document_id: int | None
    statement: str | None
    allocation_ids: tuple[int, ...]
    line_items: tuple[int | None, ...]
    items: dict[int, str] = field(default_factory=dict)
    line_cards: tuple[int | None, ...] = ()
    card_lines: dict[int, CardLine] = field(default_factory=dict)


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
    drafts.sort(key=draft_order)
    return drafts


def draft_order(draft: VoucherDraft) -> tuple:
    """Return the sort key of the vouchers of a run: by date, then statement, then allocations."""
    return (draft.voucher.date, draft.document_id or 0, draft.allocation_ids)


def shorten(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Return ``text`` with its whitespace collapsed, cut to ``length`` characters and ending in "…" where it was cut.

    The text is NFC-normalised, so "é" counts as one character however it
    was encoded, and the cut falls between two grapheme clusters, so no
    accent, emoji sequence or flag loses a part. Raises ValueError for a
    ``length`` below 1, which leaves no room for the "…".
    """
    if length < 1:
        raise ValueError(f"cannot shorten a text to {length} characters")
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if len(text) <= length:
        return text

    end = length - 1
    while end > 0 and not _starts_cluster(text, end):
        end -= 1
    return text[:end].rstrip() + "…"


def dated_text(prefix: str, text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Return ``prefix`` (a card line's date) followed by ``text`` shortened so that both fit into ``length``."""
    return prefix + shorten(text, length - len(prefix))


_ZERO_WIDTH_JOINER = "\u200d"


def _starts_cluster(text: str, index: int) -> bool:
    """Return whether a grapheme cluster starts at ``text[index]``, for 0 < index < len(text).

    NOTE: this covers the rules of Unicode's UAX #29 for combining marks,
    variation selectors, emoji modifiers, ZWJ and tag sequences and flag
    pairs, but not those for Hangul jamo or Indic conjuncts.
    """
    char, previous = text[index], text[index - 1]
    if previous == _ZERO_WIDTH_JOINER or _extends_cluster(char):
        return False
    if _regional_indicator(char) and _regional_indicator(previous):
        # Regional indicators pair up into flags from the start of their run.
        run = 0
        while index - run - 1 >= 0 and _regional_indicator(text[index - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _extends_cluster(char: str) -> bool:
    code = ord(char)
    return (unicodedata.category(char) in ("Mn", "Me", "Mc") or char == _ZERO_WIDTH_JOINER
            or 0x1F3FB <= code <= 0x1F3FF      # emoji skin tone modifiers
            or 0xE0020 <= code <= 0xE007F)     # tag characters of subdivision flags


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


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
    line_cards: list[int | None] = []
    for card, allocations in _by_card_line(entries):
        prefix = f"{options.translator.date(card.date)} " if dated_lines and card is not None else ""
        card_id = card.id if card is not None else None
        for allocation in allocations:
            _check_lines_add_up(allocation)
            item = allocation.item
            for line in allocation.lines:
                if line.amount == 0:
                    continue
                lines.append(VoucherLine(account=line.account, amount=line.amount,
                                         description=dated_text(prefix, item.title), cost_center=line.cost_center,
                                         project=line.project, tax_code=line.tax_code,
                                         vat_rate=options.vat_rate(line.tax_code)))
                line_items.append(item.id)
                line_cards.append(card_id)

        total = sum((allocation.item.amount_nok for allocation in allocations), Decimal("0"))
        if total != 0:
            text = card.description if card is not None else allocations[0].item.title
            lines.append(VoucherLine(account=options.card_account, amount=-total,
                                     description=dated_text(prefix, text), clearing=True))
            line_items.append(None)
            line_cards.append(card_id)

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
    cards = {card.id: CardLine(card.date, card.description, card.amount) for _allocation, card in entries
             if card is not None}
    return VoucherDraft(voucher, grouping, statement.document_id if grouping == "statement" else None,
                        statement.filename if statement else None, allocation_ids, tuple(line_items),
                        {allocation.item.id: allocation.item.title for allocation, _card in entries},
                        tuple(line_cards), cards)


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
