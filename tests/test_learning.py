"""Learning from people's answers and keeping model versions current, on a small hand-made history."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.config import ModelSettings, PolicySettings, Settings
from bot.decisions import Decisions
from bot.masterdata import parse_master_data
from bot.nlp import classifier as classifier_module
from bot.nlp.classifier import PERSON_WEIGHT, Classifier, TrainingDataError
from bot.nlp.training import train_version
from bot.nlp.versions import ModelVersions
from bot.pipeline import Pipeline
from bot.rates import approximate_nok
from bot.records import Allocation, ReportItem
from bot.store import queries
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import AllocationRow, AmazonItem, AuditEvent, SuggestionRow, TrainingLabel
from bot.store.repository import add_document, add_question, add_report_items, link_item_to_charge
from connectors.csv_export import CsvExporter

MASTER_RAW = {
    "cost_centers": [
        {"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita, møter og administrasjon"},
        {"code": "400", "name": "IT", "description": "IT-utstyr, programvare og lisenser"},
        {"code": "600", "name": "Prosjekt", "description": "Kundeprosjekter og montasje"},
    ],
    "projects": [
        {"code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
         "cost_center": "600", "sites": ["Stasjonsveien 4, 2317 Hamar"]},
    ],
    "accounts": [
        {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
        {"number": "6590", "name": "Annet driftsmateriale", "default_tax_code": "1"},
        {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        {"number": "7420", "name": "Gave til forretningsforbindelse", "default_tax_code": "1"},
    ],
    "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
    "employees": [
        {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600", "role": "project_lead"},
        {"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400",
         "manager": "kari.nordmann@example.no"},
        {"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100",
         "manager": "kari.nordmann@example.no"},
    ],
    "locations": [{"label": "Hovedkontor", "address": "Industriveien 12, 2004 Lillestrøm", "kind": "office"}],
}
MASTER = parse_master_data(MASTER_RAW, Path("test.toml"))

OFFICE = "Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO"
SITE = "Hamar Energi AS, Stasjonsveien 4, HAMAR, 2317, NO"
OLA = "ola.hansen@example.no"
KARI = "kari.nordmann@example.no"
LISE = "lise.dahl@example.no"

IT = Allocation("400", None, "6551", "1")
PROJECT = Allocation("600", "P-1042", "6590", "1")
ADMIN = Allocation("100", None, "6800", "1")
GIFT = Allocation("100", None, "7420", "1")  # a gift account of the default policy

# Title, ASIN, requester, delivery address and allocation of the products in the history.
PRODUCTS = [
    ("Logitech MX Master 3S kabellose Maus", "B09HM94VDS", OLA, OFFICE, IT),
    ("Dell P2723DE 27 Zoll Monitor", "B0B5TJ2QXR", OLA, OFFICE, IT),
    ("Kabelbinder 300 mm schwarz, 100 Stück", "B07D7G5Q1M", KARI, SITE, PROJECT),
    ("Isolierband 19 mm x 20 m, 10 Rollen", "B08L5WRM3C", KARI, SITE, PROJECT),
    ("Leitz Ordner A4, 8 cm, 10 Stück", "B001D1QXQS", LISE, OFFICE, ADMIN),
    ("Post-it Haftnotizen 76 x 76 mm, 12 Blöcke", "B0029ZHQZQ", LISE, OFFICE, ADMIN),
]
MOUSE, MONITOR = PRODUCTS[0], PRODUCTS[1]

_orders = itertools.count(1)


def make_item(product: tuple, order_date: date, source: str = "orders.csv") -> ReportItem:
    title, asin, requester, address, _ = product
    number = next(_orders)
    return ReportItem(
        source=source, line=number + 1, order_id=f"302-{number:07d}-0000001", order_date=order_date,
        currency="NOK", title=title, quantity=1, unit_price=Decimal("249.00"), net_total=Decimal("249.00"),
        account_user_email=requester, shipping_address=address, asin=asin,
    )


def history(count: int, start: date = date(2026, 6, 1), products: list[tuple] = PRODUCTS) -> list[tuple]:
    """Return ``count`` decided items, three a day from ``start``, cycling through ``products``."""
    examples = []
    for index in range(count):
        product = products[index % len(products)]
        examples.append((make_item(product, start + timedelta(days=index // 3)), product[4]))
    return examples


def add_history(store, examples: list[tuple], name: str) -> None:
    """Store items as one imported report, each with its training label from history."""
    with store.session() as session:
        document = add_document(session, kind="order_report", filename=name,
                                sha256=hashlib.sha256(name.encode()).hexdigest())
        rows, _ = add_report_items(session, document, [item for item, _ in examples])
        for stored, (_, allocation) in zip(rows, examples):
            queries.add_example(session, stored.id, allocation, source="history")


def add_open_item(store, product: tuple, name: str) -> int:
    """Store one new item with its NOK amount, as reconciliation leaves it, and return its id."""
    item = make_item(product, date(2026, 9, 1))
    with store.session() as session:
        document = add_document(session, kind="order_report", filename=name,
                                sha256=hashlib.sha256(name.encode()).hexdigest())
        rows, _ = add_report_items(session, document, [item])
        link_item_to_charge(session, rows[0].id, None, item.net_total)
    return rows[0].id


class RecordingAsker:
    def __init__(self):
        self.questions = []

    def ask(self, questions):
        self.questions.extend(questions)


def make_pipeline(store, tmp_path: Path, retrain_after: int = 25) -> Pipeline:
    with store.session() as session:
        sync_master_data(session, MASTER)
    settings = Settings(model=ModelSettings(dir=tmp_path / "models", retrain_after_answers=retrain_after),
                        policy=PolicySettings(target_precision=0.95))
    return Pipeline(settings, store, MASTER, Classifier(MASTER), RecordingAsker(), CsvExporter(tmp_path / "export"))


def probe(product: tuple) -> ReportItem:
    """Return a new order of ``product`` by its usual requester, to ask for a suggestion."""
    return make_item(product, date(2026, 9, 2))


def saved_files(tmp_path: Path) -> set[str]:
    return {path.name for path in (tmp_path / "models").iterdir()}


# --- answers to questions ----------------------------------------------------------


def answer(pipeline: Pipeline, item_id: int, allocation: Allocation, person: str) -> None:
    """Ask ``person`` about the item, as processing would, and book their answer through Decisions."""
    with pipeline.store.session() as session:
        question = add_question(session, item_id, kind="question", asked_email=person)
    Decisions(pipeline).answer(question.id, allocation, person)


def test_answer_changes_next_suggestion(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    pipeline.train()
    item_id = add_open_item(store, MOUSE, "orders-september.csv")
    assert pipeline.classifier.suggest(probe(MOUSE))[0].allocation == IT

    answer(pipeline, item_id, ADMIN, OLA)

    top = pipeline.classifier.suggest(probe(MOUSE))[0]
    assert top.allocation == ADMIN
    assert top.source == "memory"


def test_answer_leaves_other_products(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    pipeline.train()
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, ADMIN, OLA)

    assert pipeline.classifier.suggest(probe(MONITOR))[0].allocation == IT


def test_answer_writes_decision(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, ADMIN, OLA)

    with store.session() as session:
        decision = session.exec(select(AllocationRow).where(AllocationRow.item_id == item_id)).one()
        lines = [(line.cost_center, line.project, line.account, line.tax_code, line.amount)
                 for line in decision.lines]
        state = session.get(AmazonItem, item_id).state
    assert decision.source == "human"
    assert decision.decided_by == OLA
    assert lines == [("100", None, "6800", "1", Decimal("249.00"))]
    assert state == "decided"


def test_answer_fills_default_tax_code(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, Allocation("100", None, "6800", ""), OLA)

    with store.session() as session:
        label = session.exec(select(TrainingLabel).where(TrainingLabel.item_id == item_id)).one()
    assert label.tax_code == "1"


def test_answer_writes_training_label(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, ADMIN, OLA)

    with store.session() as session:
        examples = queries.training_examples(session)
    assert [(allocation, source) for _, allocation, source in examples] == [(ADMIN, "human")]


def test_answer_audited(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, ADMIN, OLA)

    with store.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "question_answered")).all()
    assert len(events) == 1
    assert events[0].actor == OLA
    assert events[0].subject_id == str(item_id)
    assert events[0].data["lines"] == [{"allocation": ADMIN.label(), "amount_nok": "249.00"}]


def test_answer_gift_account_needs_approval(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    item_id = add_open_item(store, MOUSE, "orders-september.csv")

    answer(pipeline, item_id, GIFT, OLA)

    with store.session() as session:
        state = session.get(AmazonItem, item_id).state
    assert state == "awaiting_approval"


def test_answer_unknown_question(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)

    with pytest.raises(LookupError, match="999"):
        Decisions(pipeline).answer(999, ADMIN, OLA)


def test_answers_trigger_retrain(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path, retrain_after=2)
    add_history(store, history(36), "history.csv")
    versions = ModelVersions(tmp_path / "models")
    first = add_open_item(store, MOUSE, "orders-september-1.csv")
    second = add_open_item(store, MONITOR, "orders-september-2.csv")

    answer(pipeline, first, ADMIN, OLA)
    assert versions.list() == []

    answer(pipeline, second, ADMIN, OLA)
    saved = versions.list()
    assert len(saved) == 1
    assert saved[0].human_answers == 2
    assert saved[0].version == pipeline.classifier.version


def test_answer_survives_untrainable_retrain(store, tmp_path):
    # Two answers and no history: both have one allocation, so the retrain they start cannot train.
    pipeline = make_pipeline(store, tmp_path, retrain_after=2)
    first = add_open_item(store, MOUSE, "orders-september-1.csv")
    second = add_open_item(store, MONITOR, "orders-september-2.csv")
    answer(pipeline, first, IT, OLA)

    answer(pipeline, second, IT, OLA)

    assert pipeline.classifier.suggest(probe(MONITOR))[0].allocation == IT


# --- Pipeline.train and prepare_classifier -------------------------------------------


def test_train_empty_store(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)

    with pytest.raises(TrainingDataError, match="no decided items"):
        pipeline.train()
    assert ModelVersions(tmp_path / "models").list() == []


def test_train_one_allocation(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    add_history(store, history(24, products=[MOUSE, MONITOR]), "history.csv")

    with pytest.raises(TrainingDataError, match="all 24 decided items"):
        pipeline.train()


def test_train_saves_version(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")

    result = pipeline.train()

    saved = ModelVersions(tmp_path / "models").list()
    assert [info.version for info in saved] == [pipeline.classifier.version]
    assert saved[0].training_size == 36
    assert result.metrics["items"] == 36


def test_prepare_reuses_version(store, tmp_path):
    trainer = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    trainer.train()
    files = saved_files(tmp_path)

    pipeline = make_pipeline(store, tmp_path)
    pipeline.prepare_classifier()

    assert pipeline.classifier.version == trainer.classifier.version
    assert saved_files(tmp_path) == files


def test_prepare_remembers_newer_answers(store, tmp_path):
    trainer = make_pipeline(store, tmp_path, retrain_after=3)
    add_history(store, history(36), "history.csv")
    trainer.train()
    answer(trainer, add_open_item(store, MOUSE, "orders-september.csv"), ADMIN, OLA)

    pipeline = make_pipeline(store, tmp_path, retrain_after=3)
    pipeline.prepare_classifier()

    assert pipeline.classifier.version == trainer.classifier.version
    assert pipeline.classifier.suggest(probe(MOUSE))[0].allocation == ADMIN


def test_prepare_retrains_after_new_history(store, tmp_path):
    trainer = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    trainer.train()
    add_history(store, history(12, start=date(2026, 7, 1)), "history-july.csv")

    pipeline = make_pipeline(store, tmp_path)
    pipeline.prepare_classifier()

    saved = ModelVersions(tmp_path / "models").list()
    assert len(saved) == 2
    assert pipeline.classifier.version != trainer.classifier.version
    assert saved[0].training_size == 48


def test_prepare_retrains_after_enough_answers(store, tmp_path):
    trainer = make_pipeline(store, tmp_path, retrain_after=2)
    add_history(store, history(36), "history.csv")
    trainer.train()
    # Answers stored by another process, which this one has not remembered.
    answered = [add_open_item(store, MOUSE, name) for name in ("orders-september-1.csv", "orders-september-2.csv")]
    with store.session() as session:
        for item_id in answered:
            queries.add_example(session, item_id, ADMIN, source="human")

    pipeline = make_pipeline(store, tmp_path, retrain_after=2)
    pipeline.prepare_classifier()

    saved = ModelVersions(tmp_path / "models").list()
    assert len(saved) == 2
    assert saved[0].human_answers == 2


def test_prepare_retrains_damaged_model(store, tmp_path):
    trainer = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    trainer.train()
    (tmp_path / "models" / f"{trainer.classifier.version}.pkl").write_bytes(b"damaged")

    pipeline = make_pipeline(store, tmp_path)
    pipeline.prepare_classifier()

    assert len(ModelVersions(tmp_path / "models").list()) == 2


def test_prepare_retrains_damaged_info(store, tmp_path):
    trainer = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")
    trainer.train()
    (tmp_path / "models" / f"{trainer.classifier.version}.json").write_text("{ damaged", encoding="utf-8")

    pipeline = make_pipeline(store, tmp_path)
    pipeline.prepare_classifier()

    assert pipeline.classifier.known_items == 36


def test_prepare_trains_first_version(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)
    add_history(store, history(36), "history.csv")

    pipeline.prepare_classifier()

    assert [info.version for info in ModelVersions(tmp_path / "models").list()] == [pipeline.classifier.version]


def test_prepare_empty_store(store, tmp_path):
    pipeline = make_pipeline(store, tmp_path)

    with pytest.raises(TrainingDataError):
        pipeline.prepare_classifier()


# --- allocbot ingest on an empty store -------------------------------------------------

ORDER_REPORT = (
    '"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total",'
    '"Account User Email","ASIN","Shipping Address","Payment Reference ID","Payment Date","Payment Amount"',
    '"11/03/2026","302-1725553-0374723","EUR","Logitech MX Master 3S kabellose Maus","1","24.99","24.99",'
    f'"{OLA}","B09HM94VDS","{OFFICE}","1Eqv7RLIZCZl2HZzgKrV","11/04/2026","24.99"',
)
STATEMENT = (
    '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"',
    '"04.11.2026";"AMAZON EU, Luxembourg";"24,99 EUR";"11,7000";"";"292,38"',
)


def master_toml() -> str:
    """Render MASTER_RAW as the master data TOML file."""
    lines = []
    for table, entries in MASTER_RAW.items():
        for entry in entries:
            lines.append(f"[[{table}]]")
            for key, value in entry.items():
                # A JSON string or list of strings is also a valid TOML value.
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
            lines.append("")
    return "\n".join(lines)


def test_ingest_empty_store_warns(store, tmp_path):
    master = tmp_path / "stamdata.toml"
    master.write_text(master_toml(), encoding="utf-8")
    orders = tmp_path / "orders-november.csv"
    orders.write_bytes(("\r\n".join(ORDER_REPORT) + "\r\n").encode("utf-8-sig"))
    statement = tmp_path / "kortutskrift.csv"
    statement.write_bytes(("\r\n".join(STATEMENT) + "\r\n").encode("cp1252"))
    config = tmp_path / "config.toml"
    config.write_text(
        'language = "en"\n'
        f'master_data = "{master}"\n'
        "[store]\n"
        f'url = "{store.url.render_as_string(hide_password=False)}"\n'
        "[export]\n"
        f'export_dir = "{tmp_path / "export"}"\n'
        "[model]\n"
        f'dir = "{tmp_path / "models"}"\n',
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()

    with redirect_stdout(out), redirect_stderr(err):
        status = main(["--config", str(config), "ingest", str(orders), str(statement)])

    assert status == 0, err.getvalue()
    assert "allocbot: warning: training data: no decided items to learn from" in err.getvalue()
    with store.session() as session:
        sources = {row.source for row in session.exec(select(SuggestionRow))}
    assert sources == {"cold_start"}


# --- the classifier's training data ------------------------------------------------------


def test_learn_nothing_raises():
    with pytest.raises(TrainingDataError, match="no decided items"):
        Classifier(MASTER).learn([])


def test_learn_one_allocation_raises():
    with pytest.raises(TrainingDataError, match="400/-/6551/1"):
        Classifier(MASTER).learn(history(24, products=[MOUSE, MONITOR]))


def test_check_trainable_two_allocations():
    classifier = Classifier(MASTER)
    classifier.record(*history(1)[0])
    classifier.remember(make_item(PRODUCTS[4], date(2026, 6, 1)), ADMIN)

    classifier.check_trainable()

    assert classifier.known_items == 2


def test_known_items_counts_rows_once():
    classifier = Classifier(MASTER)
    item, allocation = history(1)[0]
    classifier.record(item, allocation)

    classifier.remember(item, ADMIN)

    assert classifier.known_items == 1


def test_record_does_not_refit():
    classifier = Classifier(MASTER)
    classifier.learn(history(24))
    version = classifier.version

    classifier.record(*history(1, start=date(2026, 8, 1))[0])

    assert classifier.version == version
    assert classifier.known_items == 25


def test_remember_applies_without_refit():
    classifier = Classifier(MASTER)
    classifier.learn(history(24))
    version = classifier.version

    classifier.remember(make_item(MOUSE, date(2026, 8, 1)), ADMIN)

    assert classifier.version == version
    assert classifier.suggest(probe(MOUSE))[0].allocation == ADMIN


@pytest.fixture
def fit_weights(monkeypatch) -> list[list[float]]:
    """Record the item weights of every model fit, then fit as usual."""
    calls = []
    original = classifier_module.Model.fit

    def recording_fit(self, contexts, allocations, weights=None, progress=None):
        calls.append(list(weights))
        return original(self, contexts, allocations, weights, progress)

    monkeypatch.setattr(classifier_module.Model, "fit", recording_fit)
    return calls


def test_person_answers_weigh_more(fit_weights):
    classifier = Classifier(MASTER)
    classifier.remember(make_item(MOUSE, date(2026, 5, 31)), ADMIN)

    classifier.learn(history(24))

    assert sorted(fit_weights[-1]) == [1.0] * 24 + [PERSON_WEIGHT]
    assert PERSON_WEIGHT > 1.0


def test_relearned_answer_keeps_weight(fit_weights):
    classifier = Classifier(MASTER)
    answered = make_item(MOUSE, date(2026, 5, 31))
    classifier.remember(answered, ADMIN)

    classifier.learn(history(24) + [(answered, ADMIN)])

    assert fit_weights[-1].count(PERSON_WEIGHT) == 1


def test_relabeled_answer_loses_weight(fit_weights):
    classifier = Classifier(MASTER)
    answered = make_item(MOUSE, date(2026, 5, 31))
    classifier.remember(answered, ADMIN)

    classifier.learn(history(24) + [(answered, IT)])

    assert fit_weights[-1].count(PERSON_WEIGHT) == 0


def test_train_version_needs_new_classifier():
    classifier = Classifier(MASTER)
    classifier.record(*history(1)[0])

    with pytest.raises(ValueError, match="learned nothing"):
        train_version(classifier, [], PolicySettings(), amount_in_nok=approximate_nok, retrain_after=25)


def test_train_version_counts_answers():
    examples = [(item, allocation, "history") for item, allocation in history(30)]
    examples += [(item, allocation, "human") for item, allocation in history(6, start=date(2026, 8, 1))]

    result = train_version(Classifier(MASTER), examples, PolicySettings(), amount_in_nok=approximate_nok,
                           retrain_after=25)

    assert result.training_size == 36
    assert result.human_answers == 6
