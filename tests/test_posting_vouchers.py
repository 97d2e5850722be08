"""The vouchers a posting run builds, on SQLite and PostgreSQL: grouping, lines, signs, dates and attachments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

import pytest

from bot.i18n import Translator
from bot.posting.build import VoucherOptions, build_vouchers, shorten
from bot.posting.payload import voucher_from_payload, voucher_payload
from bot.records import Allocation
from bot.store.codes import vat_rates
from bot.store.models import AmazonItem, AuditEvent, Posting, VoucherRow
from bot.store.postings import card_lines, statement_files, unposted_allocations
from posting_store import HAMAR, IT, MASTER_DATA, MEETING, OFFICE, Company, RecordingErp, master_data, post

AMAZON = "AMAZON EU, Luxembourg"


def november_company(store):
    """Two statements, a split, a refund and an item without a card line; return the company and its ids."""
    company = Company(store)
    first, second, credit = company.statement([(3, AMAZON, "1000.00"), (5, AMAZON, "250.00"),
                                               (28, "AMAZON EU REFUND", "-100.00")])
    (kiwi,) = company.statement([(12, "KIWI STORO", "89.90")], filename="sparebank1.csv")
    ids = {
        "mouse": company.item(first, "600.00", "Logitech MX Master 3S"),
        "split": company.item(first, "400.00", "Bosch GSR 12V", lines=[(IT, "300.00"), (HAMAR, "100.00")]),
        "paper": company.item(second, "250.00", "Kopipapir A4", lines=[(OFFICE, "250.00")]),
        "coffee": company.item(kiwi, "89.90", "Kaffe til kundemøte", lines=[(MEETING, "89.90")]),
        "cable": company.item(None, "199.00", "USB-C-kabel"),
    }
    ids["refund"] = company.refund(ids["paper"][0], credit, "-100.00", lines=[(OFFICE, "-100.00")])
    return company, ids


def lines_of(voucher):
    return [(line.account, line.cost_center, line.project, line.tax_code, line.amount, line.clearing)
            for line in voucher.lines]


def test_statement_grouping_one_voucher_per_statement(store, tmp_path):
    _, ids = november_company(store)
    erp = RecordingErp()

    result = post(store, erp, tmp_path)

    assert not result.failed
    assert len(erp.sent) == 3
    cable, kiwi, amazon = erp.sent
    assert lines_of(amazon) == [
        ("6551", "400", None, "14", Decimal("600.00"), False),
        ("6551", "400", None, "14", Decimal("300.00"), False),
        ("6540", "600", "P-1042", "14", Decimal("100.00"), False),
        ("2400", None, None, None, Decimal("-1000.00"), True),
        ("6800", "100", None, "14", Decimal("250.00"), False),
        ("2400", None, None, None, Decimal("-250.00"), True),
        ("6800", "100", None, "14", Decimal("-100.00"), False),
        ("2400", None, None, None, Decimal("100.00"), True),
    ]
    assert lines_of(kiwi) == [("7350", "100", None, "0", Decimal("89.90"), False),
                              ("2400", None, None, None, Decimal("-89.90"), True)]
    assert lines_of(cable) == [("6551", "400", None, "14", Decimal("199.00"), False),
                               ("2400", None, None, None, Decimal("-199.00"), True)]
    for voucher in erp.sent:
        assert voucher.balance() == Decimal("0.00")

    with store.session() as session:
        rows = session.exec(select(VoucherRow).order_by(VoucherRow.id)).all()
        postings = session.exec(select(Posting)).all()
    assert [(row.grouping, row.status, row.attempts) for row in rows] == [
        ("item", "posted", 1), ("statement", "posted", 1), ("statement", "posted", 1)]
    assert [row.number for row in rows] == [voucher.number for voucher in erp.sent]
    assert rows[0].document_id is None
    assert {posting.allocation_id for posting in postings} == {allocation for _, allocation in ids.values()}
    assert {posting.status for posting in postings} == {"posted"}


def test_statement_voucher_texts_dates_period(store, tmp_path):
    november_company(store)
    erp = RecordingErp()

    post(store, erp, tmp_path)

    cable, kiwi, amazon = erp.sent
    # Dated on the statement's latest card line of the run, so it falls in the statement's period.
    assert amazon.date == date(2026, 11, 28)
    assert (amazon.period_start, amazon.period_end) == (date(2026, 11, 3), date(2026, 11, 28))
    assert amazon.description == "Kortutskrift 03.11.2026–28.11.2026"
    assert amazon.reference == "kortutskrift.csv"
    assert [line.description for line in amazon.lines[:4]] == [
        "03.11.2026 Logitech MX Master 3S", "03.11.2026 Bosch GSR 12V", "03.11.2026 Bosch GSR 12V",
        f"03.11.2026 {AMAZON}"]
    assert amazon.lines[-1].description == "28.11.2026 AMAZON EU REFUND"
    # Import VAT (14) is paid to customs, and code 0 has no VAT, so neither amount has VAT to split off.
    assert {line.vat_rate for line in amazon.lines} == {None}
    assert kiwi.lines[0].vat_rate is None
    assert kiwi.date == date(2026, 11, 12)
    # Without a card line the voucher takes the shipment date and has no statement period.
    assert cable.date == date(2026, 11, 2)
    assert (cable.period_start, cable.period_end) == (None, None)
    assert cable.description == "USB-C-kabel"
    assert cable.lines[-1].description == "USB-C-kabel"


def test_item_grouping_one_voucher_per_allocation(store, tmp_path):
    _, ids = november_company(store)
    erp = RecordingErp()

    result = post(store, erp, tmp_path, grouping="item")

    assert not result.failed
    assert len(erp.sent) == len(ids) == 6
    assert sorted(outcome.allocation_ids for outcome in result.outcomes) == sorted(
        (allocation,) for _, allocation in ids.values())
    refund = next(voucher for voucher in erp.sent if voucher.date == date(2026, 11, 28))
    assert lines_of(refund) == [("6800", "100", None, "14", Decimal("-100.00"), False),
                                ("2400", None, None, None, Decimal("100.00"), True)]
    # An item voucher is the statement line's own: no date in the texts, but the statement's period.
    assert refund.lines[0].description == "Kopipapir A4"
    assert refund.lines[1].description == "AMAZON EU REFUND"
    assert refund.period_start == date(2026, 11, 3)
    assert all(voucher.balance() == 0 for voucher in erp.sent)
    with store.session() as session:
        assert set(session.exec(select(VoucherRow.grouping)).all()) == {"item"}


def test_refund_keeps_its_sign_end_to_end(store, tmp_path):
    company = Company(store)
    purchase, credit = company.statement([(4, AMAZON, "449.00"), (20, "AMAZON EU REFUND", "-449.00")])
    original, _ = company.item(purchase, "449.00", "Logitech Brio 4K")
    company.refund(original, credit, "-449.00")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    (voucher,) = erp.sent
    debits = [line.amount for line in voucher.lines if not line.clearing]
    clearing = [line.amount for line in voucher.lines if line.clearing]
    assert debits == [Decimal("449.00"), Decimal("-449.00")]
    assert clearing == [Decimal("-449.00"), Decimal("449.00")]
    assert voucher.balance() == 0


def test_items_posted_and_audited(store, tmp_path):
    _, ids = november_company(store)
    erp = RecordingErp()

    post(store, erp, tmp_path)

    item_ids = {item for item, _ in ids.values()}
    with store.session() as session:
        states = session.exec(select(AmazonItem.id, AmazonItem.state).where(AmazonItem.id.in_(item_ids))).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "posted")).all()
    assert {state for _, state in states} == {"posted"}
    assert {int(event.subject_id) for event in events} == item_ids
    amazon_events = [event for event in events if event.data["voucher"] == erp.sent[2].number]
    assert len(amazon_events) == 4
    assert {event.data["connector"] for event in events} == {"recording"}
    assert {event.data["external_id"] for event in amazon_events} == {"ERP-3"}


def test_long_texts_shortened_visibly(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(9, "AMAZON BUSINESS EU SARL, 38 AVENUE JOHN F. KENNEDY, L-1855 LUXEMBOURG",
                                  "1299.00")])
    title = "Samsung Galaxy Tab S9 FE, 10,9 Zoll, 128 GB, 6 GB RAM, Android, WLAN, Grau, inkl. S Pen"
    company.item(line, "1299.00", title)
    erp = RecordingErp()

    post(store, erp, tmp_path)

    debit, clearing = erp.sent[0].lines
    assert len(debit.description) == 60
    assert debit.description.endswith("…")
    assert debit.description.startswith("09.11.2026 Samsung Galaxy Tab S9 FE")
    assert len(clearing.description) == 60
    assert clearing.description.endswith("…")
    assert shorten("Kaffe") == "Kaffe"


def test_long_title_cut_between_characters(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(9, AMAZON, "149.00")])
    # The woman-technologist emoji is three code points joined by U+200D, and the cut would fall inside it.
    company.item(line, "149.00", "Krus «Verdens beste kollega» med farget tekst \U0001F469\u200d\U0001F4BB, 350 ml")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    debit, _clearing = erp.sent[0].lines
    assert debit.description == "09.11.2026 Krus «Verdens beste kollega» med farget tekst…"
    assert len(debit.description) <= 60


@pytest.mark.parametrize(("length", "expected"), [
    (8, "Flagg…"),
    (9, "Flagg \U0001F1F3\U0001F1F4…"),
    (11, "Flagg \U0001F1F3\U0001F1F4\U0001F1F3\U0001F1F4…"),
    (12, "Flagg \U0001F1F3\U0001F1F4\U0001F1F3\U0001F1F4\U0001F1F3\U0001F1F4"),
])
def test_shorten_keeps_flags_whole(length, expected):
    # Each flag is a pair of regional indicators, so a cut between the two would leave half a flag.
    assert shorten("Flagg " + "\U0001F1F3\U0001F1F4" * 3, length) == expected


def test_shorten_keeps_accents_whole():
    # "q" with a combining dot above has no precomposed form, so the cut must not fall between them.
    assert shorten("Nummer q\u0307 til slutt", 9) == "Nummer…"
    # A decomposed "é" is composed first, and counts as one character.
    assert shorten("Kafe\u0301 Oslo", 9) == "Kaf\u00e9 Oslo"


def test_vat_rate_only_where_price_contains_vat(store, tmp_path):
    tax_codes = [*MASTER_DATA["tax_codes"],
                 {"code": "86", "name": "Tjenester kjøpt fra utlandet, alminnelig sats", "rate": 25}]
    company = Company(store, master_data(tax_codes=tax_codes))
    (line,) = company.statement([(9, "ADOBE *CREATIVE CLD", "794.94")])
    company.item(line, "794.94", "Adobe Creative Cloud", lines=[(Allocation("400", None, "6551", "86"), "500.00"),
                                                               (Allocation("400", None, "6551", "1"), "294.94")])
    erp = RecordingErp()

    post(store, erp, tmp_path)

    reverse_charge, domestic, clearing = erp.sent[0].lines
    assert (reverse_charge.tax_code, reverse_charge.vat_rate) == ("86", None)
    assert (domestic.tax_code, domestic.vat_rate) == ("1", Decimal("25"))
    assert clearing.vat_rate is None


def test_vat_in_price_sets_vat_rates(store, tmp_path):
    company = Company(store)
    (card_line,) = company.statement([(9, AMAZON, "500.00")])
    company.item(card_line, "500.00", lines=[(IT, "400.00"), (MEETING, "100.00")])
    with store.session() as session:
        allocations = unposted_allocations(session)
        cards = card_lines(session, {card_line})
        statements = statement_files(session, {card.document_id for card in cards.values()})
        rates = vat_rates(session)

    def built_rates(vat_in_price):
        options = VoucherOptions("statement", "2400", "NOK", rates, Translator("nb"), vat_in_price)
        (draft,) = build_vouchers(allocations, cards, statements, options)
        return [(line.tax_code, line.vat_rate) for line in draft.voucher.lines]

    assert built_rates(("14",)) == [("14", Decimal("25")), ("0", None), (None, None)]
    assert built_rates(("0", "1")) == [("14", None), ("0", Decimal("0")), (None, None)]
    assert built_rates(()) == [("14", None), ("0", None), (None, None)]


def test_stored_statement_period_used(store, tmp_path):
    company = Company(store)
    (line,) = company.statement([(9, AMAZON, "500.00")], period=(date(2026, 11, 1), date(2026, 11, 30)))
    company.item(line, "500.00")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    assert (erp.sent[0].period_start, erp.sent[0].period_end) == (date(2026, 11, 1), date(2026, 11, 30))


def test_statement_pdf_attached(store, tmp_path):
    company = Company(store)
    pdf = tmp_path / "kortutskrift.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    (line,) = company.statement([(9, AMAZON, "500.00")], filename="kortutskrift.pdf", path=pdf)
    company.item(line, "500.00")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    assert erp.sent[0].attachments == (pdf,)


def test_pdf_of_same_message_attached(store, tmp_path):
    """The card lines belong to the CSV read first; the PDF sent along in the same message is attached."""
    company = Company(store)
    csv_path = tmp_path / "kortutskrift.csv"
    csv_path.write_text("Dato;Tekst;Beløp\n", encoding="utf-8")
    pdf = tmp_path / "kortutskrift.pdf"
    pdf.write_bytes(b"%PDF-1.7\n")
    (line,) = company.statement([(9, AMAZON, "500.00")], path=csv_path, message_id="<m1@example.no>")
    company.statement([], filename="kortutskrift.pdf", path=pdf, message_id="<m1@example.no>")
    company.item(line, "500.00")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    assert erp.sent[0].attachments == (pdf,)


def test_missing_or_csv_statement_not_attached(store, tmp_path):
    company = Company(store)
    gone = tmp_path / "slettet.pdf"
    csv_path = tmp_path / "kortutskrift.csv"
    csv_path.write_text("Dato;Tekst;Beløp\n", encoding="utf-8")
    (first,) = company.statement([(9, AMAZON, "500.00")], filename="slettet.pdf", path=gone)
    (second,) = company.statement([(10, AMAZON, "300.00")], path=csv_path)
    company.item(first, "500.00")
    company.item(second, "300.00")
    erp = RecordingErp()

    post(store, erp, tmp_path)

    assert [voucher.attachments for voucher in erp.sent] == [(), ()]


def test_payload_round_trip_exact(store, tmp_path):
    november_company(store)
    erp = RecordingErp()

    post(store, erp, tmp_path)

    with store.session() as session:
        payloads = session.exec(select(VoucherRow.payload).order_by(VoucherRow.id)).all()
    assert [voucher_from_payload(payload) for payload in payloads] == erp.sent
    assert voucher_payload(erp.sent[2])["lines"][0]["amount"] == "600.00"
