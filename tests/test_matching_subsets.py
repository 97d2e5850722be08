"""Combinations: one card line paying several shipments, and one order charged several times."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import reasons
from bot.matching.subsets import MAX_CANDIDATES, MAX_OPTIONS, Option, choose, fitting_subsets
from bot.reconcile import reconcile
from bot.records import CardCharge, ReportItem

MARCH = date(2026, 3, 1)


def item(order: str, total: str, *, reference: str | None = None, day: int = 2, title: str | None = None,
         line: int = 2, currency: str = "NOK", shipped: int | None = None) -> ReportItem:
    return ReportItem("orders.csv", line, order, MARCH, currency, title or f"{order} item {line}", 1, Decimal(total),
                      Decimal(total), payment_reference=reference,
                      payment_date=MARCH + timedelta(days=day - 1) if reference else None,
                      shipment_date=MARCH + timedelta(days=(shipped or day) - 1))


def line(total: str, day: int, *, number: int = 2, original: str | None = None,
         currency: str | None = None) -> CardCharge:
    return CardCharge("kort.csv", number, MARCH + timedelta(days=day - 1), "AMAZON BUSINESS EU", Decimal(total),
                      Decimal(original) if original else None, currency)


def test_fitting_subsets_finds_all():
    assert fitting_subsets([100, 200, 300], 300, 300) == [(0, 1), (2,)]


def test_fitting_subsets_range():
    assert fitting_subsets([100, 201, 300], 300, 302) == [(0, 1), (2,)]


def test_fitting_subsets_gives_up_over_limit():
    assert fitting_subsets([1] * 12, 6, 6) is None


def test_fitting_subsets_rejects_too_many_values():
    with pytest.raises(ValueError, match=str(MAX_CANDIDATES)):
        fitting_subsets([1] * (MAX_CANDIDATES + 1), 1, 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=12), st.data())
def test_fitting_subsets_sums_in_range(values, data):
    chosen = data.draw(st.sets(st.integers(min_value=0, max_value=len(values) - 1), min_size=1))
    target = sum(values[index] for index in chosen)

    found = fitting_subsets(values, target, target)

    if found is not None:
        assert tuple(sorted(chosen)) in found
        assert all(sum(values[index] for index in subset) == target for subset in found)
        assert len(found) <= MAX_OPTIONS


def test_choose_prefers_fewer_days():
    options = {0: [Option((0,), 3, "a"), Option((1,), 0, "b")]}

    assert choose(options).chosen[0].key == "b"


def test_choose_equal_options_ambiguous():
    options = {0: [Option((0,), 1, "a"), Option((1,), 1, "b")]}

    assert choose(options).ambiguous == {0: 2}


def test_choose_gives_each_line_its_own_pieces():
    options = {0: [Option((0, 1), 0, "ab"), Option((2,), 0, "c")], 1: [Option((2,), 0, "c")]}

    result = choose(options)

    assert result.chosen[0].pieces == (0, 1)
    assert result.chosen[1].pieces == (2,)


def test_one_line_pays_three_shipments():
    items = [item("302-1000000-0000001", "129.00", reference="PAY-1", line=2),
             item("302-1000000-0000002", "349.50", reference="PAY-2", line=3),
             item("302-1000000-0000003", "89.90", reference="PAY-3", line=4),
             item("302-1000000-0000004", "1200.00", reference="PAY-4", line=5)]

    result = reconcile(items, [line("568.40", 3)])

    (match,) = result.matches
    assert sorted(shipment.order_id for shipment in match.shipments) == [
        "302-1000000-0000001", "302-1000000-0000002", "302-1000000-0000003"]
    assert sum(amount for _, amount in match.item_amounts) == Decimal("568.40")
    assert match.reason.template == reasons.BY_SUBSET
    assert [shipment.order_id for shipment in result.unmatched_shipments] == ["302-1000000-0000004"]


def test_eur_line_pays_two_shipments_on_original_amount():
    items = [item("304-1000000-0000001", "19.99", reference="PAY-5", currency="EUR", line=2),
             item("304-1000000-0000002", "45.50", reference="PAY-6", currency="EUR", line=3)]

    result = reconcile(items, [line("768.31", 3, original="65.49", currency="EUR")])

    (match,) = result.matches
    assert len(match.shipments) == 2
    assert sum(amount for _, amount in match.item_amounts) == Decimal("768.31")


def test_order_charged_twice_without_references():
    # Amazon charged the order per shipment, but this report carries no payment references.
    order = "302-2000000-0000001"
    items = [item(order, "300.00", line=2, shipped=3), item(order, "100.00", line=3, shipped=7),
             item(order, "200.00", line=4, shipped=3), item(order, "50.00", line=5, shipped=7)]

    result = reconcile(items, [line("500.00", 4, number=2), line("150.00", 8, number=3)])

    titles = {match.charge.amount: sorted(item.line for item, _ in match.item_amounts) for match in result.matches}
    assert titles == {Decimal("500.00"): [2, 4], Decimal("150.00"): [3, 5]}
    assert result.unmatched_shipments == ()


def test_order_charged_twice_ambiguous_split():
    # 300 = 300 or 100 + 200, and both lines are on the same day: which rows each paid is a guess.
    order = "302-2000000-0000002"
    items = [item(order, "300.00", line=2), item(order, "100.00", line=3), item(order, "200.00", line=4)]

    result = reconcile(items, [line("300.00", 3, number=2), line("300.00", 3, number=3)])

    assert result.matches == ()
    assert [note.reason.template for note in result.charge_notes] == [reasons.AMBIGUOUS_CHARGE] * 2
    assert [note.reason.template for note in result.shipment_notes] == [reasons.AMBIGUOUS_SHIPMENT]


def test_two_combinations_fit_ambiguous():
    items = [item("302-3000000-0000001", "100.00", reference="PAY-7", line=2),
             item("302-3000000-0000002", "200.00", reference="PAY-8", line=3),
             item("302-3000000-0000003", "150.00", reference="PAY-9", line=4),
             item("302-3000000-0000004", "150.00", reference="PAY-10", line=5)]

    result = reconcile(items, [line("300.00", 3)])

    assert result.matches == ()
    assert result.charge_notes[0].reason == reasons.reason(reasons.AMBIGUOUS_CHARGE, count=2)


def test_shipments_outside_window_not_combined():
    items = [item("302-4000000-0000001", "100.00", reference="PAY-11", day=2, line=2),
             item("302-4000000-0000002", "200.00", reference="PAY-12", day=20, line=3)]

    result = reconcile(items, [line("300.00", 3)])

    assert result.matches == ()
    assert result.charge_notes[0].reason.template == reasons.NO_SHIPMENT


def test_too_many_candidates_left_open():
    items = [item(f"302-5000000-{index:07d}", f"{10 + index}.00", reference=f"PAY-{index}", line=index + 2)
             for index in range(MAX_CANDIDATES + 1)]

    result = reconcile(items, [line("9999.00", 3)])

    assert result.matches == ()
    assert result.charge_notes[0].reason == reasons.reason(reasons.TOO_MANY, limit=MAX_CANDIDATES,
                                                           date=date(2026, 3, 3))
