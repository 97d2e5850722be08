"""Cost centers closed or opened by a reorganisation: master data, coherence and memory."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.masterdata import parse_master_data
from bot.nlp.classifier import Classifier
from bot.nlp.coherence import Coherence, FieldProbabilities
from bot.nlp.context import ContextBuilder
from bot.records import Allocation, ReportItem

SPLIT = date(2026, 7, 1)

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "2000", "name": "Produksjon (nedlagt)", "end": date(2026, 6, 30)},
            {"code": "2100", "name": "Bakeri", "start": SPLIT},
            {"code": "1000", "name": "Administrasjon"},
        ],
        "accounts": [{"number": "6590", "name": "Annet driftsmateriale", "default_tax_code": "1"},
                     {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"}],
        "tax_codes": [{"code": "1", "name": "Inngående mva", "rate": 25}],
        "employees": [
            {"email": "baker@example.no", "name": "Berit Baker", "cost_center": "2100"},
            {"email": "admin@example.no", "name": "Arne Admin", "cost_center": "1000"},
        ],
    },
    Path("test.toml"),
)
OLD = Allocation("2000", None, "6590", "1")
NEW = Allocation("2100", None, "6590", "1")
OFFICE = Allocation("1000", None, "6800", "1")

_lines = iter(range(2, 10_000))


def make_item(title: str, day: date, requester: str = "baker@example.no") -> ReportItem:
    line = next(_lines)
    return ReportItem(source="report.csv", line=line, order_id=f"302-0000000-{line:07d}", order_date=day,
                      currency="EUR", title=title, quantity=1, unit_price=Decimal("9.99"),
                      net_total=Decimal("9.99"), account_user_email=requester, asin=f"B0{abs(hash(title)) % 10**8:08d}")


def test_cost_center_active_on_dates():
    old, new = MASTER.cost_centers["2000"], MASTER.cost_centers["2100"]

    assert old.active_on(date(2026, 6, 30))
    assert not old.active_on(SPLIT)
    assert not new.active_on(date(2026, 6, 30))
    assert new.active_on(SPLIT)


def test_cost_center_closing_before_opening_rejected():
    with pytest.raises(InputError, match="closes before it opens"):
        parse_master_data({"cost_centers": [{"code": "1", "name": "X", "start": date(2026, 2, 1),
                                             "end": date(2026, 1, 1)}]}, Path("bad.toml"))


def test_coherence_moves_closed_share_to_requester():
    coherence = Coherence(MASTER, {})
    probabilities = FieldProbabilities(cost_center={"2000": 0.9, "1000": 0.1}, project={"": 1.0},
                                       account={"6590": 1.0})
    context = ContextBuilder(MASTER).build(make_item("Bakepapir", date(2026, 8, 3)))

    ranked = coherence.combine(probabilities, context, top=3)

    assert ranked[0][0] == NEW
    assert ranked[0][1] == pytest.approx(0.9 * 0.95)


def test_coherence_keeps_open_cost_center_before_split():
    coherence = Coherence(MASTER, {})
    probabilities = FieldProbabilities(cost_center={"2000": 0.9, "1000": 0.1}, project={"": 1.0},
                                       account={"6590": 1.0})
    context = ContextBuilder(MASTER).build(make_item("Bakepapir", date(2026, 6, 3)))

    assert coherence.combine(probabilities, context, top=1)[0][0] == OLD


def test_memory_not_repeated_after_split():
    classifier = Classifier(MASTER)
    history = [(make_item(f"Artikkel {index}", date(2026, 5, 1 + index % 28)), OLD) for index in range(20)]
    history += [(make_item(f"Kontor {index}", date(2026, 5, 1 + index % 28), "admin@example.no"), OFFICE)
                for index in range(20)]
    classifier.learn(history)
    classifier.remember(make_item("Bakepapir 40 x 60", date(2026, 6, 20)), OLD)

    before = classifier.suggest(make_item("Bakepapir 40 x 60", date(2026, 6, 25)))[0]
    after = classifier.suggest(make_item("Bakepapir 40 x 60", date(2026, 8, 3)))[0]

    assert before.source == "memory"
    assert before.allocation == OLD
    assert after.allocation == NEW
