"""allocbot privacy erase through the command line, on SQLite and PostgreSQL.

The store holds one former employee, Ola Hansen, in every place the bot
writes a person: requester, questions, decisions, Slack cache, mail, master
data rows, free text and JSON, a posted voucher and the audit log. After the
erasure only the kept columns may still hold the address or the name, and
the bookkeeping (vouchers, allocation lines, amounts) and the audit chain
must be unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import JSON, String, Text, TypeDecorator, select, text

from bot.records import Allocation, Reason, ReportItem, Suggestion
from bot.store.audit import verify_audit_chain
from bot.store.models import (
    AllocationLine,
    AllocationRow,
    AmazonItem,
    AuditEvent,
    MailMessage,
    Question,
    SlackUser,
    StoreModel,
    VoucherRow,
)
from bot.store.repository import (
    add_document,
    add_question,
    add_report_items,
    audit,
    decide,
    link_item_to_charge,
    save_suggestions,
)
from cli_helpers import run_cli, write_config
from posting_store import IT, Company, RecordingErp, master_data, post

EMAIL = "ola.hansen@example.no"
NAME = "Ola Hansen"
PERSON = re.compile(rf"{re.escape(EMAIL)}|ola\s+hansen", re.IGNORECASE)

# Where the person may stay after the erasure, because bookkeeping needs it or the audit chain covers it.
KEPT_COLUMNS = {
    ("voucher", "payload"),
    ("allocation", "decided_by"),
    ("amazon_item", "title"),
    ("card_transaction", "description"),
    ("document", "filename"),
    *(("audit_event", column.name) for column in AuditEvent.__table__.columns),
}


def erase(store, tmp_path, *extra, email=EMAIL, language="nb"):
    return run_cli(["--config", str(write_config(store, tmp_path, language)), "privacy", "erase", email, *extra])


@pytest.fixture
def company(store, tmp_path):
    """Store a posted item and an open one of Ola Hansen, and his traces elsewhere; return the open item's id."""
    master = master_data(
        projects=[{"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": EMAIL, "cost_center": "600"}],
        employees=[{"email": EMAIL, "name": NAME, "cost_center": "400"},
                   {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600",
                    "manager": EMAIL}],
    )
    company = Company(store, master)
    card_lines = company.statement([(3, "AMAZON", "1234.50"), (4, "AMAZON", "99.00"), (5, "AMAZON", "450.00")])
    company.item(card_lines[0], "1234.50", title=f"Avskjedsgave til {NAME}, kaffemaskin")
    company.item(card_lines[1], "99.00", title="USB-C-kabel")
    post(store, RecordingErp(), tmp_path)

    open_item = ReportItem("orders.csv", 2, "302-9999999-0000001", date(2026, 11, 4), "NOK", "Kontorstol", 1,
                           Decimal("450.00"), Decimal("450.00"), account_user_email=EMAIL.upper(),
                           shipping_address=f"{NAME}, Storgata 1, 0155 Oslo",
                           custom_fields={"Bestiller": NAME, "Referanse": "Hjemmekontor"})
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="orders.csv",
                                sha256=hashlib.sha256(b"open order").hexdigest(), sender=EMAIL)
        (row,), _ = add_report_items(session, document, [open_item])
        link_item_to_charge(session, row.id, card_lines[2], Decimal("450.00"))
        reason = Reason("{requester} often books on {cost_center}", {"requester": NAME, "cost_center": "400"})
        save_suggestions(session, row.id, [Suggestion(IT, 0.62, (reason,))], "model-1")
        question = add_question(session, row.id, kind="question", asked_email=EMAIL, note=f"Spør {NAME} først")
        question.answered_by = EMAIL
        question.escalated_to = EMAIL
        decide(session, row.id, [(Allocation("400", None, "6540", "14"), Decimal("450.00"))], decided_by=EMAIL,
               source="human", status="pending_approval")
        session.add(SlackUser(email=EMAIL, user_id="U0OLA", name=NAME))
        session.add(MailMessage(account="bilag@example.no", folder="INBOX", uidvalidity=1, uid=7,
                                sender=f"{NAME} <{EMAIL}>", subject=f"Kortutskrift november fra {NAME}",
                                status="processed"))
        session.exec(text("UPDATE voucher SET note = :note"), params={"note": f"vedlegg sendt av {EMAIL}"})
        audit(session, actor=EMAIL, action="question_answered", subject_type="item", subject_id=str(row.id),
              data={"person": EMAIL, "name": NAME})
        return row.id


def person_cells(store) -> dict[tuple[str, str], int]:
    """Return the rows per (table, column) whose text or JSON names the person."""
    found: dict[tuple[str, str], int] = {}
    with store.engine.connect() as connection:
        for table in StoreModel.metadata.sorted_tables:
            columns = [column for column in table.columns if _is_text(column.type)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row):
                    shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
                    if value is not None and PERSON.search(shown):
                        found[(table.name, column.name)] = found.get((table.name, column.name), 0) + 1
    return found


def _is_text(column_type) -> bool:
    # sqlmodel's AutoString and the store's own types wrap the database type in a TypeDecorator.
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, (String, Text, JSON))


def snapshot(store) -> dict[str, list[tuple]]:
    """Return every row of every table, for comparing a store before and after."""
    with store.engine.connect() as connection:
        return {table.name: sorted((tuple(map(repr, row)) for row in connection.execute(select(table))))
                for table in StoreModel.metadata.sorted_tables}


def bookkeeping(store) -> dict[str, list]:
    """Return what the ERP got and what it will get: vouchers, allocations, their lines and the item amounts."""
    with store.session() as session:
        vouchers = [(voucher.number, voucher.status, voucher.payload)
                    for voucher in session.exec(select(VoucherRow).order_by(VoucherRow.id)).scalars()]
        allocations = [(allocation.item_id, allocation.status, allocation.source)
                       for allocation in session.exec(select(AllocationRow).order_by(AllocationRow.id)).scalars()]
        lines = [(line.allocation_id, line.position, line.cost_center, line.project, line.account, line.tax_code,
                  line.amount)
                 for line in session.exec(select(AllocationLine).order_by(AllocationLine.id)).scalars()]
        amounts = [(item.id, item.amount_nok, item.net_total, item.state)
                   for item in session.exec(select(AmazonItem).order_by(AmazonItem.id)).scalars()]
    return {"vouchers": vouchers, "allocations": allocations, "lines": lines, "amounts": amounts}


def test_erase_leaves_only_kept_columns(store, tmp_path, company):
    before = person_cells(store)

    status, out, err = erase(store, tmp_path)

    assert status == 0, err
    after = person_cells(store)
    assert set(after) <= KEPT_COLUMNS
    # The store held the person elsewhere too, so the scan can see what the erasure changed.
    assert set(before) - KEPT_COLUMNS >= {("amazon_item", "requester_email"), ("question", "asked_email"),
                                          ("slack_user", "email"), ("mail_message", "sender"),
                                          ("employee", "email"), ("project", "lead"), ("suggestion", "reasons")}
    assert after[("voucher", "payload")] == 1
    assert after[("allocation", "decided_by")] == 2
    assert "slettet-" in out
    assert "amazon_item.requester_email" in out
    assert "bokføringsloven krever oppbevart i fem år" in out


def test_erase_keeps_only_approvers_of_approved(store, tmp_path, company):
    erase(store, tmp_path)

    with store.session() as session:
        deciders = {allocation.status: allocation.decided_by
                    for allocation in session.exec(select(AllocationRow)).scalars()}
    assert deciders["approved"] == EMAIL
    assert deciders["pending_approval"].startswith("slettet-")


def test_erase_uses_one_pseudonym(store, tmp_path, company):
    status, out, _ = erase(store, tmp_path)

    assert status == 0
    (pseudonym,) = set(re.findall(r"slettet-[0-9a-f]{8}", out))
    with store.session() as session:
        item = session.get(AmazonItem, company)
        question = session.exec(select(Question).where(Question.item_id == company)).scalars().one()
        mail = session.exec(select(MailMessage)).scalars().one()
        slack_users = session.exec(select(SlackUser)).scalars().all()
    assert item.requester_email == pseudonym
    assert item.shipping_address == f"{pseudonym}, Storgata 1, 0155 Oslo"
    assert item.custom_fields == {"Bestiller": pseudonym, "Referanse": "Hjemmekontor"}
    # The question is still open, so it went to the controllers (see test_privacy_erase_questions.py).
    assert question.answered_by == pseudonym
    assert question.note == f"Spør {pseudonym} først"
    assert mail.sender == f"{pseudonym} <{pseudonym}>"
    assert slack_users == []


def test_erase_keeps_bookkeeping_and_chain(store, tmp_path, company):
    books = bookkeeping(store)

    status, _, err = erase(store, tmp_path)

    assert status == 0, err
    assert bookkeeping(store) == books
    with store.session() as session:
        assert verify_audit_chain(session) == []


def test_erase_audits_without_address(store, tmp_path, company):
    erase(store, tmp_path)

    with store.session() as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "person_erased")).scalars().all()
    assert event.subject_type == "person"
    assert event.data["pseudonym"] == event.subject_id
    assert event.data["changed"]["amazon_item.requester_email"] == 3
    assert event.data["kept"]["vouchers"] == 1
    assert not PERSON.search(json.dumps(event.data, ensure_ascii=False))
    assert not PERSON.search(event.actor)


def test_second_erase_changes_nothing(store, tmp_path, company):
    erase(store, tmp_path)
    erased = snapshot(store)

    status, out, err = erase(store, tmp_path)

    assert status == 0, err
    assert snapshot(store) == erased
    assert "Ingenting mer å pseudonymisere" in out


def test_dry_run_changes_nothing(store, tmp_path, company):
    before = snapshot(store)

    status, out, err = erase(store, tmp_path, "--dry-run")

    assert status == 0, err
    assert snapshot(store) == before
    assert "amazon_item.requester_email" in out
    assert "Prøvekjøring" in out


def test_unknown_email_exits_1(store, tmp_path, company):
    before = snapshot(store)

    status, out, _ = erase(store, tmp_path, email="per.olsen@example.no")

    assert status == 1
    assert "per.olsen@example.no" in out
    assert snapshot(store) == before


def test_invalid_email_is_usage_error(store, tmp_path):
    status, _, err = erase(store, tmp_path, email="ola hansen")

    assert status == 2
    assert "ola hansen" in err


def test_erase_in_english(store, tmp_path, company):
    status, out, err = erase(store, tmp_path, language="en")

    assert status == 0, err
    assert f"Erased {EMAIL}" in out
    assert "Bookkeeping Act" in out
    assert "remove or pseudonymise the person in the ERP" in out


def test_erase_finds_name_in_master_data(store, tmp_path):
    master = tmp_path / "masterdata.toml"
    master.write_text(
        '[[cost_centers]]\ncode = "400"\nname = "IT"\n'
        '[[accounts]]\nnumber = "6551"\nname = "Datautstyr"\n'
        '[[tax_codes]]\ncode = "1"\nname = "Høy sats"\nrate = 25\n'
        f'[[employees]]\nemail = "{EMAIL}"\nname = "{NAME}"\ncost_center = "400"\n', encoding="utf-8")
    config = write_config(store, tmp_path)
    config.write_text(f'master_data = "{master}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    with store.session() as session:
        session.add(MailMessage(account="bilag@example.no", folder="INBOX", uidvalidity=1, uid=8,
                                subject=f"Kvitteringer fra {NAME}", status="processed"))

    status, out, err = run_cli(["--config", str(config), "privacy", "erase", EMAIL])

    assert status == 0, err
    with store.session() as session:
        subject = session.exec(select(MailMessage.subject)).scalars().one()
    assert NAME not in subject
    assert str(master) in out


def test_erase_counts_events_naming_person(store, tmp_path, company):
    with store.session() as session:
        audit(session, actor="allocbot", action="suggested", subject_type="item", subject_id=str(company),
              data={"suggestions": [{"reasons": [{"params": {"requester": "Ola Hansen"}}]}]})
        events = session.exec(select(AuditEvent)).scalars().all()
        naming = sum(1 for event in events
                     if PERSON.search(f"{event.actor} {event.subject_id} "
                                      f"{json.dumps(event.data, ensure_ascii=False)}"))

    erase(store, tmp_path)

    with store.session() as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "person_erased")).scalars().all()
    assert event.data["kept"]["audit_events"] == naming
