"""The whole flow on the sample company, and bad input that must leave the store untouched."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlmodel import func, select

from bot.commands import ingest_inbox
from bot.config import ExportSettings, MailboxSettings, MailSettings, ModelSettings, PolicySettings, Settings
from bot.demo import DEMO_TARGET_PRECISION
from bot.errors import InputError
from bot.masterdata import load_master_data
from bot.nlp.classifier import Classifier
from bot.pipeline import Pipeline
from bot.sample import generate
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AllocationRow, AmazonItem, AuditEvent, CardTransaction, Document
from bot.store.repository import verify_audit_chain
from connectors.csv_export import CsvExporter


class RecordingAsker:
    def __init__(self):
        self.questions = []

    def ask(self, questions):
        self.questions.extend(questions)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("sample"))


def make_pipeline(store, sample, tmp_path, **mailbox_options) -> Pipeline:
    master = load_master_data(sample.master_data)
    with store.session() as session:
        sync_master_data(session, master)
    settings = Settings(
        master_data=sample.master_data,
        mail=MailSettings(documents_dir=tmp_path / "documents"),
        mailbox=MailboxSettings(**mailbox_options),
        export=ExportSettings(export_dir=tmp_path / "export"),
        model=ModelSettings(dir=tmp_path / "models"),
        # The demo's target, which the sample's deliberate slips still let it reach.
        policy=PolicySettings(target_precision=DEMO_TARGET_PRECISION),
    )
    return Pipeline(settings, store, master, Classifier(master), RecordingAsker(), CsvExporter(tmp_path / "export"))


def count(store, table) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_flow_end_to_end(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)

    learned, known = pipeline.learn(list(sample.history))
    trained = pipeline.train()
    assert learned > 1000
    assert known == 0
    assert trained.training_size == learned

    report = pipeline.ingest_mail(sample.eml)
    truth_rows = sum(1 for _ in csv.DictReader(sample.truth.open(encoding="utf-8")))
    assert report.new_items == truth_rows
    assert report.new_charges > 100
    # The PDF repeats the CSV's purchase lines, so each is stored once.
    assert report.duplicate_charges > 100

    pipeline.process(report)
    reconciliation = report.reconciliation
    assert len(reconciliation.unmatched_charges) == 1
    assert len(reconciliation.unmatched_shipments) == 2
    assert all(outcome.suggestions for outcome in report.outcomes)

    booked = [o for o in report.outcomes if o.decision.action == "book"]
    asked = [o for o in report.outcomes if o.decision.action != "book"]
    assert booked
    assert len(pipeline.asker.questions) == len(asked)
    assert all(o.amount_nok < Decimal("5000") for o in booked)

    posting = pipeline.post()
    assert not posting.failed
    assert pipeline.post().outcomes == []

    (export_file,) = pipeline.poster.written
    balances = defaultdict(Decimal)
    dates = set()
    debit_lines = 0
    with export_file.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            balances[row["voucher_number"]] += Decimal(row["gross_amount"])
            dates.add(row["date"][:7])
            debit_lines += row["clearing"] == "0"
    # One voucher for the statement, dated on its last card line of the run, so it falls in the statement's month.
    assert dates == {"2026-11"}
    assert len(balances) == len(posting.outcomes) == 1
    assert debit_lines == len(booked)
    assert set(balances.values()) == {Decimal("0.00")}

    with store.session() as session:
        assert verify_audit_chain(session) == []


def test_same_message_twice_adds_nothing(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    pipeline.ingest_mail(sample.eml)
    items_before = count(store, AmazonItem)

    again = pipeline.ingest_mail(sample.eml)

    assert again.documents == []
    assert len(again.skipped_documents) == 3
    assert count(store, AmazonItem) == items_before


def test_broken_pdf_stores_nothing(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    broken = tmp_path / "kortutskrift.pdf"
    broken.write_bytes(sample.statement_pdf.read_bytes()[:2000])

    with pytest.raises(InputError) as caught:
        pipeline.ingest_files([sample.month_report, broken])

    assert "kortutskrift.pdf" in str(caught.value)
    assert count(store, Document) == 0
    assert count(store, AmazonItem) == 0


def test_report_missing_column_stores_nothing(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    lines = sample.month_report.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([lines[0]]))
    dropped = header.index("Item Net Total")
    rows = [next(csv.reader([line])) for line in lines]
    damaged = tmp_path / "orders-november.csv"
    with damaged.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for row in rows:
            writer.writerow(row[:dropped] + row[dropped + 1:])

    with pytest.raises(InputError) as caught:
        pipeline.ingest_files([sample.statement_csv, damaged])

    assert "orders-november.csv" in str(caught.value)
    assert "Item Net Total" in str(caught.value)
    assert count(store, Document) == 0
    assert count(store, CardTransaction) == 0


def test_statement_total_mismatch_stores_nothing(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    statement = tmp_path / "utskrift-feil-sum.pdf"
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for text in ("Kontoutskrift bedriftskort", "Kortnummer **** **** **** 4821",
                 "Periode 01.11.2026 - 30.11.2026", "Dato Beløpet gjelder Valuta Kurs Beløp",
                 "03.11.2026 AMAZON EU, Luxembourg 12,50 EUR 11,8500 148,13",
                 "05.11.2026 REMA 1000 OSLO, Oslo 150,50",
                 "Sum kjøp i perioden 999,99"):
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(statement))

    with pytest.raises(InputError) as caught:
        pipeline.ingest_files([sample.month_report, statement])

    message = str(caught.value)
    assert "utskrift-feil-sum.pdf" in message
    assert "999,99" in message or "999.99" in message
    assert count(store, Document) == 0
    assert count(store, AmazonItem) == 0


def test_message_without_attachments_rejected(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    message = EmailMessage()
    message["From"] = "Ingrid Bakken <ingrid.bakken@nordlys-teknikk.no>"
    message["To"] = "bilag@nordlys-teknikk.no"
    message["Subject"] = "Fwd: Kortutskrift november"
    message["Message-ID"] = "<uten-vedlegg@nordlys-teknikk.no>"
    message.set_content("Hei, her er kortutskriften.")
    path = tmp_path / "uten-vedlegg.eml"
    path.write_bytes(bytes(message))

    with pytest.raises(InputError) as caught:
        pipeline.ingest_mail(path)

    assert "uten-vedlegg.eml" in str(caught.value)
    assert count(store, Document) == 0


def test_sender_not_allowed_rejected(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path, allowed_senders=("controller@nordlys-teknikk.no",))

    with pytest.raises(InputError) as caught:
        pipeline.ingest_mail(sample.eml)

    assert "ingrid.bakken@nordlys-teknikk.no" in str(caught.value)
    assert "allowed_senders" in str(caught.value)
    assert count(store, Document) == 0


def test_unlabeled_history_rejected(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)

    with pytest.raises(InputError) as caught:
        pipeline.learn([sample.history[0], sample.month_report])

    assert sample.month_report.name in str(caught.value)
    assert "line 2" in str(caught.value)
    assert count(store, Document) == 0
    assert count(store, AllocationRow) == 0


def test_inbox_moves_messages_and_audits_failures(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.eml").write_bytes(sample.eml.read_bytes())
    message = EmailMessage()
    message["From"] = "ingrid.bakken@nordlys-teknikk.no"
    message["Message-ID"] = "<tom@nordlys-teknikk.no>"
    message.set_content("Glemte vedlegget.")
    (inbox / "empty.eml").write_bytes(bytes(message))

    report = ingest_inbox(pipeline, inbox)

    assert report.new_items > 0
    assert (inbox / "processed" / "good.eml").exists()
    assert (inbox / "failed" / "empty.eml").exists()
    assert list(inbox.glob("*.eml")) == []
    with store.session() as session:
        rejected = session.exec(select(AuditEvent).where(AuditEvent.action == "document_rejected")).all()
    assert [event.subject_id for event in rejected] == ["empty.eml"]
    assert "empty.eml" in rejected[0].data["error"]


def test_history_with_unknown_account_rejected(store, sample, tmp_path):
    pipeline = make_pipeline(store, sample, tmp_path)
    text = sample.history[0].read_text(encoding="utf-8-sig")
    header = next(csv.reader([text.splitlines()[0]]))
    rows = list(csv.reader(text.splitlines()))
    rows[3][header.index("GL Code")] = "9999"
    damaged = tmp_path / "history-june.csv"
    with damaged.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)

    with pytest.raises(InputError) as caught:
        pipeline.learn([damaged])

    message = str(caught.value)
    assert "history-june.csv" in message
    assert "line 4" in message
    assert "account 9999" in message
    assert count(store, Document) == 0
