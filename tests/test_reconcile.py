import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.reconcile import group_shipments, reconcile, split_amount
from bot.records import CardCharge, ReportItem


def report(text: str) -> list[ReportItem]:
    """Read a few columns of an Amazon Business order report (comma-separated, dates mm/dd/yyyy)."""
    items = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        quantity = int(row["Item Quantity"])
        net_total = Decimal(row["Item Net Total"])
        items.append(ReportItem(
            source="orders.csv",
            line=line,
            order_id=row["Order ID"],
            order_date=datetime.strptime(row["Order Date"], "%m/%d/%Y").date(),
            currency=row["Currency"],
            title=row["Title"],
            quantity=quantity,
            unit_price=net_total / quantity,
            net_total=net_total,
            payment_reference=row["Payment Reference ID"] or None,
            payment_date=datetime.strptime(row["Payment Date"], "%m/%d/%Y").date() if row["Payment Date"] else None,
            payment_instrument=row.get("Payment Instrument Type") or None,
        ))
    return items


def statement(text: str) -> list[CardCharge]:
    """Read a Norwegian bank's card statement export (semicolon, decimal comma, dd.mm.yyyy)."""
    def amount(value: str) -> Decimal | None:
        return Decimal(value.replace(" ", "").replace(",", ".")) if value else None

    charges = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text), delimiter=";"), start=2):
        charges.append(CardCharge(
            source="kort.csv",
            line=line,
            date=datetime.strptime(row["Dato"], "%d.%m.%Y").date(),
            description=row["Beskrivelse"],
            amount=amount(row["Beløp"]),
            original_amount=amount(row["Valutabeløp"]),
            original_currency=row["Valuta"] or None,
        ))
    return charges


def test_shipments_grouped_by_order_and_reference():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/02/2026,302-1111111-1111111,NOK,Logitech MX Master 3S,1,1049.00,PAY-A1,03/03/2026
03/02/2026,302-1111111-1111111,NOK,Logitech MX Keys S,1,1199.00,PAY-A1,03/03/2026
03/02/2026,302-1111111-1111111,NOK,Dell P2723DE 27 tommer,1,4390.00,PAY-A2,03/05/2026
03/04/2026,302-2222222-2222222,NOK,Kaffefilter nr. 4,6,89.40,PAY-B1,03/04/2026
""")

    shipments = group_shipments(items)

    assert [(s.order_id, s.payment_reference) for s in shipments] == [
        ("302-1111111-1111111", "PAY-A1"),
        ("302-1111111-1111111", "PAY-A2"),
        ("302-2222222-2222222", "PAY-B1"),
    ]
    assert shipments[0].total == Decimal("2248.00")
    assert len(shipments[0].items) == 2
    assert shipments[1].charged_on == date(2026, 3, 5)
    assert shipments[2].total == Decimal("89.40")


def test_shipment_without_payment_date_uses_order_date():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/09/2026,302-3333333-3333333,NOK,Post-it lapper 76x76,12,238.80,,
""")

    shipments = group_shipments(items)

    assert shipments[0].charged_on == date(2026, 3, 9)
    assert shipments[0].payment_reference is None


def test_eur_charge_matched_by_original_amount():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/10/2026,304-5555555-5555555,EUR,Anker USB-C Hub 7-in-1,2,79.98,PAY-E1,03/11/2026
03/10/2026,304-5555555-5555555,EUR,Samsung T7 SSD 1 TB,1,119.99,PAY-E1,03/11/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
13.03.2026;AMAZON.DE*AB12CD34E;2 366,54;199,97;EUR
""")

    result = reconcile(items, charges)

    assert len(result.matches) == 1
    assert result.matches[0].shipment.order_id == "304-5555555-5555555"
    assert sum(amount for _, amount in result.matches[0].item_amounts) == Decimal("2366.54")
    assert result.unmatched_charges == ()
    assert result.unmatched_shipments == ()


def test_eur_charge_not_matched_by_nok_amount():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/10/2026,304-5555555-5555555,EUR,Samsung T7 SSD 1 TB,1,119.99,PAY-E1,03/11/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
12.03.2026;AMAZON.DE*AB12CD34E;119,99;;
""")

    result = reconcile(items, charges)

    assert result.matches == ()
    assert len(result.unmatched_charges) == 1
    assert len(result.unmatched_shipments) == 1


def test_nok_order_matched_by_nok_amount():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/16/2026,302-6666666-6666666,NOK,Brother TN-2420 toner,2,1398.00,PAY-N1,03/17/2026
03/16/2026,302-6666666-6666666,NOK,Kopipapir A4 80 g 5x500 ark,1,349.50,PAY-N1,03/17/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
18.03.2026;AMAZON BUSINESS EU SARL;1 747,50;;
""")

    result = reconcile(items, charges)

    assert len(result.matches) == 1
    assert [amount for _, amount in result.matches[0].item_amounts] == [Decimal("1398.00"), Decimal("349.50")]


def test_equal_amounts_matched_to_nearest_dates():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/02/2026,302-7777777-0000001,NOK,Nespresso kapsler 100 stk,1,459.00,PAY-C1,03/02/2026
03/09/2026,302-7777777-0000002,NOK,Nespresso kapsler 100 stk,1,459.00,PAY-C2,03/09/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
10.03.2026;AMZN Mktp NO;459,00;;
03.03.2026;AMZN Mktp NO;459,00;;
""")

    result = reconcile(items, charges)

    pairs = {m.charge.date: m.shipment.order_id for m in result.matches}
    assert pairs[date(2026, 3, 3)] == "302-7777777-0000001"
    assert pairs[date(2026, 3, 10)] == "302-7777777-0000002"


def test_competing_charges_all_matched():
    # The charge of 5 March is nearer to the shipment of 6 March, but taking
    # it would leave the charge of 9 March without any shipment in its window.
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/02/2026,302-8888888-0000001,NOK,HP 305A toner svart,1,899.00,PAY-D1,03/02/2026
03/06/2026,302-8888888-0000002,NOK,HP 305A toner svart,1,899.00,PAY-D2,03/06/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
05.03.2026;AMAZON BUSINESS EU;899,00;;
09.03.2026;AMAZON BUSINESS EU;899,00;;
""")

    result = reconcile(items, charges)

    pairs = {m.charge.date: m.shipment.order_id for m in result.matches}
    assert pairs == {
        date(2026, 3, 5): "302-8888888-0000001",
        date(2026, 3, 9): "302-8888888-0000002",
    }
    assert result.unmatched_charges == ()
    assert result.unmatched_shipments == ()


def test_extra_shipment_leaves_nearest_matched():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/02/2026,302-8888888-0000003,NOK,Blekkpatron Canon PG-545,1,229.00,PAY-F1,03/03/2026
03/08/2026,302-8888888-0000004,NOK,Blekkpatron Canon PG-545,1,229.00,PAY-F2,03/08/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
09.03.2026;AMAZON BUSINESS EU;229,00;;
""")

    result = reconcile(items, charges)

    assert [m.shipment.order_id for m in result.matches] == ["302-8888888-0000004"]
    assert [s.order_id for s in result.unmatched_shipments] == ["302-8888888-0000003"]


@pytest.mark.parametrize(("charge_date", "matched"), [
    ("08.03.2026", False),   # three days before the payment date
    ("09.03.2026", True),    # two days before
    ("17.03.2026", True),    # six days after
    ("18.03.2026", False),   # seven days after
])
def test_date_window(charge_date, matched):
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/10/2026,302-9999999-9999999,NOK,Jabra Evolve2 65,1,2490.00,PAY-W1,03/11/2026
""")
    charges = statement(f"""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
{charge_date};AMAZON BUSINESS EU;2 490,00;;
""")

    result = reconcile(items, charges)

    assert (len(result.matches) == 1) is matched
    assert (len(result.unmatched_charges) == 1) is not matched
    assert (len(result.unmatched_shipments) == 1) is not matched


def test_other_charges_and_credits():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/20/2026,302-1212121-1212121,NOK,Kabelkanal hvit 2 m,4,316.00,PAY-G1,03/20/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
20.03.2026;AMAZON BUSINESS EU;316,00;;
21.03.2026;CIRCLE K LILLESTROM;612,40;;
22.03.2026;AMAZON BUSINESS EU;-316,00;;
23.03.2026;AMZN Mktp NO;1 050,00;;
""")

    result = reconcile(items, charges)

    assert len(result.matches) == 1
    assert [c.description for c in result.other_charges] == ["CIRCLE K LILLESTROM"]
    assert [c.amount for c in result.unmatched_charges] == [Decimal("1050.00")]
    assert all(c.amount > 0 for c in result.unmatched_charges + result.other_charges)
    assert [c.amount for c in result.refunds] == [Decimal("-316.00")]


def test_invoice_shipment_not_matched_to_card():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date,Payment Instrument Type
03/20/2026,302-3434343-3434343,NOK,Amazon Business Prime,1,69.00,PAY-I1,03/20/2026,Pay by Invoice
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
20.03.2026;AMZNBusiness*F090Q5RN5;69,00;;
""")

    result = reconcile(items, charges)

    assert result.matches == ()
    assert [s.order_id for s in result.not_card_shipments] == ["302-3434343-3434343"]
    assert result.unmatched_shipments == ()
    assert [c.amount for c in result.unmatched_charges] == [Decimal("69.00")]


def test_shipment_without_charge_reported():
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
03/25/2026,302-3434343-3434343,NOK,Førstehjelpsskrin,1,549.00,PAY-H1,03/26/2026
03/27/2026,302-5656565-5656565,NOK,Vernebriller,10,790.00,PAY-I1,03/27/2026
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
27.03.2026;AMAZON BUSINESS EU;549,00;;
""")

    result = reconcile(items, charges)

    assert [s.order_id for s in result.unmatched_shipments] == ["302-5656565-5656565"]
    assert result.unmatched_shipments[0].total == Decimal("790.00")


def items_with_totals(*totals: str) -> list[ReportItem]:
    return [
        ReportItem("orders.csv", line, "302-0000000-0000000", date(2026, 3, 1), "NOK",
                   f"Item {line}", 1, Decimal(total), Decimal(total))
        for line, total in enumerate(totals, start=2)
    ]


@pytest.mark.parametrize(("amount", "totals"), [
    ("100.00", ("10.00", "10.00", "10.00")),
    ("0.01", ("5.00", "5.00")),
    ("2366.54", ("79.98", "119.99")),
    ("1000.00", ("0.01", "333.33", "333.33", "333.33")),
    ("99.99", ("1.00",) * 7),
])
def test_split_amount_sums_exactly(amount, totals):
    items = items_with_totals(*totals)

    split = split_amount(Decimal(amount), items)

    amounts = [share for _, share in split]
    assert sum(amounts) == Decimal(amount)
    assert all(share == share.quantize(Decimal("0.01")) for share in amounts)
    assert [item for item, _ in split] == items


def test_split_amount_three_equal_items():
    split = split_amount(Decimal("100.00"), items_with_totals("10.00", "10.00", "10.00"))

    amounts = sorted(share for _, share in split)
    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_split_amount_one_cent_over_two():
    split = split_amount(Decimal("0.01"), items_with_totals("5.00", "5.00"))

    amounts = sorted(share for _, share in split)
    assert amounts == [Decimal("0.00"), Decimal("0.01")]


def test_split_amount_proportional():
    split = split_amount(Decimal("1200.00"), items_with_totals("300.00", "100.00"))

    assert [share for _, share in split] == [Decimal("900.00"), Decimal("300.00")]


def test_split_amount_zero_total_shipment():
    split = split_amount(Decimal("59.00"), items_with_totals("0.00", "0.00"))

    amounts = [share for _, share in split]
    assert sum(amounts) == Decimal("59.00")
    assert sorted(amounts) == [Decimal("29.50"), Decimal("29.50")]
