"""Foreign-currency card lines: exact on the original amount, or within the exchange-rate band without it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.matching import reasons
from bot.matching.charges import CARD_FEE, EXCHANGE_RATE_SPREAD, band_range, estimate_rates
from bot.rates import REFERENCE_RATES
from bot.reconcile import reconcile
from bot.records import CardCharge, ReportItem

MARCH = date(2026, 3, 1)


def shipment(order: str, total: str, currency: str = "EUR", *, day: int = 2, line: int = 2) -> ReportItem:
    return ReportItem("orders.csv", line, order, MARCH, currency, f"Item {line}", 1, Decimal(total), Decimal(total),
                      payment_reference=f"PAY-{order[-4:]}", payment_date=MARCH + timedelta(days=day - 1))


def line(nok: str, day: int = 3, *, original: str | None = None, currency: str | None = None,
         number: int = 2) -> CardCharge:
    return CardCharge("kort.csv", number, MARCH + timedelta(days=day - 1), "AMZN Mktp DE*U38ZM1195", Decimal(nok),
                      Decimal(original) if original else None, currency)


def test_rates_implied_by_other_lines():
    charges = [line("1170.00", original="100.00", currency="EUR"), line("2360.00", original="200.00", currency="EUR")]

    rates = estimate_rates(charges)

    assert rates["EUR"] == (Decimal("11.75"), EXCHANGE_RATE_SPREAD)
    assert rates["SEK"][0] == REFERENCE_RATES["SEK"]


def test_band_allows_fee_above_and_spread_below():
    rates = {"EUR": (Decimal("10.00"), Decimal("0.02"))}

    amount_range = band_range(line("1000.00"), "EUR", rates)

    assert amount_range.low == int(Decimal("1000") / (Decimal("10.2") * (1 + CARD_FEE)) * 100)
    assert amount_range.high == 10205
    assert not amount_range.exact


def test_band_not_for_lines_with_original_amount():
    assert band_range(line("1170.00", original="100.00", currency="EUR"), "EUR", estimate_rates([])) is None


def test_band_single_eur_shipment():
    items = [shipment("304-1000000-0001", "199.97"), shipment("304-1000000-0002", "45.00", line=3)]
    charges = [line("2400.00", original=None), line("117.00", day=3, original="10.00", currency="EUR", number=3)]

    result = reconcile(items, charges)

    (match,) = result.matches
    assert match.shipments[0].order_id == "304-1000000-0001"
    assert match.reason.template == reasons.BY_EXCHANGE_BAND
    assert sum(amount for _, amount in match.item_amounts) == Decimal("2400.00")


def test_nok_line_two_eur_shipments_in_band_ambiguous():
    items = [shipment("304-1000000-0003", "199.97"), shipment("304-1000000-0004", "201.50", line=3)]

    result = reconcile(items, [line("2400.00")])

    assert result.matches == ()
    assert result.charge_notes[0].reason == reasons.reason(reasons.BAND_AMBIGUOUS, count=2)


def test_nok_shipment_preferred_to_band():
    items = [shipment("302-1000000-0005", "2400.00", "NOK"), shipment("304-1000000-0006", "199.97", line=3)]

    result = reconcile(items, [line("2400.00")])

    (match,) = result.matches
    assert match.shipments[0].currency == "NOK"
    assert [shipment.order_id for shipment in result.unmatched_shipments] == ["304-1000000-0006"]


@pytest.mark.parametrize(("original", "matched"), [("199.97", True), ("199.96", True), ("199.95", False)])
def test_original_amount_exact_to_the_cent(original, matched):
    items = [shipment("304-1000000-0007", "199.97")]

    result = reconcile(items, [line("2366.54", original=original, currency="EUR")])

    assert (len(result.matches) == 1) is matched


def test_band_pairs_line_with_second_fit():
    # The first line fits both shipments, the second only the smaller one, so only one pairing matches both.
    items = [shipment("304-1000000-0011", "179.97"), shipment("304-1000000-0012", "164.70", line=3)]
    charges = [line("2087.83"), line("1910.68", number=3)]

    result = reconcile(items, charges)

    pairs = {match.charge.amount: match.shipments[0].order_id for match in result.matches}
    assert pairs == {Decimal("2087.83"): "304-1000000-0011", Decimal("1910.68"): "304-1000000-0012"}
    assert {match.reason.template for match in result.matches} == {reasons.BY_EXCHANGE_BAND}
    assert result.matches[0].reason.params["currency"] == "EUR"
    assert result.unmatched_shipments == ()


def test_band_prefers_nearest_rate():
    # Both lines fit both shipments. Paired crosswise, one implied rate lies more than the 6 % spread
    # from the reference rate, while paired straight both lie 1 % above it (11.817 NOK per EUR).
    items = [shipment("304-1000000-0013", "180.00"), shipment("304-1000000-0014", "170.00", line=3)]
    charges = [line("2127.06"), line("2008.89", number=3)]

    result = reconcile(items, charges)

    pairs = {match.charge.line: match.shipments[0].order_id for match in result.matches}
    assert pairs == {2: "304-1000000-0013", 3: "304-1000000-0014"}


def test_band_equal_lines_ambiguous():
    # Lines of the same amount a day apart: either pairing costs the same.
    items = [shipment("304-1000000-0015", "199.97"), shipment("304-1000000-0016", "201.50", line=3)]
    charges = [line("2400.00", day=3), line("2400.00", day=4, number=3)]

    result = reconcile(items, charges)

    assert result.matches == ()
    assert len(result.charge_notes) == 2
    for note in result.charge_notes:
        assert note.reason == reasons.reason(reasons.BAND_AMBIGUOUS, count=2)
    assert len(result.shipment_notes) == 2
    for note in result.shipment_notes:
        assert note.reason == reasons.reason(reasons.AMBIGUOUS_SHIPMENT, count=2)


def test_band_line_two_shipments_reasons():
    items = [shipment("304-1000000-0017", "199.97"), shipment("304-1000000-0018", "201.50", line=3)]

    result = reconcile(items, [line("2400.00")])

    assert result.charge_notes[0].reason == reasons.reason(reasons.BAND_AMBIGUOUS, count=2)
    assert len(result.shipment_notes) == 2
    for note in result.shipment_notes:
        assert note.reason == reasons.reason(reasons.BAND_LINE_AMBIGUOUS, count=2)


def test_band_two_lines_one_shipment_reasons():
    items = [shipment("304-1000000-0019", "199.97")]
    charges = [line("2400.00", day=3), line("2390.00", day=3, number=3)]

    result = reconcile(items, charges)

    assert result.matches == ()
    assert len(result.charge_notes) == 2
    for note in result.charge_notes:
        assert note.reason == reasons.reason(reasons.BAND_SHARED, count=2)
    (shipment_note,) = result.shipment_notes
    assert shipment_note.reason == reasons.reason(reasons.AMBIGUOUS_SHIPMENT, count=2)
