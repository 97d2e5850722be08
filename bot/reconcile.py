"""Card lines to Amazon shipments, credits to returned items, other merchants' lines to items of their own.

The steps, in order of precedence:

1. Shipments (``bot.matching.shipments``). Report rows are grouped by
   order and payment reference. Rows of a shipment that another document
   reports too, or that was matched in an earlier run, are duplicates and
   counted once. Shipments paid by invoice or of canceled orders expect
   no card line.
2. Reference. A line whose text carries a shipment's payment reference is
   matched to it, and a line that names an order id (SEPA direct debits
   do) to the shipments of that order that add up to it.
3. One to one (``bot.matching.pairing``). A line is matched to a shipment
   of the same amount, exact to the cent, paid within the date window:
   the original amount for foreign-currency lines that show it, the NOK
   amount for NOK orders.
4. Combinations (``bot.matching.subsets``). A line that pays several
   shipments, or several lines that pay the rows of one order without
   payment references, are matched by subset sums.
5. Exchange-rate band. Lines without their original amount are paired as
   in step 3 with the foreign-currency shipments within their bands
   (``bot.matching.charges``). The cost is the days apart plus how many
   spreads the implied rate lies from the estimated one.
6. Refunds (``bot.matching.refunds``). Credits are matched to what they
   pay back, among the items that a card line paid, in this run or before.
7. Lines from other merchants become items of their own.

Nothing is guessed: where two choices fit equally, both stay open. Every
card line and every shipment ends in ``Reconciliation.charge_notes`` or
``shipment_notes`` with its outcome and a reason. The function is pure:
it reads records and returns records, and the pipeline stores the result.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from bot.matching import reasons
from bot.matching.charges import (
    DAYS_AFTER,
    DAYS_BEFORE,
    AmountRange,
    band_range,
    estimate_rates,
    exact_range,
    in_window,
    is_amazon,
    line_amount,
    order_ids,
    reference_tokens,
)
from bot.matching.money import split_amount, to_cents
from bot.matching.pairing import pair
from bot.matching.refunds import RefundMatch, RefundMatcher, match_merchant_credit
from bot.matching.results import (
    CARD_ITEM,
    DUPLICATE,
    MATCHED,
    NOT_EXPECTED,
    REFUNDED,
    UNMATCHED,
    ChargeNote,
    Match,
    Reconciliation,
    ShipmentNote,
)
from bot.matching.shipments import (
    CANCELED_STATUSES,
    PENDING_STATUSES,
    Shipment,
    build_shipments,
    charge_date,
    combine,
    is_card_payment,
    order_status,
    row_pieces,
    signature,
    split_duplicates,
)
from bot.matching.subsets import MAX_CANDIDATES, Option, choose, fitting_subsets
from bot.records import CardCharge, Reason, ReportItem

__all__ = ["ChargeNote", "Match", "Reconciliation", "RefundMatch", "Shipment", "ShipmentNote", "reconcile"]

log = logging.getLogger(__name__)


def reconcile(items: Sequence[ReportItem], charges: Sequence[CardCharge], *,
              earlier: Sequence[ReportItem] = (), period: tuple[date, date] | None = None) -> Reconciliation:
    """Match card lines to shipments and credits to returned items; see the module docstring for the rules.

    ``items`` are the open report rows and ``charges`` the open card lines.
    ``earlier`` are items matched to a card line before: credits may pay
    them back, and a new row of a shipment among them is a duplicate.
    ``period`` is the first and last day that the statements received so
    far cover. It explains why a shipment has no line yet, and it defaults
    to the dates of ``charges``.
    """
    return _Reconciler(charges, period).run(items, earlier)


class _Reconciler:
    """Run one reconciliation, keeping the open shipments and what each step decided."""

    def __init__(self, charges: Sequence[CardCharge], period: tuple[date, date] | None):
        self.charges = list(charges)
        self.rates = estimate_rates(self.charges)
        dates = [charge.date for charge in self.charges]
        self.period = period or ((min(dates), max(dates)) if dates else None)

        self.open: list[Shipment] = []
        self.matches: list[Match] = []
        self.notes: dict[int, ChargeNote] = {}
        self.shipment_notes: list[ShipmentNote] = []
        # id() of rows that several lines fit equally, with the number of those lines.
        self.contested: dict[int, int] = {}
        # id() of rows, and indexes of lines, whose candidates all went to nearer partners.
        self.outbid_rows: set[int] = set()
        self.outbid_lines: set[int] = set()
        # id() of rows left open, with a reason that overrides the one derived at the end.
        self.open_reasons: dict[int, Reason] = {}

    def run(self, items: Sequence[ReportItem], earlier: Sequence[ReportItem]) -> Reconciliation:
        _, not_card, duplicates = self._prepare(items, earlier)
        purchases = sorted((index for index, charge in enumerate(self.charges)
                            if charge.amount > 0 and is_amazon(charge)),
                           key=lambda index: (self.charges[index].date, self.charges[index].line))

        self._by_reference(purchases)
        self._one_to_one(self._waiting(purchases))
        self._combinations(self._waiting(purchases))
        self._exchange_band(self._waiting(purchases))
        # Only what a card line paid can be paid back: an open item may still be charged later.
        charged = [shipment for match in self.matches for shipment in match.shipments]
        refund_matches, refunds = self._refunds(charged + build_shipments(earlier))
        other, merchant_refunds = self._other_merchants(earlier)
        self._zero_lines()

        unmatched = [self.charges[index] for index in self._waiting(purchases)]
        for index in self._waiting(purchases):
            self._leave_open(index, self._open_line_reason(index))
        for shipment in self.open:
            self.shipment_notes.append(ShipmentNote(shipment, UNMATCHED, self._open_shipment_reason(shipment)))

        return Reconciliation(
            matches=tuple(self.matches),
            unmatched_charges=tuple(unmatched),
            unmatched_shipments=tuple(self.open),
            other_charges=tuple(other),
            refunds=tuple(refunds),
            not_card_shipments=tuple(not_card),
            refund_matches=tuple(refund_matches + merchant_refunds),
            duplicates=tuple(duplicates),
            charge_notes=tuple(self.notes[index] for index in range(len(self.charges))),
            shipment_notes=tuple(self.shipment_notes),
        )

    # -- step 1: shipments ---------------------------------------------------------

    def _prepare(self, items: Sequence[ReportItem],
                 earlier: Sequence[ReportItem]) -> tuple[list[Shipment], list[Shipment], list[Shipment]]:
        """Build the shipments and sort out duplicates and those that expect no card line.

        Returns the card-paid shipments (all of them open at first), those
        paid otherwise, and the duplicates.
        """
        kept, repeated, kept_source = split_duplicates(items)
        matched_before = {(item.order_id, item.payment_reference) for item in earlier if item.payment_reference}

        card: list[Shipment] = []
        not_card: list[Shipment] = []
        duplicates: list[Shipment] = []
        for shipment in build_shipments(kept):
            if shipment.payment_reference and (shipment.order_id, shipment.payment_reference) in matched_before:
                duplicates.append(shipment)
                self._note_shipment(shipment, DUPLICATE, reasons.reason(
                    reasons.MATCHED_BEFORE, order_id=shipment.order_id, reference=shipment.payment_reference))
            elif not is_card_payment(shipment):
                not_card.append(shipment)
                self._note_shipment(shipment, NOT_EXPECTED, reasons.reason(
                    reasons.NOT_CARD, instrument=shipment.items[0].payment_instrument or ""))
            elif order_status(shipment) in CANCELED_STATUSES:
                self._note_shipment(shipment, NOT_EXPECTED, reasons.reason(reasons.CANCELED))
            elif shipment.total == 0:
                self._note_shipment(shipment, NOT_EXPECTED, reasons.reason(reasons.FREE))
            else:
                card.append(shipment)

        for shipment in build_shipments(repeated):
            duplicates.append(shipment)
            source = kept_source[(shipment.order_id, shipment.payment_reference)]
            self._note_shipment(shipment, DUPLICATE, reasons.reason(reasons.DUPLICATE, source=source))

        self.open = list(card)
        return card, not_card, duplicates

    # -- step 2: references --------------------------------------------------------

    def _by_reference(self, purchases: Sequence[int]) -> None:
        for index in purchases:
            charge = self.charges[index]
            tokens = reference_tokens(charge)
            referenced = [shipment for shipment in self.open
                          if shipment.payment_reference and shipment.payment_reference.upper() in tokens]
            if referenced:
                self._match_reference(index, referenced)
                continue
            named = order_ids(charge)
            if named:
                self._match_named_order(index, named)

    def _match_reference(self, index: int, referenced: list[Shipment]) -> None:
        charge = self.charges[index]
        reference = referenced[0].payment_reference
        currency = referenced[0].currency
        total = sum((shipment.total for shipment in referenced), Decimal(0))
        amount_range = self._range(charge, currency)
        same_currency = all(shipment.currency == currency for shipment in referenced)

        if same_currency and amount_range is not None and amount_range.contains(to_cents(total)):
            self._match(index, referenced, reasons.reason(reasons.BY_REFERENCE, reference=reference))
        else:
            self._leave_open(index, reasons.reason(reasons.REFERENCE_MISMATCH, reference=reference, total=total,
                                                   currency=currency))

    def _match_named_order(self, index: int, named: list[str]) -> None:
        charge = self.charges[index]
        shipments = [shipment for shipment in self.open if shipment.order_id in named]
        if not shipments:
            self._leave_open(index, reasons.reason(reasons.ORDER_UNKNOWN, order_id=named[0]))
            return

        order_id = shipments[0].order_id
        pieces = [piece for shipment in shipments for piece in _pieces(shipment) if piece.total > 0]
        amount_range = self._range(charge, shipments[0].currency)
        if amount_range is None:
            self._leave_open(index, reasons.reason(reasons.ORDER_MISMATCH, order_id=order_id))
            return
        if len(pieces) > MAX_CANDIDATES:
            self._leave_open(index, reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES, date=charge.date))
            return

        subsets = fitting_subsets([to_cents(piece.total) for piece in pieces], amount_range.low, amount_range.high)
        if subsets is None:
            self._leave_open(index, reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES, date=charge.date))
            return
        kinds = {_subset_key(pieces, subset) for subset in subsets}
        if not kinds:
            self._leave_open(index, reasons.reason(reasons.ORDER_MISMATCH, order_id=order_id))
        elif len(kinds) > 1:
            self._leave_open(index, reasons.reason(reasons.AMBIGUOUS_CHARGE, count=len(kinds)))
        else:
            chosen = combine(pieces[position] for position in subsets[0])
            self._match(index, chosen, reasons.reason(reasons.BY_ORDER_ID, order_id=order_id))

    # -- step 3: one to one ----------------------------------------------------------

    def _one_to_one(self, waiting: list[int]) -> None:
        shipments = list(self.open)
        candidates: dict[int, dict[int, int]] = {}
        for row, index in enumerate(waiting):
            charge = self.charges[index]
            candidates[row] = {
                column: _pair_cost(charge, shipment)
                for column, shipment in enumerate(shipments)
                if in_window(charge, shipment.charged_on) and _fits(exact_range(charge, shipment.currency), shipment)
            }

        result = pair(candidates, [_line_key(self.charges[index]) for index in waiting],
                      [signature(shipment) for shipment in shipments])

        for row, column in result.pairs.items():
            shipment = shipments[column]
            self._match(waiting[row], [shipment], reasons.reason(
                reasons.BY_AMOUNT, amount=shipment.total, currency=shipment.currency, date=shipment.charged_on))
        for row in result.ambiguous_rows:
            self._leave_open(waiting[row], reasons.reason(reasons.AMBIGUOUS_CHARGE, count=len(candidates[row])))
        for column in result.ambiguous_columns:
            rivals = sum(1 for row in candidates if column in candidates[row])
            self._contest(shipments[column].items, rivals)
        self.outbid_lines.update(waiting[row] for row in result.outbid_rows)
        for column in result.outbid_columns:
            self.outbid_rows.update(id(item) for item in shipments[column].items)

    # -- step 4: combinations --------------------------------------------------------

    def _combinations(self, waiting: list[int]) -> None:
        pieces = [piece for shipment in self._uncontested() for piece in _pieces(shipment) if piece.total > 0]
        options: dict[int, list[Option]] = {}
        for index in waiting:
            charge = self.charges[index]
            candidates = [position for position, piece in enumerate(pieces)
                          if in_window(charge, piece.charged_on) and _fits_within(charge, piece)]
            if not candidates:
                continue
            if len(candidates) > MAX_CANDIDATES:
                self._leave_open(index, reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES, date=charge.date))
                continue
            amount_range = exact_range(charge, pieces[candidates[0]].currency)
            subsets = fitting_subsets([to_cents(pieces[position].total) for position in candidates],
                                      amount_range.low, amount_range.high)
            if subsets is None:
                self._leave_open(index, reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES, date=charge.date))
                continue
            options[index] = [_option(charge, pieces, [candidates[position] for position in subset])
                              for subset in subsets]

        choice = choose(options)
        for index, option in choice.chosen.items():
            charge = self.charges[index]
            chosen = combine(pieces[position] for position in option.pieces)
            amount, currency = line_amount(charge)
            self._match(index, chosen, reasons.reason(reasons.BY_SUBSET, count=len(option.pieces), date=charge.date,
                                                      amount=amount, currency=currency))
        for index, count in choice.ambiguous.items():
            self._leave_open(index, reasons.reason(reasons.AMBIGUOUS_CHARGE, count=count))
            for option in options[index]:
                for position in option.pieces:
                    self._contest(pieces[position].items, count)
        for index in choice.too_many:
            self._leave_open(index, reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES,
                                                   date=self.charges[index].date))
        self.outbid_lines.update(choice.taken)

    # -- step 5: exchange-rate band ----------------------------------------------------

    def _exchange_band(self, waiting: list[int]) -> None:
        """Pair the lines without an original amount with the foreign-currency shipments within their bands.

        As in step 3, competing lines and shipments are paired together. So
        a line that fits two shipments is matched when another line can take
        only one of them. A pair is kept only when every best pairing makes it.
        """
        lines = [index for index in waiting if self.charges[index].original_amount is None]
        shipments = [shipment for shipment in self._uncontested() if shipment.currency != "NOK"]
        candidates = {row: self._band_candidates(self.charges[index], shipments) for row, index in enumerate(lines)}

        result = pair(candidates, [_line_key(self.charges[index]) for index in lines],
                      [signature(shipment) for shipment in shipments])

        for row, column in result.pairs.items():
            shipment = shipments[column]
            self._match(lines[row], [shipment], reasons.reason(reasons.BY_EXCHANGE_BAND, amount=shipment.total,
                                                               currency=shipment.currency))
        for row in result.ambiguous_rows:
            self._leave_open(lines[row], _band_line_reason(candidates, row))
        for column in result.ambiguous_columns:
            self._leave_band_shipment_open(shipments[column], candidates, column)
        # NOTE: the TAKEN and LINES_TAKEN texts name the nearer date, although here the nearer rate may have won.
        self.outbid_lines.update(lines[row] for row in result.outbid_rows)
        for column in result.outbid_columns:
            self.outbid_rows.update(id(item) for item in shipments[column].items)

    def _band_candidates(self, charge: CardCharge, shipments: Sequence[Shipment]) -> dict[int, int]:
        """Return the shipments in the line's date window and exchange-rate band, by position, with their costs."""
        return {
            column: _band_cost(charge, shipment, self.rates[shipment.currency])
            for column, shipment in enumerate(shipments)
            if in_window(charge, shipment.charged_on)
            and _fits(band_range(charge, shipment.currency, self.rates), shipment)
        }

    def _leave_band_shipment_open(self, shipment: Shipment, candidates: Mapping[int, Mapping[int, int]],
                                  column: int) -> None:
        """Record why an ambiguous shipment stays open: several lines fit it, or its one line fits several."""
        rivals = [row for row in candidates if column in candidates[row]]
        if len(rivals) > 1:
            self._contest(shipment.items, len(rivals))
            return
        # pair() leaves a shipment with one line open only when that line fits other shipments as well.
        note = reasons.reason(reasons.BAND_LINE_AMBIGUOUS, count=len(candidates[rivals[0]]))
        for item in shipment.items:
            self.open_reasons[id(item)] = note

    # -- step 6: refunds -----------------------------------------------------------------

    def _refunds(self, shipments: list[Shipment]) -> tuple[list[RefundMatch], list[CardCharge]]:
        """Match Amazon credits, oldest first, to the items of the given shipments."""
        matcher = RefundMatcher(shipments, self.rates)
        credits = sorted(
            (index for index, charge in enumerate(self.charges) if charge.amount < 0 and is_amazon(charge)),
            key=lambda index: (self.charges[index].date, self.charges[index].line))

        matches: list[RefundMatch] = []
        unmatched: list[CardCharge] = []
        for index in credits:
            credit = self.charges[index]
            found = matcher.match(credit)
            if isinstance(found, RefundMatch):
                matches.append(found)
                self.notes[index] = ChargeNote(credit, REFUNDED, found.reason)
                log.info("credit %s line %d matched to %d returned items: %s", credit.source, credit.line,
                         len(found.returned), found.reason.template)
            else:
                unmatched.append(credit)
                self._leave_open(index, found)
        return matches, unmatched

    # -- step 7: other merchants ---------------------------------------------------------

    def _other_merchants(self, earlier: Sequence[ReportItem]) -> tuple[list[CardCharge], list[RefundMatch]]:
        """Make every other merchant's line an item of its own, unless it is a credit that pays back a purchase."""
        others = [index for index, charge in enumerate(self.charges) if charge.amount != 0 and not is_amazon(charge)]
        purchases = [self.charges[index] for index in others if self.charges[index].amount > 0]
        bought_before = list(earlier)

        items: list[CardCharge] = []
        refunds: list[RefundMatch] = []
        for index in others:
            charge = self.charges[index]
            found = match_merchant_credit(charge, purchases, bought_before) if charge.amount < 0 else None
            if isinstance(found, Reason):
                self._leave_open(index, found)
                continue
            if found is None:
                items.append(charge)
                template = reasons.CARD_ITEM if charge.amount > 0 else reasons.CREDIT_ITEM
                self.notes[index] = ChargeNote(charge, CARD_ITEM, reasons.reason(template))
                continue
            refunds.append(found)
            self.notes[index] = ChargeNote(charge, REFUNDED, found.reason)
            # Each purchase is paid back once.
            purchases = [purchase for purchase in purchases if purchase is not found.purchase]
            returned = {id(item) for item, _ in found.returned}
            bought_before = [item for item in bought_before if id(item) not in returned]
        return items, refunds

    def _zero_lines(self) -> None:
        for index, charge in enumerate(self.charges):
            if charge.amount == 0:
                self._leave_open(index, reasons.reason(reasons.ZERO_AMOUNT))

    # -- outcomes ------------------------------------------------------------------------

    def _match(self, index: int, shipments: list[Shipment], note: Reason) -> None:
        charge = self.charges[index]
        items = tuple(item for shipment in shipments for item in shipment.items)
        amounts = split_amount(charge.amount, [amount for shipment in shipments for amount in shipment.amounts()])
        self.matches.append(Match(charge, tuple(shipments), tuple(zip(items, amounts)), note))
        self.notes[index] = ChargeNote(charge, MATCHED, note)
        for shipment in shipments:
            self._note_shipment(shipment, MATCHED, note)
        self._take({id(item) for item in items})
        log.info("card line %s line %d matched to %s: %s", charge.source, charge.line,
                 ", ".join(f"{shipment.order_id} {shipment.payment_reference or '-'}" for shipment in shipments),
                 note.template)

    def _leave_open(self, index: int, note: Reason) -> None:
        charge = self.charges[index]
        self.notes[index] = ChargeNote(charge, UNMATCHED, note)
        log.info("card line %s line %d left open: %s %s", charge.source, charge.line, note.template, note.params)

    def _note_shipment(self, shipment: Shipment, outcome: str, note: Reason) -> None:
        self.shipment_notes.append(ShipmentNote(shipment, outcome, note))

    def _take(self, taken: set[int]) -> None:
        """Remove matched rows from the open shipments, so a shipment keeps the rows that remain."""
        remaining = []
        for shipment in self.open:
            rows = [(item, amount) for item, amount in zip(shipment.items, shipment.amounts())
                    if id(item) not in taken]
            if len(rows) == len(shipment.items):
                remaining.append(shipment)
            elif rows:
                remaining.append(Shipment(shipment.order_id, shipment.payment_reference, shipment.currency,
                                          sum((amount for _, amount in rows), Decimal(0)),
                                          min(charge_date(item) for item, _ in rows),
                                          tuple(item for item, _ in rows), tuple(amount for _, amount in rows)))
        self.open = remaining

    def _contest(self, items: Iterable[ReportItem], lines: int) -> None:
        for item in items:
            self.contested[id(item)] = max(lines, self.contested.get(id(item), 0))

    def _uncontested(self) -> list[Shipment]:
        return [shipment for shipment in self.open if not any(id(item) in self.contested for item in shipment.items)]

    def _waiting(self, purchases: Sequence[int]) -> list[int]:
        return [index for index in purchases if index not in self.notes]

    def _range(self, charge: CardCharge, currency: str) -> AmountRange | None:
        return exact_range(charge, currency) or band_range(charge, currency, self.rates)

    def _open_line_reason(self, index: int) -> Reason:
        charge = self.charges[index]
        if index in self.outbid_lines:
            return reasons.reason(reasons.TAKEN)
        amount, currency = line_amount(charge)
        return reasons.reason(reasons.NO_SHIPMENT, amount=amount, currency=currency,
                              first=charge.date - timedelta(days=DAYS_AFTER),
                              last=charge.date + timedelta(days=DAYS_BEFORE))

    def _open_shipment_reason(self, shipment: Shipment) -> Reason:
        rows = [id(item) for item in shipment.items]
        chosen = [self.open_reasons[row] for row in rows if row in self.open_reasons]
        if chosen:
            return chosen[0]
        contested = max((self.contested.get(row, 0) for row in rows), default=0)
        if contested:
            return reasons.reason(reasons.AMBIGUOUS_SHIPMENT, count=contested)
        if any(row in self.outbid_rows for row in rows):
            return reasons.reason(reasons.LINES_TAKEN)
        status = order_status(shipment)
        if status in PENDING_STATUSES and shipment.items[0].payment_date is None:
            return reasons.reason(reasons.PENDING, status=shipment.items[0].order_status or status)
        if self.period is None:
            return reasons.reason(reasons.NO_STATEMENT)

        first, last = self.period
        earliest = shipment.charged_on - timedelta(days=DAYS_BEFORE)
        latest = shipment.charged_on + timedelta(days=DAYS_AFTER)
        if latest > last:
            return reasons.reason(reasons.AFTER_STATEMENT, date=shipment.charged_on, last=last)
        if earliest < first:
            return reasons.reason(reasons.BEFORE_STATEMENT, date=shipment.charged_on, first=first)
        return reasons.reason(reasons.NO_CARD_LINE, amount=shipment.total, currency=shipment.currency,
                              first=earliest, last=latest)


def _pieces(shipment: Shipment) -> list[Shipment]:
    """Return the parts of a shipment that Amazon may have charged separately: its rows when it has no reference."""
    return row_pieces(shipment) if shipment.payment_reference is None else [shipment]


# A cent off costs more than the widest date window, so an exact amount
# always beats an amount within the rounding tolerance.
CENT_OFF_COST = DAYS_BEFORE + DAYS_AFTER + 1


def _pair_cost(charge: CardCharge, shipment: Shipment) -> int:
    """Return the cost of pairing a line with a shipment: days apart, plus a penalty per cent of difference."""
    amount_range = exact_range(charge, shipment.currency)
    middle = (amount_range.low + amount_range.high) // 2
    cents_off = abs(to_cents(shipment.total) - middle)
    return abs((charge.date - shipment.charged_on).days) + CENT_OFF_COST * cents_off


# A whole spread off the estimated rate costs more than the widest date window.
# Rates within one spread count as equal, because the spread is the estimate's own uncertainty.
SPREAD_OFF_COST = DAYS_BEFORE + DAYS_AFTER + 1


def _band_cost(charge: CardCharge, shipment: Shipment, rate: tuple[Decimal, Decimal]) -> int:
    """Return the cost of pairing a line with a shipment in its band: days apart, plus a penalty per spread off.

    ``rate`` is the estimated NOK rate of the shipment's currency and its
    spread, as a share of the rate. The line's NOK amount divided by the
    shipment's total is the implied rate.
    """
    estimate, spread = rate
    implied = abs(charge.amount) / shipment.total
    spreads_off = int((abs(implied / estimate - 1) / spread).to_integral_value(ROUND_FLOOR))
    return abs((charge.date - shipment.charged_on).days) + SPREAD_OFF_COST * spreads_off


def _band_line_reason(candidates: Mapping[int, Mapping[int, int]], row: int) -> Reason:
    """Return why an ambiguous line stays open: it fits several shipments, or its one shipment fits several lines."""
    columns = candidates[row]
    if len(columns) > 1:
        return reasons.reason(reasons.BAND_AMBIGUOUS, count=len(columns))
    (column,) = columns
    rivals = sum(1 for other in candidates if column in candidates[other])
    return reasons.reason(reasons.BAND_SHARED, count=rivals)


def _fits(amount_range: AmountRange | None, shipment: Shipment) -> bool:
    return amount_range is not None and amount_range.contains(to_cents(shipment.total))


def _fits_within(charge: CardCharge, piece: Shipment) -> bool:
    """Return whether a piece could be part of what the line paid: same currency basis and not more than it."""
    amount_range = exact_range(charge, piece.currency)
    return amount_range is not None and to_cents(piece.total) <= amount_range.high


def _line_key(charge: CardCharge) -> Hashable:
    """Return what makes two card lines interchangeable: same day and same amounts."""
    return charge.date, charge.amount, charge.original_amount, charge.original_currency


def _subset_key(pieces: Sequence[Shipment], subset: Iterable[int]) -> Hashable:
    return tuple(sorted(signature(pieces[position]) for position in subset))


def _option(charge: CardCharge, pieces: Sequence[Shipment], positions: list[int]) -> Option:
    days = sum(abs((charge.date - pieces[position].charged_on).days) for position in positions)
    return Option(tuple(positions), days, _subset_key(pieces, positions))
