"""Processing on a real store: other merchants' card lines as items, refunds, duplicates and stored columns."""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlmodel import select

import bot.linking
from bot.config import ModelSettings, Settings
from bot.linking import card_holder_email
from bot.masterdata import parse_master_data
from bot.matching import reasons
from bot.matching.results import UNMATCHED
from bot.nlp.classifier import Classifier
from bot.pipeline import LIKE_ORIGINAL, Pipeline
from bot.records import Allocation, CardCharge, ReportItem, Statement
from bot.store import queries
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AllocationRow, AmazonItem, AmazonOrder, AuditEvent, CardTransaction
from bot.store.repository import add_card_charges, add_document, add_report_items, decide, verify_audit_chain
from connectors.csv_export import CsvExporter

MASTER = parse_master_data({
    "cost_centers": [{"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita og møter"},
                     {"code": "400", "name": "IT", "description": "IT-utstyr og programvare"}],
    "accounts": [{"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
                 {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
                 {"number": "7140", "name": "Reisekostnad", "default_tax_code": "1"}],
    "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
    "employees": [{"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
                  {"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100",
                   "manager": "ola.hansen@example.no"}],
}, Path("test.toml"))

IT = Allocation("400", None, "6551", "1")
ADMIN = Allocation("100", None, "6800", "1")
_files = itertools.count(1)


class RecordingAsker:
    def __init__(self):
        self.questions = []

    def ask(self, questions):
        self.questions.extend(questions)


def make_pipeline(store, tmp_path: Path) -> Pipeline:
    with store.session() as session:
        sync_master_data(session, MASTER)
    settings = Settings(model=ModelSettings(dir=tmp_path / "models"))
    return Pipeline(settings, store, MASTER, Classifier(MASTER), RecordingAsker(), CsvExporter(tmp_path / "export"))


def store_report(store, items: list[ReportItem], kind: str = "order_report") -> tuple[list[int], int]:
    name = items[0].source
    with store.session() as session:
        document = add_document(session, kind=kind, filename=name,
                                sha256=hashlib.sha256(f"{name}{next(_files)}".encode()).hexdigest())
        rows, duplicates = add_report_items(session, document, items)
        return [row.id for row in rows], duplicates


def store_statement(store, charges: list[CardCharge]) -> list[int]:
    with store.session() as session:
        document = add_document(session, kind="statement", filename=charges[0].source,
                                sha256=hashlib.sha256(f"statement{next(_files)}".encode()).hexdigest())
        rows, _ = add_card_charges(session, document, Statement(charges[0].source, tuple(charges)))
        return [row.id for row in rows]


def amazon_item(order: str, total: str, *, title: str = "Logitech MX Master 3S", asin: str = "B09HM94VDS",
                reference: str = "PAY-1", source: str = "orders.csv", line: int = 2, **fields) -> ReportItem:
    return ReportItem(source, line, order, date(2026, 11, 2), "NOK", title, 1, Decimal(total), Decimal(total),
                      account_user_email="ola.hansen@example.no", payment_reference=reference,
                      payment_date=date(2026, 11, 2), asin=asin, **fields)


def charge(total: str, day: int, text: str = "AMAZON BUSINESS EU", *, line: int = 2, **fields) -> CardCharge:
    return CardCharge("kort.csv", line, date(2026, 11, day), text, Decimal(total), **fields)


def item_row(store, item_id: int) -> AmazonItem:
    with store.session() as session:
        row = session.get(AmazonItem, item_id)
        session.expunge(row)
        return row


def audit_actions(store) -> list[str]:
    with store.session() as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_other_merchant_line_becomes_item(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    (transaction_id,) = store_statement(store, [charge("240.00", 9, "FLYTOGET AS, Oslo", card="Lise Dahl")])

    report = pipeline.process()

    (outcome,) = report.outcomes
    assert outcome.item.title == "FLYTOGET AS, Oslo"
    assert outcome.amount_nok == Decimal("240.00")
    assert outcome.item.account_user_email == "lise.dahl@example.no"
    row = item_row(store, outcome.item_id)
    assert row.origin == "card"
    assert row.card_transaction_id == transaction_id
    assert row.amount_nok == Decimal("240.00")
    assert row.state in ("asked", "awaiting_approval", "decided")
    assert report.reconciliation.charge_notes[0].reason.template == reasons.CARD_ITEM
    assert "card_item_created" in audit_actions(store)
    with store.session() as session:
        assert queries.open_charges(session) == []


def test_foreign_card_line_keeps_original_amount(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    store_statement(store, [charge("888.81", 12, "CIRCLE K JÖNKÖPING", original_amount=Decimal("845.12"),
                                   original_currency="SEK")])

    (outcome,) = pipeline.process().outcomes

    row = item_row(store, outcome.item_id)
    assert (row.net_total, row.currency, row.amount_nok) == (Decimal("845.12"), "SEK", Decimal("888.81"))


def test_card_holder_maps_to_employee():
    assert card_holder_email("OLA  HANSEN", MASTER) == "ola.hansen@example.no"
    assert card_holder_email("lise.dahl@example.no", MASTER) == "lise.dahl@example.no"
    assert card_holder_email("**** 4821", MASTER) is None
    assert card_holder_email(None, MASTER) is None


def test_refund_of_decided_item_booked_like_it(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    (item_id,) = store_report(store, [amazon_item("302-1000000-0000001", "1000.00")])[0]
    store_statement(store, [charge("1000.00", 3)])
    pipeline.process()
    with store.session() as session:
        decide(session, item_id, [(IT, Decimal("700.00")), (ADMIN, Decimal("300.00"))],
               decided_by="ola.hansen@example.no", source="human")
    store_statement(store, [charge("-1000.00", 20, "AMAZON BUSINESS EU 302-1000000-0000001", line=7)])

    report = pipeline.process()

    (outcome,) = report.outcomes
    assert outcome.decision.action == "book"
    assert outcome.decision.reason == LIKE_ORIGINAL
    refund = item_row(store, outcome.item_id)
    assert (refund.origin, refund.refund_of_id, refund.amount_nok) == ("refund", item_id, Decimal("-1000.00"))
    assert refund.state == "decided"
    with store.session() as session:
        allocation = session.exec(select(AllocationRow).where(AllocationRow.item_id == refund.id)).one()
        assert [(line.cost_center, line.amount) for line in allocation.lines] == [
            ("400", Decimal("-700.00")), ("100", Decimal("-300.00"))]
    assert audit_actions(store)[-2:] == ["refund_matched", "refund_allocated"]


def test_refund_found_by_amount_not_booked_like_original(store, tmp_path):
    """Two equal purchases may be booked differently, so a credit that names no order is routed, not copied."""
    pipeline = make_pipeline(store, tmp_path)
    (item_id,) = store_report(store, [amazon_item("302-1000000-0000004", "1000.00")])[0]
    store_statement(store, [charge("1000.00", 3)])
    pipeline.process()
    with store.session() as session:
        decide(session, item_id, [(IT, Decimal("1000.00"))], decided_by="ola.hansen@example.no", source="human")
    store_statement(store, [charge("-1000.00", 20, line=7)])

    report = pipeline.process()

    (outcome,) = report.outcomes
    assert item_row(store, outcome.item_id).refund_of_id == item_id
    assert outcome.decision.reason != LIKE_ORIGINAL


def test_refund_voucher_balances(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    (item_id,) = store_report(store, [amazon_item("302-1000000-0000002", "449.00")])[0]
    store_statement(store, [charge("449.00", 3)])
    pipeline.process()
    with store.session() as session:
        decide(session, item_id, [(IT, Decimal("449.00"))], decided_by="ola.hansen@example.no", source="human")
    store_statement(store, [charge("-449.00", 21, "AMAZON BUSINESS EU 302-1000000-0000002", line=8)])
    pipeline.process()

    posting = pipeline.post()

    # The purchase and the refund are on two statements, so on two vouchers.
    assert len(posting.with_status("posted")) == 2
    balances: dict[str, Decimal] = defaultdict(Decimal)
    debits = []
    with pipeline.poster.written[0].open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            balances[row["voucher_number"]] += Decimal(row["gross_amount"])
            if row["account"] == "6551":
                debits.append(Decimal(row["gross_amount"]))
    assert set(balances.values()) == {Decimal("0.00")}
    assert sorted(debits) == [Decimal("-449.00"), Decimal("449.00")]
    with store.session() as session:
        assert verify_audit_chain(session) == []


def test_refund_of_undecided_item_routed(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    (item_id,) = store_report(store, [amazon_item("302-1000000-0000003", "449.00")])[0]
    store_statement(store, [charge("449.00", 3), charge("-449.00", 6, line=3)])

    report = pipeline.process()

    assert [outcome.amount_nok for outcome in report.outcomes] == [Decimal("449.00"), Decimal("-449.00")]
    refund = item_row(store, report.outcomes[1].item_id)
    assert refund.refund_of_id == item_id
    assert report.outcomes[1].suggestions
    assert report.outcomes[1].decision.reason != LIKE_ORIGINAL


def test_merchant_refund_of_purchase_same_statement(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    store_statement(store, [charge("449.00", 5, "CLAS OHLSON LILLESTRØM"),
                            charge("-449.00", 11, "Retur CLAS OHLSON LILLESTRØM", line=3)])

    report = pipeline.process()

    purchase, refund = report.outcomes
    assert item_row(store, refund.item_id).refund_of_id == purchase.item_id
    assert refund.amount_nok == Decimal("-449.00")


def test_invoice_after_report_adds_only_shipping(store, tmp_path):
    order = "302-2000000-0000001"
    store_report(store, [amazon_item(order, "4390.00", reference="PAY-9")])
    invoice = [amazon_item(order, "4390.00", reference="PAY-9", source="invoice.pdf", line=1,
                           invoice_number="DE60GTQMP053RU"),
               amazon_item(order, "49.00", title="Versandkosten", asin=None, reference="PAY-9",
                           source="invoice.pdf", line=2)]

    new_ids, skipped = store_report(store, invoice)

    assert skipped == 1
    assert [item_row(store, item_id).title for item_id in new_ids] == ["Versandkosten"]


def test_duplicate_shipment_rows_marked(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    order = "302-2000000-0000002"
    (report_id,) = store_report(store, [amazon_item(order, "4390.00", reference="PAY-8")])[0]
    (shipping_id,) = store_report(store, [amazon_item(order, "49.00", title="Versandkosten", asin=None,
                                                      reference="PAY-8", source="invoice.pdf", line=2)])[0]
    store_statement(store, [charge("4390.00", 3)])

    report = pipeline.process()

    assert [outcome.item_id for outcome in report.outcomes] == [report_id]
    assert item_row(store, shipping_id).state == "duplicate"
    assert "item_duplicate" in audit_actions(store)
    with store.session() as session:
        assert [item_id for item_id, _ in queries.open_items(session)] == []


def test_late_invoice_of_matched_shipment_marked(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    order = "302-2000000-0000003"
    store_report(store, [amazon_item(order, "4390.00", reference="PAY-7")])
    store_statement(store, [charge("4390.00", 3)])
    pipeline.process()
    (shipping_id,) = store_report(store, [amazon_item(order, "49.00", title="Versandkosten", asin=None,
                                                      reference="PAY-7", source="invoice.pdf", line=2)])[0]

    report = pipeline.process()

    assert report.outcomes == []
    assert item_row(store, shipping_id).state == "duplicate"


def test_open_shipment_matched_on_next_statement(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    store_report(store, [amazon_item("302-3000000-0000001", "199.00")])

    first = pipeline.process()

    assert first.outcomes == []
    assert first.reconciliation.open_shipment_notes()[0].reason.template == reasons.NO_STATEMENT
    store_statement(store, [charge("199.00", 3)])
    second = pipeline.process()
    assert [outcome.amount_nok for outcome in second.outcomes] == [Decimal("199.00")]


def test_report_columns_stored_for_matching(store, tmp_path):
    item = amazon_item("302-4000000-0000001", "300.00", payment_amount=Decimal("349.00"),
                       order_shipping=Decimal("49.00"), order_net_total=Decimal("349.00"), order_status="Closed",
                       vat_rate=Decimal("25"), invoice_number="NO123", subtotal=Decimal("300.00"))
    (item_id,) = store_report(store, [item])[0]
    store_report(store, [amazon_item("302-4000000-0000001", "300.00", source="orders-later.csv",
                                     refund_amount=Decimal("300.00"), refund_date=date(2026, 11, 20))])

    with store.session() as session:
        ((_, stored),) = queries.open_items(session)
        order = session.exec(select(AmazonOrder)).one()

    assert (stored.payment_amount, stored.order_shipping, stored.order_net_total) == (
        Decimal("349.00"), Decimal("49.00"), Decimal("349.00"))
    assert (stored.order_status, stored.vat_rate, stored.invoice_number) == ("Closed", Decimal("25.00"), "NO123")
    assert (stored.refund_amount, stored.refund_date) == (Decimal("300.00"), date(2026, 11, 20))
    assert order.net_total == Decimal("349.00")
    assert item_row(store, item_id).subtotal == Decimal("300.00")


def test_card_columns_stored(store, tmp_path):
    (transaction_id,) = store_statement(store, [charge("99.00", 4, "REMA 1000", booked_on=date(2026, 11, 6),
                                                       card="Ola Hansen")])

    with store.session() as session:
        row = session.get(CardTransaction, transaction_id)
        ((_, stored),) = queries.open_charges(session)

    assert (row.booked_on, row.card) == (date(2026, 11, 6), "Ola Hansen")
    assert (stored.booked_on, stored.card) == (date(2026, 11, 6), "Ola Hansen")


def refund_rows(store) -> list[tuple[int | None, Decimal | None]]:
    with store.session() as session:
        rows = session.exec(select(AmazonItem).where(AmazonItem.origin == "refund").order_by(AmazonItem.id))
        return [(row.refund_of_id, row.amount_nok) for row in rows]


def test_refund_skips_free_row(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    order = "302-5000000-0000001"
    (mouse, cable, bag), _ = store_report(store, [
        amazon_item(order, "300.00", asin="B1", line=2),
        amazon_item(order, "149.00", asin="B2", line=3, title="Kabel"),
        amazon_item(order, "0.00", asin="B3", line=4, title="Gratis veske"),
    ])
    store_statement(store, [charge("449.00", 3)])
    pipeline.process()
    store_statement(store, [charge("-449.00", 20, line=7)])

    report = pipeline.process()

    assert refund_rows(store) == [(mouse, Decimal("-300.00")), (cable, Decimal("-149.00"))]
    assert [outcome.amount_nok for outcome in report.outcomes] == [Decimal("-300.00"), Decimal("-149.00")]


def test_rejected_refund_leaves_others(store, tmp_path, monkeypatch):
    pipeline = make_pipeline(store, tmp_path)
    (first,), _ = store_report(store, [amazon_item("302-5000000-0000002", "449.00", reference="PAY-A")])
    (second,), _ = store_report(store, [amazon_item("302-5000000-0000003", "199.00", reference="PAY-B",
                                                    source="o2.csv")])
    store_statement(store, [charge("449.00", 3), charge("199.00", 4, line=3)])
    pipeline.process()
    store_statement(store, [charge("-449.00", 20, line=7), charge("-199.00", 21, line=8)])
    add_refund_item = bot.linking.add_refund_item

    def reject_first(session, original_id, transaction_id, amount_nok):
        if original_id == first:
            raise ValueError(f"refund of amazon item {original_id} rejected by the test")
        return add_refund_item(session, original_id, transaction_id, amount_nok)

    monkeypatch.setattr(bot.linking, "add_refund_item", reject_first)
    report = pipeline.process()

    assert refund_rows(store) == [(second, Decimal("-199.00"))]
    rejected = report.reconciliation.charge_notes[0]
    assert rejected.charge.amount == Decimal("-449.00")
    assert rejected.outcome == UNMATCHED
    assert rejected.reason.template == reasons.NOT_STORED
    assert "rejected by the test" in rejected.reason.params["error"]

    monkeypatch.setattr(bot.linking, "add_refund_item", add_refund_item)
    pipeline.process()

    assert refund_rows(store) == [(second, Decimal("-199.00")), (first, Decimal("-449.00"))]


def test_open_item_not_refunded_twice(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    (item_id,), _ = store_report(store, [amazon_item("302-1000000-0000001", "449.00")])
    store_statement(store, [charge("-449.00", 20, line=7)])
    first = pipeline.process()
    store_statement(store, [charge("-449.00", 27, line=9)])

    second = pipeline.process()

    assert refund_rows(store) == []
    for report in (first, second):
        notes = [note for note in report.reconciliation.charge_notes if note.charge.amount < 0]
        assert [note.outcome for note in notes] == [UNMATCHED] * len(notes)
    store_statement(store, [charge("449.00", 3, line=2)])
    pipeline.process()
    assert refund_rows(store) == [(item_id, Decimal("-449.00"))]
