"""Dividing amounts over items to the øre, and spreading order-level amounts over an order's rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matching.money import CENT, split_amount, spread
from bot.matching.shipments import adjusted_totals, build_shipments
from bot.records import ReportItem

cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda value: Decimal(value) / 100)
positive_cents = st.integers(min_value=1, max_value=10_000_000).map(lambda value: Decimal(value) / 100)


def row(total: str, *, order: str = "302-0000000-0000001", reference: str | None = "PAY-1", line: int = 2,
        **fields) -> ReportItem:
    return ReportItem("orders.csv", line, order, date(2026, 3, 1), "NOK", f"Item {line}", 1, Decimal(total),
                      Decimal(total), payment_reference=reference, payment_date=date(2026, 3, 2), **fields)


@given(cents, st.lists(positive_cents, min_size=1, max_size=12))
def test_split_adds_up_exactly(amount, weights):
    shares = split_amount(amount, weights)

    assert sum(shares) == amount
    assert len(shares) == len(weights)
    assert all(share == share.quantize(CENT) for share in shares)


@given(cents, st.lists(positive_cents, min_size=1, max_size=12))
def test_split_within_a_cent(amount, weights):
    shares = split_amount(amount, weights)

    total = sum(weights)
    for share, weight in zip(shares, weights):
        assert abs(share - amount * weight / total) < CENT


@given(cents, st.lists(cents, min_size=1, max_size=12))
def test_split_any_signs_adds_up(amount, weights):
    assert sum(split_amount(amount, weights)) == amount


@pytest.mark.parametrize(("amount", "weights", "expected"), [
    ("100.00", ("10.00", "10.00", "10.00"), ("33.34", "33.33", "33.33")),
    ("0.01", ("5.00", "5.00"), ("0.01", "0.00")),
    ("1200.00", ("300.00", "100.00"), ("900.00", "300.00")),
    ("59.00", ("0.00", "0.00"), ("29.50", "29.50")),
    # The cent goes to the share that rounding cut most (0.0166…), not to the larger item.
    ("0.05", ("1.00", "2.00"), ("0.02", "0.03")),
    ("-10.00", ("1.00", "1.00", "1.00"), ("-3.33", "-3.33", "-3.34")),
])
def test_split_examples(amount, weights, expected):
    shares = split_amount(Decimal(amount), [Decimal(weight) for weight in weights])

    assert shares == [Decimal(share) for share in expected]


def test_split_rejects_fractions_of_cents():
    with pytest.raises(ValueError, match="two decimals"):
        split_amount(Decimal("1.005"), [Decimal(1)])


def test_split_rejects_no_weights():
    with pytest.raises(ValueError, match="no weights"):
        split_amount(Decimal("1.00"), [])


@given(cents, st.lists(positive_cents, min_size=1, max_size=12))
def test_spread_adds_difference_exactly(difference, totals):
    spread_totals = spread(difference, totals)

    assert sum(spread_totals) == sum(totals) + difference


@given(st.lists(positive_cents, min_size=1, max_size=10), positive_cents, cents.filter(lambda value: value <= 0))
def test_order_shipping_spread_to_ore(totals, shipping, promotion):
    rows = [row(str(total), line=line, order_shipping=shipping, order_promotion=promotion)
            for line, total in enumerate(totals, start=2)]

    adjusted = adjusted_totals(rows)

    assert sum(adjusted) == sum(totals) + shipping + promotion
    assert all(value == value.quantize(CENT) for value in adjusted)


def test_order_net_total_difference_spread():
    rows = [row("300.00", line=2, order_net_total=Decimal("449.00"), order_shipping=Decimal("49.00")),
            row("100.00", line=3, order_net_total=Decimal("449.00"), order_shipping=Decimal("49.00"))]

    assert adjusted_totals(rows) == [Decimal("336.75"), Decimal("112.25")]


def test_order_net_total_of_partial_order_ignored():
    # Only one of the order's shipments is here: the 500 kr difference is another
    # shipment, not shipping, so nothing is spread.
    rows = [row("300.00", order_net_total=Decimal("849.00"), order_shipping=Decimal("49.00"))]

    assert adjusted_totals(rows) == [Decimal("300.00")]


def test_item_shipping_means_order_shipping_included():
    rows = [row("349.00", shipping=Decimal("49.00"), order_shipping=Decimal("49.00"))]

    assert adjusted_totals(rows) == [Decimal("349.00")]


def test_order_amounts_spread_per_order():
    rows = [row("100.00", order="302-0000000-0000001", line=2, order_shipping=Decimal("10.00")),
            row("100.00", order="302-0000000-0000002", line=3, order_shipping=Decimal("20.00"))]

    assert adjusted_totals(rows) == [Decimal("110.00"), Decimal("120.00")]


def test_payment_amount_is_shipment_total():
    rows = [row("300.00", line=2, payment_amount=Decimal("449.00")),
            row("100.00", line=3, payment_amount=Decimal("449.00"))]

    (shipment,) = build_shipments(rows)

    assert shipment.total == Decimal("449.00")
    assert shipment.amounts() == (Decimal("336.75"), Decimal("112.25"))


@given(st.lists(positive_cents, min_size=1, max_size=10), positive_cents)
def test_payment_amount_shares_add_up(totals, paid):
    rows = [row(str(total), line=line, payment_amount=paid) for line, total in enumerate(totals, start=2)]

    (shipment,) = build_shipments(rows)

    assert shipment.total == paid
    assert sum(shipment.amounts()) == paid
