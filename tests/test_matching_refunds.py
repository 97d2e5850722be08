"""Refunds: credit lines matched to the items they pay back, by reference, refund rows or amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.matching import reasons
from bot.matching.refunds import REFUND_WINDOW_DAYS
from bot.matching.results import CARD_ITEM, REFUNDED, UNMATCHED
from bot.reconcile import reconcile
from bot.records import CardCharge, ReportItem

MARCH = date(2026, 3, 1)


def item(order: str, total: str, *, line: int = 2, day: int = 2, currency: str = "NOK", title: str | None = None,
         refund: str | None = None, refunded_on: int | None = None) -> ReportItem:
    return ReportItem("orders.csv", line, order, MARCH, currency, title or f"Item {line}", 1, Decimal(total),
                      Decimal(total), payment_reference=f"PAY-{order[-3:]}",
                      payment_date=MARCH + timedelta(days=day - 1),
                      refund_amount=Decimal(refund) if refund else None,
                      refund_date=MARCH + timedelta(days=refunded_on - 1) if refunded_on else None)


def credit(total: str, day: int, text: str = "AMAZON BUSINESS EU", *, original: str | None = None,
           currency: str | None = None, number: int = 9) -> CardCharge:
    return CardCharge("kort.csv", number, MARCH + timedelta(days=day - 1), text, Decimal(total),
                      Decimal(original) if original else None, currency)


def returned(result) -> list[tuple[str, Decimal]]:
    (refund,) = result.refund_matches
    return [(item.title, amount) for item, amount in refund.returned]


def test_refund_by_order_id_on_line():
    items = [item("305-1000000-0000001", "300.00", line=2, title="Stol"),
             item("305-1000000-0000001", "200.00", line=3, title="Lampe"),
             item("305-1000000-0000002", "200.00", line=4, title="Lampe, annen ordre")]

    result = reconcile([], [credit("-200.00", 20, "AMAZON PAYMENTS EUROPE 305-1000000-0000001")], earlier=items)

    assert returned(result) == [("Lampe", Decimal("-200.00"))]
    assert result.charge_notes[0].reason == reasons.reason(reasons.REFUND_BY_ORDER, order_id="305-1000000-0000001")


def test_refund_by_order_id_with_no_fitting_item():
    items = [item("305-1000000-0000003", "300.00")]

    result = reconcile([], [credit("-120.00", 20, "AMAZON PAYMENTS EUROPE 305-1000000-0000003")], earlier=items)

    assert result.refund_matches == ()
    assert result.charge_notes[0].outcome == UNMATCHED
    assert result.charge_notes[0].reason.template == reasons.REFUND_ORDER_MISMATCH


def test_refund_by_report_refund_rows():
    items = [item("302-2000000-0000001", "300.00", line=2, title="Stol", refund="90.00", refunded_on=18),
             item("302-2000000-0000001", "100.00", line=3, title="Pute", refund="30.00", refunded_on=18),
             item("302-2000000-0000001", "50.00", line=4, title="Teppe")]

    result = reconcile([], [credit("-120.00", 19)], earlier=items)

    assert returned(result) == [("Stol", Decimal("-90.00")), ("Pute", Decimal("-30.00"))]
    assert result.charge_notes[0].reason.template == reasons.REFUND_BY_REPORT


def test_refund_by_unique_amount():
    items = [item("302-3000000-0000001", "449.00", title="Hodetelefoner"),
             item("302-3000000-0000002", "129.00", line=3, title="Kabel")]

    result = reconcile([], [credit("-449.00", 25)], earlier=items)

    assert returned(result) == [("Hodetelefoner", Decimal("-449.00"))]
    assert result.charge_notes[0].outcome == REFUNDED


def test_nok_credit_ignores_rate_band():
    """Found by amount alone, a NOK credit must equal the purchase; 1000 NOK is not 'the same amount' as 85 EUR."""
    items = [item("302-7000000-0000001", "85.00", currency="EUR")]

    result = reconcile([], [credit("-1000.00", 20)], earlier=items)

    assert result.refund_matches == ()
    assert result.charge_notes[0].outcome == UNMATCHED


def test_refund_of_one_item_of_a_shipment():
    items = [item("302-3000000-0000003", "449.00", line=2, title="Hodetelefoner"),
             item("302-3000000-0000003", "129.00", line=3, title="Kabel")]

    result = reconcile([], [credit("-129.00", 25)], earlier=items)

    assert returned(result) == [("Kabel", Decimal("-129.00"))]


def test_refund_two_fits_ambiguous():
    items = [item("302-3000000-0000004", "449.00", title="Hodetelefoner"),
             item("302-3000000-0000005", "449.00", line=3, title="Tastatur")]

    result = reconcile([], [credit("-449.00", 25)], earlier=items)

    assert result.refund_matches == ()
    assert [charge.amount for charge in result.refunds] == [Decimal("-449.00")]
    assert result.charge_notes[0].reason == reasons.reason(reasons.REFUND_AMBIGUOUS, amount="449.00",
                                                           currency="NOK", count=2)


def test_refund_older_than_window_not_found():
    items = [item("302-3000000-0000006", "449.00", day=1)]

    result = reconcile([], [credit("-449.00", REFUND_WINDOW_DAYS + 5)], earlier=items)

    assert result.refund_matches == ()
    assert result.charge_notes[0].reason.template == reasons.REFUND_NOT_FOUND


def test_refund_in_euro_on_original_amount():
    items = [item("304-4000000-0000001", "79.98", currency="EUR", title="USB-hub"),
             item("304-4000000-0000002", "19.99", line=3, currency="EUR", title="Kabel")]

    result = reconcile([], [credit("-935.77", 20, original="-79.98", currency="EUR")], earlier=items)

    assert returned(result) == [("USB-hub", Decimal("-935.77"))]


def test_each_item_refunded_once():
    items = [item("302-5000000-0000001", "449.00", title="Hodetelefoner")]

    result = reconcile([], [credit("-449.00", 20, number=8), credit("-449.00", 21, number=9)], earlier=items)

    assert len(result.refund_matches) == 1
    assert [note.outcome for note in result.charge_notes] == [REFUNDED, UNMATCHED]


def test_refund_of_item_matched_same_run():
    items = [item("302-6000000-0000001", "316.00", title="Kabelkanal")]
    purchase = CardCharge("kort.csv", 2, MARCH + timedelta(days=2), "AMAZON BUSINESS EU", Decimal("316.00"))

    result = reconcile(items, [purchase, credit("-316.00", 6)])

    assert len(result.matches) == 1
    (refund,) = result.refund_matches
    assert refund.returned[0][0] is items[0]


@given(st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=8),
       st.integers(min_value=1, max_value=10_000_000))
def test_refund_shares_add_up(refunds, nok_cents):
    order = "302-7000000-0000001"
    items = [item(order, "1000.00", line=line, title=f"Vare {line}", refund=str(Decimal(cents) / 100),
                  refunded_on=10) for line, cents in enumerate(refunds, start=2)]
    total = sum(Decimal(cents) / 100 for cents in refunds)
    nok = -Decimal(nok_cents) / 100

    result = reconcile([], [credit(str(nok), 11, original=str(-total), currency="NOK")], earlier=items)

    (refund,) = result.refund_matches
    assert sum(amount for _, amount in refund.returned) == nok
    assert all(amount <= 0 for _, amount in refund.returned)


def test_merchant_credit_pays_back_purchase_same_statement():
    purchase = CardCharge("kort.csv", 2, MARCH + timedelta(days=4), "CLAS OHLSON LILLESTRØM, Lillestrøm",
                          Decimal("449.00"))
    refund = credit("-449.00", 11, "Retur CLAS OHLSON LILLESTRØM, Lillestrøm")

    result = reconcile([], [purchase, refund])

    assert result.other_charges == (purchase,)
    (match,) = result.refund_matches
    assert match.purchase is purchase
    assert match.returned == ()
    assert [note.outcome for note in result.charge_notes] == [CARD_ITEM, REFUNDED]


def test_merchant_credit_pays_back_earlier_card_item():
    earlier = ReportItem("kort-februar.csv", 4, "card-17", date(2026, 2, 20), "NOK",
                         "CLAS OHLSON LILLESTRØM, Lillestrøm", 1, Decimal("449.00"), Decimal("449.00"),
                         payment_date=date(2026, 2, 20), seller="CLAS OHLSON LILLESTRØM, Lillestrøm")
    refund = credit("-449.00", 3, "Retur CLAS OHLSON LILLESTRØM, Lillestrøm")

    result = reconcile([], [refund], earlier=[earlier])

    (match,) = result.refund_matches
    assert match.returned == ((earlier, Decimal("-449.00")),)


def test_merchant_credit_without_purchase_becomes_item():
    refund = credit("-89.00", 3, "Retur JULA LILLESTRØM")

    result = reconcile([], [refund])

    assert result.other_charges == (refund,)
    assert result.charge_notes[0].reason.template == reasons.CREDIT_ITEM


def test_merchant_credit_ignores_amazon_titles():
    # An Amazon item whose title happens to appear in the credit's text is no purchase from that merchant.
    earlier = ReportItem("orders.csv", 2, "302-8000000-0000001", date(2026, 2, 20), "NOK", "Jula", 1,
                         Decimal("89.00"), Decimal("89.00"), payment_date=date(2026, 2, 20),
                         seller="Amazon EU S.à r.l.")

    result = reconcile([], [credit("-89.00", 3, "Retur JULA LILLESTRØM")], earlier=[earlier])

    assert result.refund_matches == ()
    assert len(result.other_charges) == 1
