"""Reconciliation of card lines with shipments: references, amounts, dates, reasons and duplicates."""

import csv
import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.i18n import Translator
from bot.matching import reasons
from bot.matching.results import CARD_ITEM, DUPLICATE, MATCHED, NOT_EXPECTED, REFUNDED, UNMATCHED
from bot.matching.shipments import build_shipments
from bot.reconcile import reconcile
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
            payment_amount=Decimal(row["Payment Amount"]) if row.get("Payment Amount") else None,
            order_status=row.get("Order Status") or None,
            asin=row.get("ASIN") or None,
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

    shipments = build_shipments(items)

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

    shipments = build_shipments(items)

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
    assert result.matches[0].shipments[0].order_id == "304-5555555-5555555"
    assert sum(amount for _, amount in result.matches[0].item_amounts) == Decimal("2366.54")
    assert result.unmatched_charges == ()
    assert result.unmatched_shipments == ()


def test_exact_amount_beats_cent_off():
    """842,20 and 842,19 EUR are each within a cent of both shipments; the exact pairs win."""
    items = report("""\
Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date
02/03/2027,304-1000000-0000001,EUR,Drill,1,842.20,PAY-A,02/04/2027
02/04/2027,304-1000000-0000002,EUR,Saw,1,842.19,PAY-B,02/05/2027
""")
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
06.02.2027;AMAZON EU, Luxembourg;9 736,67;842,20;EUR
07.02.2027;AMAZON EU, Luxembourg;9 736,55;842,19;EUR
""")

    result = reconcile(items, charges)

    assert [(match.charge.original_amount, match.shipments[0].order_id) for match in result.matches] == [
        (Decimal("842.20"), "304-1000000-0000001"), (Decimal("842.19"), "304-1000000-0000002")]


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

    pairs = {m.charge.date: m.shipments[0].order_id for m in result.matches}
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

    pairs = {m.charge.date: m.shipments[0].order_id for m in result.matches}
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

    assert [m.shipments[0].order_id for m in result.matches] == ["302-8888888-0000004"]
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
    assert [r.charge.amount for r in result.refund_matches] == [Decimal("-316.00")]
    assert result.refunds == ()
    assert [note.outcome for note in result.charge_notes] == [MATCHED, CARD_ITEM, REFUNDED, UNMATCHED]


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


HEADER = "Order Date,Order ID,Currency,Title,Item Quantity,Item Net Total,Payment Reference ID,Payment Date"
CARD_HEADER = "Dato;Beskrivelse;Beløp;Valutabeløp;Valuta"


def note_of(result, charge):
    (note,) = [note for note in result.charge_notes if note.charge is charge]
    return note


def test_every_line_and_shipment_noted():
    items = report(f"""\
{HEADER},Payment Instrument Type
03/02/2026,302-1000000-0000001,NOK,Toner,1,899.00,PAY-1,03/02/2026,Visa
03/02/2026,302-1000000-0000002,NOK,Papir,1,349.00,PAY-2,03/02/2026,Visa
03/02/2026,302-1000000-0000003,NOK,Prime,1,69.00,PAY-3,03/02/2026,Pay by Invoice
""")
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;899,00;;
04.03.2026;AMAZON BUSINESS EU;123,00;;
05.03.2026;REMA 1000;212,00;;
""")

    result = reconcile(items, charges)

    assert [note.charge for note in result.charge_notes] == charges
    assert [note.outcome for note in result.charge_notes] == [MATCHED, UNMATCHED, CARD_ITEM]
    assert {note.shipment.order_id: note.outcome for note in result.shipment_notes} == {
        "302-1000000-0000001": MATCHED, "302-1000000-0000002": UNMATCHED, "302-1000000-0000003": NOT_EXPECTED}
    assert result.charge_notes[1].reason == reasons.reason(reasons.NO_SHIPMENT, amount="123.00", currency="NOK",
                                                           first=date(2026, 2, 26), last=date(2026, 3, 6))
    invoice = [note for note in result.shipment_notes if note.outcome == NOT_EXPECTED][0]
    assert invoice.reason.params == {"instrument": "Pay by Invoice"}


def test_payment_reference_on_line_matches_outside_window():
    items = report(f"""\
{HEADER}
03/02/2026,302-2000000-0000001,NOK,Skrivebordslampe,1,499.00,U38ZM1195,03/02/2026
03/02/2026,302-2000000-0000002,NOK,Skrivebordslampe,1,499.00,K77QA2201,03/02/2026
""")
    charges = statement(f"""\
{CARD_HEADER}
20.03.2026;AMZN Mktp DE*K77QA2201;499,00;;
""")

    result = reconcile(items, charges)

    assert [m.shipments[0].order_id for m in result.matches] == ["302-2000000-0000002"]
    assert result.matches[0].reason.template == reasons.BY_REFERENCE
    assert [s.order_id for s in result.unmatched_shipments] == ["302-2000000-0000001"]


def test_payment_reference_with_wrong_amount_left_open():
    items = report(f"""\
{HEADER}
03/02/2026,302-2000000-0000003,NOK,Headset,1,799.00,K77QA2202,03/02/2026
""")
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMZN Mktp DE*K77QA2202;899,00;;
""")

    result = reconcile(items, charges)

    assert result.matches == ()
    assert result.charge_notes[0].reason.template == reasons.REFERENCE_MISMATCH
    assert result.charge_notes[0].reason.params["total"] == "799.00"


def test_sepa_line_matched_by_order_id():
    # The direct debit pays two of the order's three rows, which carry no payment reference.
    items = report(f"""\
{HEADER}
03/02/2026,305-7892042-7991539,NOK,Kabel A,1,100.00,,
03/02/2026,305-7892042-7991539,NOK,Kabel B,1,250.00,,
03/02/2026,305-7892042-7991539,NOK,Kabel C,1,400.00,,
""")
    charges = statement(f"""\
{CARD_HEADER}
25.03.2026;AMAZON PAYMENTS EUROPE S.C.A. 305-7892042-7991539 AMZN Mkt DE;500,00;;
""")

    result = reconcile(items, charges)

    (match,) = result.matches
    assert match.reason.template == reasons.BY_ORDER_ID
    assert sorted(item.title for item, _ in match.item_amounts) == ["Kabel A", "Kabel C"]
    assert [item.title for shipment in result.unmatched_shipments for item in shipment.items] == ["Kabel B"]


def test_named_order_not_received_left_open():
    charges = statement(f"""\
{CARD_HEADER}
25.03.2026;AMAZON BUSINESS EU SARL 305-0682748-5941962 AMZNBusiness;500,00;;
""")

    result = reconcile([], charges)

    assert result.charge_notes[0].reason == reasons.reason(reasons.ORDER_UNKNOWN, order_id="305-0682748-5941962")


def test_equal_lines_for_different_orders_ambiguous():
    items = report(f"""\
{HEADER}
03/02/2026,302-3000000-0000001,NOK,Toner HP 305A,1,899.00,PAY-A,03/02/2026
03/02/2026,302-3000000-0000002,NOK,Blekk Canon PG-545,1,899.00,PAY-B,03/02/2026
""")
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;899,00;;
03.03.2026;AMAZON BUSINESS EU;899,00;;
""")

    result = reconcile(items, charges)

    assert result.matches == ()
    assert [note.reason.template for note in result.charge_notes] == [reasons.AMBIGUOUS_CHARGE] * 2
    assert [note.reason.template for note in result.shipment_notes] == [reasons.AMBIGUOUS_SHIPMENT] * 2


def test_interchangeable_shipments_matched():
    # Same product, same amount, same requester: which line pays which changes no booking.
    items = report(f"""\
{HEADER},ASIN
03/02/2026,302-3000000-0000003,NOK,Nespresso kapsler,1,459.00,PAY-C,03/02/2026,B00KAPSEL
03/02/2026,302-3000000-0000004,NOK,Nespresso kapsler,1,459.00,PAY-D,03/02/2026,B00KAPSEL
""")
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;459,00;;
03.03.2026;AMAZON BUSINESS EU;459,00;;
""")

    result = reconcile(items, charges)

    assert len(result.matches) == 2
    assert {m.shipments[0].order_id for m in result.matches} == {"302-3000000-0000003", "302-3000000-0000004"}


def test_line_equally_near_two_shipments_ambiguous():
    items = report(f"""\
{HEADER}
03/02/2026,302-3000000-0000005,NOK,Toner HP 305A,1,899.00,PAY-E,03/02/2026
03/06/2026,302-3000000-0000006,NOK,Blekk Canon PG-545,1,899.00,PAY-F,03/06/2026
""")
    charges = statement(f"""\
{CARD_HEADER}
04.03.2026;AMAZON BUSINESS EU;899,00;;
""")

    result = reconcile(items, charges)

    assert result.matches == ()
    assert result.charge_notes[0].reason == reasons.reason(reasons.AMBIGUOUS_CHARGE, count=2)


def test_outbid_line_says_taken():
    items = report(f"""\
{HEADER}
03/02/2026,302-3000000-0000007,NOK,Toner HP 305A,1,899.00,PAY-G,03/02/2026
""")
    charges = statement(f"""\
{CARD_HEADER}
02.03.2026;AMAZON BUSINESS EU;899,00;;
07.03.2026;AMAZON BUSINESS EU;899,00;;
""")

    result = reconcile(items, charges)

    assert [m.charge.date for m in result.matches] == [date(2026, 3, 2)]
    assert result.charge_notes[1].reason.template == reasons.TAKEN


def test_payment_amount_preferred_over_item_totals():
    # The items lack 49 kr shipping; the report's Payment Amount is what Amazon charged.
    items = report(f"""\
{HEADER},Payment Amount
03/02/2026,302-4000000-0000001,NOK,Kaffetrakter,1,300.00,PAY-H,03/02/2026,449.00
03/02/2026,302-4000000-0000001,NOK,Kaffefilter,1,100.00,PAY-H,03/02/2026,449.00
""")
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;449,00;;
""")

    result = reconcile(items, charges)

    (match,) = result.matches
    assert [amount for _, amount in match.item_amounts] == [Decimal("336.75"), Decimal("112.25")]


def test_report_and_invoice_counted_once():
    rows = report(f"""\
{HEADER}
03/02/2026,302-5000000-0000001,NOK,Dell P2723DE,1,4390.00,PAY-I,03/02/2026
""")
    invoice = [replace(rows[0], source="invoice.pdf", line=1, invoice_number="DE60GTQMP053RU"),
               replace(rows[0], source="invoice.pdf", line=2, title="Versandkosten", net_total=Decimal("49.00"),
                       unit_price=Decimal("49.00"))]
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;4 390,00;;
""")

    result = reconcile(rows + invoice, charges)

    (match,) = result.matches
    assert [item.source for item, _ in match.item_amounts] == ["orders.csv"]
    assert [item.source for shipment in result.duplicates for item in shipment.items] == ["invoice.pdf"] * 2
    duplicate = [note for note in result.shipment_notes if note.outcome == DUPLICATE][0]
    assert duplicate.reason == reasons.reason(reasons.DUPLICATE, source="orders.csv")


def test_shipment_matched_before_is_duplicate():
    rows = report(f"""\
{HEADER}
03/02/2026,302-5000000-0000002,NOK,Versandkosten,1,49.00,PAY-J,03/02/2026
""")
    earlier = [replace(rows[0], source="orders.csv", title="Dell P2723DE", net_total=Decimal("4390.00"))]
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;49,00;;
""")

    result = reconcile(rows, charges, earlier=earlier)

    assert result.matches == ()
    assert [shipment.items for shipment in result.duplicates] == [(rows[0],)]
    assert result.charge_notes[0].outcome == UNMATCHED


def test_canceled_order_expects_no_line():
    items = report(f"""\
{HEADER},Order Status
03/02/2026,302-6000000-0000001,NOK,Stol,1,1990.00,,,Canceled
""")

    result = reconcile(items, [])

    assert result.unmatched_shipments == ()
    assert result.shipment_notes[0].outcome == NOT_EXPECTED
    assert result.shipment_notes[0].reason.template == reasons.CANCELED


def test_free_shipment_expects_no_line():
    items = report(f"""\
{HEADER},Order Status
03/02/2026,302-6000000-0000002,NOK,Prøveeksemplar,1,0.00,,,Closed
""")

    result = reconcile(items, [])

    assert result.unmatched_shipments == ()
    assert result.shipment_notes[0].outcome == NOT_EXPECTED
    assert result.shipment_notes[0].reason.template == reasons.FREE


@pytest.mark.parametrize(("paid", "template"), [
    ("03/29/2026", reasons.AFTER_STATEMENT),
    ("03/02/2026", reasons.BEFORE_STATEMENT),
    ("03/15/2026", reasons.NO_CARD_LINE),
])
def test_open_shipment_reason_by_period(paid, template):
    items = report(f"""\
{HEADER}
{paid},302-6000000-0000002,NOK,Stol,1,1990.00,PAY-K,{paid}
""")

    result = reconcile(items, [], period=(date(2026, 3, 1), date(2026, 3, 31)))

    assert result.shipment_notes[0].reason.template == template


def test_pending_order_not_charged_yet():
    items = report(f"""\
{HEADER},Order Status
03/15/2026,302-6000000-0000003,NOK,Stol,1,1990.00,,,Pending fulfillment
""")

    result = reconcile(items, [], period=(date(2026, 3, 1), date(2026, 3, 31)))

    assert result.shipment_notes[0].reason == reasons.reason(reasons.PENDING, status="Pending fulfillment")


def test_no_statement_yet():
    items = report(f"""\
{HEADER}
03/15/2026,302-6000000-0000004,NOK,Stol,1,1990.00,PAY-L,03/15/2026
""")

    result = reconcile(items, [])

    assert result.shipment_notes[0].reason.template == reasons.NO_STATEMENT


def test_zero_line_left_open():
    charges = statement(f"""\
{CARD_HEADER}
03.03.2026;AMAZON BUSINESS EU;0,00;;
""")

    result = reconcile([], charges)

    assert result.charge_notes[0].reason.template == reasons.ZERO_AMOUNT


def test_reason_described_in_norwegian():
    note = reasons.reason(reasons.NO_SHIPMENT, amount=Decimal("1234.50"), currency="EUR",
                          first=date(2026, 3, 1), last=date(2026, 3, 9))

    text = reasons.describe(note, Translator("nb"))

    assert text == "ingen forsendelse på 1\xa0234,50 EUR betalt mellom 01.03.2026 og 09.03.2026"


def test_reason_params_exact_strings():
    note = reasons.reason(reasons.BY_AMOUNT, amount=Decimal("2366.54"), currency="EUR", date=date(2026, 3, 11))

    assert note.params == {"amount": "2366.54", "currency": "EUR", "date": "2026-03-11"}


def test_merchant_credit_two_purchases_stays_open():
    charges = statement("""\
Dato;Beskrivelse;Beløp;Valutabeløp;Valuta
03.03.2026;CLAS OHLSON OSLO;200,00;;
04.03.2026;CLAS OHLSON OSLO;200,00;;
10.03.2026;CLAS OHLSON OSLO;-200,00;;
""")

    result = reconcile([], charges)

    assert result.refund_matches == ()
    assert [c.amount for c in result.other_charges] == [Decimal("200.00"), Decimal("200.00")]
    credit = result.charge_notes[2]
    assert credit.outcome == UNMATCHED
    assert credit.reason.template == reasons.REFUND_AMBIGUOUS
    assert credit.reason.params["count"] == 2
