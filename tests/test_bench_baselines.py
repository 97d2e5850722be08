"""The benchmark baselines in bench/baselines.py, on a handful of hand-made items."""

import importlib.util
import itertools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import PolicySettings
from bot.masterdata import parse_master_data
from bot.nlp.calibration import Calibrator, Outcome
from bot.nlp.replay import Replay
from bot.records import Allocation, ReportItem

# bench/ is not a package, so the module is loaded from its file.
_SPEC = importlib.util.spec_from_file_location(
    "bench_baselines", Path(__file__).resolve().parent.parent / "bench" / "baselines.py")
baselines = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(baselines)

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita og møter"},
            {"code": "400", "name": "IT", "description": "IT-utstyr og lisenser"},
        ],
        "accounts": [
            {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        ],
        "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
        "employees": [
            {"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"},
            {"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100"},
        ],
    },
    Path("test.toml"),
)

OLA = "ola.hansen@example.no"
LISE = "lise.dahl@example.no"
IT = Allocation("400", None, "6551", "1")
OFFICE = Allocation("100", None, "6800", "1")
IT_OFFICE_SUPPLIES = Allocation("400", None, "6800", "1")

_lines = itertools.count(2)


def make_item(title: str, requester: str, day: int = 0) -> ReportItem:
    line = next(_lines)
    return ReportItem(
        source="test.csv", line=line, order_id=f"111-{line:07d}", order_date=date(2026, 3, 2) + timedelta(days=day),
        currency="NOK", title=title, quantity=1, unit_price=Decimal("199"), net_total=Decimal("199"),
        account_user_email=requester, asin=f"B0{line:08d}",
    )


def test_most_frequent_uses_requester_counts():
    learner = baselines.MostFrequentPerRequester(MASTER)
    learner.record(make_item("USB-C kabel", OLA), IT)
    learner.record(make_item("Tastatur", OLA), IT)
    learner.record(make_item("Penner", OLA), IT_OFFICE_SUPPLIES)
    learner.record(make_item("Arkivmapper", LISE), OFFICE)

    suggestions = learner.suggest(make_item("Mus", OLA))

    assert [s.allocation for s in suggestions] == [IT, IT_OFFICE_SUPPLIES]
    assert suggestions[0].confidence == pytest.approx(2 / 3)
    assert suggestions[0].source == "model"


def test_most_frequent_falls_back_to_overall():
    learner = baselines.MostFrequentPerRequester(MASTER)
    learner.record(make_item("Arkivmapper", LISE), OFFICE)
    learner.record(make_item("Penner", LISE), OFFICE)
    learner.record(make_item("Tastatur", OLA), IT)

    suggestions = learner.suggest(make_item("Skjerm", "new.person@example.no"))

    assert suggestions[0].allocation == OFFICE
    assert suggestions[0].confidence == pytest.approx(2 / 3)


def test_most_frequent_replaces_relearned_item():
    learner = baselines.MostFrequentPerRequester(MASTER)
    item = make_item("Penner", OLA)
    learner.record(item, IT)
    learner.remember(item, IT_OFFICE_SUPPLIES)

    suggestions = learner.suggest(make_item("Blyanter", OLA))

    assert [s.allocation for s in suggestions] == [IT_OFFICE_SUPPLIES]
    assert suggestions[0].confidence == pytest.approx(1.0)


def test_most_frequent_resolves_empty_vat_code():
    learner = baselines.MostFrequentPerRequester(MASTER)
    learner.record(make_item("Tastatur", OLA), Allocation("400", "", "6551", ""))

    assert learner.suggest(make_item("Mus", OLA))[0].allocation == IT


def test_title_svm_suggests_nothing_before_learn():
    learner = baselines.TitleSvm(MASTER)
    learner.record(make_item("USB-C kabel", OLA), IT)

    assert learner.suggest(make_item("USB-C kabel 2 m", OLA)) == []


def test_title_svm_learns_title_words():
    learner = baselines.TitleSvm(MASTER)
    for title in ("USB-C kabel 1 m", "USB-C kabel 2 m", "HDMI kabel", "Tastatur trådløst"):
        learner.record(make_item(title, LISE), IT)
    for title in ("Arkivmapper A4", "Penner blå", "Post-it lapper", "Arkivmapper A5"):
        learner.record(make_item(title, OLA), OFFICE)
    learner.learn([])

    suggestions = learner.suggest(make_item("Arkivmapper A3", LISE))

    assert suggestions[0].allocation == OFFICE
    assert suggestions[1].allocation == IT
    assert 0 < suggestions[1].confidence < suggestions[0].confidence < 1
    assert learner.version == "title-svm-8"


def test_baseline_applies_calibrator():
    learner = baselines.MostFrequentPerRequester(MASTER)
    learner.record(make_item("Tastatur", OLA), IT)
    learner.record(make_item("Penner", OLA), IT_OFFICE_SUPPLIES)
    learner.calibrator = Calibrator().fit([Outcome("model", 0.5, index % 5 == 0) for index in range(60)])

    suggestions = learner.suggest(make_item("Mus", OLA))

    assert suggestions[0].raw_confidence == pytest.approx(0.5)
    assert suggestions[0].confidence == pytest.approx(0.2)
    assert sum(s.confidence for s in suggestions) <= 1.0


def test_rules_only_learns_nothing():
    learner = baselines.RulesOnly(MASTER)
    item = make_item("Tastatur", OLA)
    learner.remember(item, OFFICE)
    learner.learn([(item, OFFICE)])

    suggestions = learner.suggest(item)

    assert learner.known_items == 0
    assert {s.source for s in suggestions} == {"cold_start"}


def test_replay_runs_every_baseline():
    examples = [(make_item(f"Tastatur modell {day}", OLA, day), IT) for day in range(30)]
    examples += [(make_item(f"Arkivmapper type {day}", LISE, day), OFFICE) for day in range(30)]

    for learner in (baselines.MostFrequentPerRequester(MASTER), baselines.TitleSvm(MASTER),
                    baselines.RulesOnly(MASTER)):
        replay = Replay(learner, MASTER, PolicySettings(), amount_in_nok=lambda item: item.net_total)
        steps = replay.run(examples)

        assert len(steps) == len(examples), type(learner).__name__
