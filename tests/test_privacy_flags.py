"""Items whose title names a person: the name finder, flag_item on a real store, and the pipeline's intake."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import ModelSettings, PrivacySettings, Settings
from bot.handlers.assemble import CardAssembler
from bot.handlers.cards import OptionCatalog
from bot.handlers.messages import question_message
from bot.i18n import Translator
from bot.masterdata import parse_master_data
from bot.nlp.classifier import Classifier
from bot.pipeline import Pipeline
from bot.privacy.flags import STOP_WORDS, PersonNameFinder, flag_item, flag_items, shipped_first_names
from bot.records import ReportItem
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AmazonItem, AuditEvent
from bot.store.repository import add_document, add_question, add_report_items, verify_audit_chain

MASTER = parse_master_data({
    "cost_centers": [{"code": "400", "name": "IT", "description": "IT-utstyr"}],
    "accounts": [{"number": "6551", "name": "Datautstyr", "default_tax_code": "1"}],
    "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
    "employees": [{"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
                  {"email": "max.mueller@example.de", "name": "Max Müller", "cost_center": "400"},
                  {"email": "tirill.vik@example.no", "name": "Tirill Vikeland", "cost_center": "400"}],
}, Path("masterdata.toml"))


@pytest.fixture(scope="module")
def finder() -> PersonNameFinder:
    return PersonNameFinder.for_master(MASTER)


@pytest.mark.parametrize("title", [
    "Blomster til Kari, bukett",                      # nb, shipped first name
    "Gavekort til Hansen",                            # an employee's last name alone
    "Tirill Vikeland bursdagsgave",                   # an employee's full name, first name not shipped
    "Max Müller Abschiedsgeschenk",                   # an employee's full name whose first name is a stop word
    "Annas Geburtstagsgeschenk, Tasse",               # de, genitive of a shipped first name
    "Birthday card for Sarah's farewell party",       # en, possessive
    "Ingrids avskjedsgave",                           # nb genitive
    "Personalised mug \"Björn\"",                     # sv spelling inside quotes
    "Tirill",                                         # an employee's first name alone
])
def test_title_names_person(finder, title):
    assert finder.names_person(title)


@pytest.mark.parametrize("title", [
    "Apple AirPods Max, Space Grey",
    "Apple MacBook Air 13\"",
    "Tesla Model 3 Ladekabel Typ 2",
    "Marshall Major IV Bluetooth-hodetelefoner",
    "Bosch Professional GSR 18V-55",
    "Logitech MX Master 3S",
    "HP 305A Toner, svart",
    "Lego Marvel Thor Hammer",
    "Kabel 2 m, Per pakke 10",
    "blomster til kari",                              # not capitalised
    "KARI BLOMSTER",                                  # all capitals: shouting, not a name
    "USB-C kabel 2m",
])
def test_title_names_nobody(finder, title):
    assert not finder.names_person(title)


def test_brand_words_not_names(finder):
    assert not finder.names_person("Herman Miller Aeron Bürostuhl, Größe B", brand="Herman Miller")
    assert finder.names_person("Herman Miller Aeron Bürostuhl, Größe B", brand=None)


def test_full_name_beats_stop_word():
    finder = PersonNameFinder(["Victoria Berg"])

    assert finder.names_person("Blomster til Victoria Berg")
    assert not finder.names_person("Victoria Secret Body Lotion")


def test_shipped_names_exclude_stop_words():
    names = shipped_first_names()

    assert len(names) > 250
    assert {"Kari", "Ola", "Anna", "Sarah", "Søren", "Jürgen", "Björn"} <= names
    assert names.isdisjoint(STOP_WORDS)


def store_items(store, titles: list[str]) -> list[int]:
    items = [ReportItem("orders.csv", line, f"302-000000{line}-0000001", date(2026, 11, 2), "NOK", title, 1,
                        Decimal("199.00"), Decimal("199.00"), asin=f"B0000000{line:02d}",
                        account_user_email="ola.hansen@example.no")
             for line, title in enumerate(titles, start=2)]
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="orders.csv",
                                sha256=hashlib.sha256(repr(titles).encode()).hexdigest())
        rows, _ = add_report_items(session, document, items)
        return [row.id for row in rows]


def flagged_events(store) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "flagged_personal")
                                 .order_by(AuditEvent.id)))


def test_flag_item_sets_flags_and_audits(store):
    named, plain = store_items(store, ["Blomster til Kari", "Logitech MX Master 3S"])

    with store.session() as session:
        rows = [session.get(AmazonItem, named), session.get(AmazonItem, plain)]
        flagged = flag_items(session, rows, MASTER, enabled=True)

    assert flagged == 1
    with store.session() as session:
        named_row, plain_row = session.get(AmazonItem, named), session.get(AmazonItem, plain)
        assert named_row.names_person
        assert named_row.personal_data
        assert not plain_row.names_person
        assert not plain_row.personal_data
        assert verify_audit_chain(session) == []
    events = flagged_events(store)
    assert [event.subject_id for event in events] == [str(named)]
    assert events[0].data == {"names_person": True}
    assert "Kari" not in repr(events[0].data)


def test_flag_item_once(store):
    (named,) = store_items(store, ["Gave til Ola Hansen"])
    finder = PersonNameFinder.for_master(MASTER)

    with store.session() as session:
        first = flag_item(session, session.get(AmazonItem, named), finder)
    with store.session() as session:
        second = flag_item(session, session.get(AmazonItem, named), finder)

    assert first is True
    assert second is False
    assert len(flagged_events(store)) == 1


def test_private_purchase_is_personal_data(store):
    (item_id,) = store_items(store, ["Logitech MX Master 3S"])

    with store.session() as session:
        row = session.get(AmazonItem, item_id)
        row.private_purchase = True
        flag_item(session, row, None)

    with store.session() as session:
        row = session.get(AmazonItem, item_id)
        assert row.personal_data
        assert not row.names_person
    assert flagged_events(store) == []


EU_ENGLISH_HEADER = ["Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Item Subtotal",
                     "Item Net Total", "Payment reference ID", "Payment Amount", "Account User Email"]


def write_report(path: Path, titles: list[str]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(EU_ENGLISH_HEADER)
    for number, title in enumerate(titles, start=1):
        writer.writerow(["02/11/2026", f"302-111111{number}-1111111", "NOK", title, "1", "199.00", "199.00",
                         f"PAY-{number}", "199.00", "ola.hansen@example.no"])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path


class NoAsker:
    def ask(self, questions):
        raise AssertionError("ingest asks nobody")


@pytest.mark.parametrize("enabled", [True, False])
def test_ingest_flags_items(store, tmp_path, enabled):
    with store.session() as session:
        sync_master_data(session, MASTER)
    settings = Settings(model=ModelSettings(dir=tmp_path / "models"),
                        privacy=PrivacySettings(flag_person_names=enabled))
    pipeline = Pipeline(settings, store, MASTER, Classifier(MASTER), NoAsker(), None)
    report = write_report(tmp_path / "orders.csv", ["Blomster til Kari", "Logitech MX Master 3S"])

    result = pipeline.ingest_files([report])

    assert result.new_items == 2
    with store.session() as session:
        flags = {row.title: row.names_person for row in session.exec(select(AmazonItem))}
    assert flags == {"Blomster til Kari": enabled, "Logitech MX Master 3S": False}
    assert len(flagged_events(store)) == (1 if enabled else 0)


def blocks_text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("title, marked", [("Blomster til Kari", True), ("Logitech MX Master 3S", False)])
def test_question_card_shows_flag(store, title, marked):
    (item_id,) = store_items(store, [title])
    with store.session() as session:
        flag_items(session, [session.get(AmazonItem, item_id)], MASTER, enabled=True)
        question = add_question(session, item_id, kind="question", asked_email="ola.hansen@example.no")
        card = CardAssembler(MASTER, Translator("nb")).card(session, question)

    message = question_message([card], recipient_name="Ola Hansen", page=1, pages=1,
                               catalog=OptionCatalog((), (), ()), translator=Translator("nb"))

    assert card.personal_data is marked
    assert ("🔒 Personopplysninger" in blocks_text(message)) is marked
