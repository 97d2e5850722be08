"""`allocbot evaluate` on small hand-made labeled reports, and the replay of a parsed report."""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import PolicySettings
from bot.errors import UsageError
from bot.evaluate import parse_rate
from bot.history import labeled_fields, read_labeled_history
from bot.i18n import Translator
from bot.masterdata import load_master_data
from bot.nlp.calibration import Calibrator
from bot.nlp.classifier import Classifier
from bot.nlp.metrics import replay_metrics
from bot.nlp.replay import SCORED_FIELDS, Replay, ReplayStep
from bot.records import Allocation, Suggestion

MASTER_TOML = """\
[[cost_centers]]
code = "100"
name = "Administrasjon"
description = "Kontorrekvisita, møter og administrasjon"

[[cost_centers]]
code = "400"
name = "IT"
description = "IT-utstyr, programvare og lisenser"

[[cost_centers]]
code = "600"
name = "Prosjekt"
description = "Kundeprosjekter og montasje"

[[projects]]
code = "P-1042"
name = "Ombygging Hamar stasjon"
lead = "kari.nordmann@example.no"
cost_center = "600"
sites = ["Stasjonsveien 4, 2317 Hamar"]

[[accounts]]
number = "6551"
name = "Datautstyr"
default_tax_code = "1"

[[accounts]]
number = "6590"
name = "Annet driftsmateriale"
default_tax_code = "1"

[[accounts]]
number = "6800"
name = "Kontorrekvisita"
default_tax_code = "1"

[[tax_codes]]
code = "1"
name = "Inngående mva, høy sats"
rate = 25

[[tax_codes]]
code = "14"
name = "Inngående mva betalt ved innførsel"
rate = 25

[[employees]]
email = "kari.nordmann@example.no"
name = "Kari Nordmann"
cost_center = "600"
role = "project_lead"

[[employees]]
email = "ola.hansen@example.no"
name = "Ola Hansen"
cost_center = "400"
manager = "kari.nordmann@example.no"

[[employees]]
email = "lise.dahl@example.no"
name = "Lise Dahl"
cost_center = "100"
manager = "kari.nordmann@example.no"

[[locations]]
label = "Hovedkontor"
address = "Industriveien 12, 2004 Lillestrøm"
kind = "office"
"""

# The report's item columns the parser needs, plus the allocation columns of labeled history.
COLUMNS = ("Order Date", "Order ID", "Currency", "Title", "Item Quantity", "Purchase PPU", "Item Net Total",
           "Account User Email", "ASIN", "Shipping Address", "Cost Center", "Project Code", "GL Code", "Tax Code")

OFFICE = "Nordlys Teknikk AS, Industriveien 12, LILLESTRØM, 2004, NO"
SITE = "Hamar Energi AS, Stasjonsveien 4, HAMAR, 2317, NO"
OLA = "ola.hansen@example.no"
KARI = "kari.nordmann@example.no"
LISE = "lise.dahl@example.no"

ADMIN = Allocation("100", None, "6800", "1")

# Title, ASIN, requester, delivery address, and the allocation columns (the last is Tax Code).
PRODUCTS = [
    ("Logitech MX Master 3S kabellose Maus", "B09HM94VDS", OLA, OFFICE, ("400", "", "6551", "1")),
    ("Dell P2723DE 27 Zoll Monitor", "B0B5TJ2QXR", OLA, OFFICE, ("400", "", "6551", "")),
    ("Kabelbinder 300 mm schwarz, 100 Stück", "B07D7G5Q1M", KARI, SITE, ("600", "P-1042", "6590", "1")),
    ("Isolierband 19 mm x 20 m, 10 Rollen", "B08L5WRM3C", KARI, SITE, ("600", "P-1042", "6590", "1")),
    ("Leitz Ordner A4, 8 cm, 10 Stück", "B001D1QXQS", LISE, OFFICE, ("100", "", "6800", "1")),
    ("Post-it Haftnotizen 76 x 76 mm, 12 Blöcke", "B0029ZHQZQ", LISE, OFFICE, ("100", "", "6800", "14")),
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def row(index: int, order_date: date, product: int, currency: str = "EUR",
        labels: tuple[str, str, str, str] | None = None) -> dict[str, str]:
    title, asin, requester, address, product_labels = PRODUCTS[product]
    cost_center, project, account, tax_code = labels or product_labels
    return {
        "Order Date": order_date.isoformat(), "Order ID": f"302-{index:07d}-0000001", "Currency": currency,
        "Title": title, "Item Quantity": "1", "Purchase PPU": "24.99", "Item Net Total": "24.99",
        "Account User Email": requester, "ASIN": asin, "Shipping Address": address,
        "Cost Center": cost_center, "Project Code": project, "GL Code": account, "Tax Code": tax_code,
    }


def history_rows(count: int) -> list[dict[str, str]]:
    """Return ``count`` labeled rows, three a day, cycling through PRODUCTS."""
    start = date(2026, 6, 1)
    return [row(index, start + timedelta(days=index // 3), index % len(PRODUCTS)) for index in range(count)]


def write_report(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    """Write rows the way Amazon does (UTF-8 with BOM, CRLF), with only ``columns``."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        for values in rows:
            writer.writerow([values[column] for column in columns])
    return path


def write_master(folder: Path) -> Path:
    path = folder / "stamdata.toml"
    path.write_text(MASTER_TOML, encoding="utf-8")
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


# --- labeled_fields -----------------------------------------------------------------


def test_fields_all_columns(tmp_path):
    report = write_report(tmp_path / "history.csv", history_rows(3))

    assert labeled_fields(report) == SCORED_FIELDS


def test_fields_without_tax_code(tmp_path):
    columns = tuple(column for column in COLUMNS if column != "Tax Code")
    report = write_report(tmp_path / "history.csv", history_rows(3), columns)

    assert labeled_fields(report) == ("cost_center", "project", "account")


def test_fields_without_project_code(tmp_path):
    columns = tuple(column for column in COLUMNS if column != "Project Code")
    report = write_report(tmp_path / "history.csv", history_rows(3), columns)

    assert labeled_fields(report) == ("cost_center", "account", "tax_code")


def test_fields_german_headers(tmp_path):
    report = tmp_path / "bestellungen.csv"
    report.write_text(
        "Bestelldatum,Bestellnummer,Währung,Titel,Artikelmenge,Purchase PPU,Item Net Total,"
        "Kostenstelle,Projektnummer,Hauptbuchkontonummer\r\n"
        '2026-06-01,302-0000001-0000001,EUR,Maus,1,"24,99","24,99",400,,6551\r\n',
        encoding="utf-8-sig",
    )

    assert labeled_fields(report) == ("cost_center", "project", "account")


# --- a parsed report through the replay ------------------------------------------


class EchoLearner:
    """Suggests the allocation it learned last, so accuracy depends only on the replay order."""

    def __init__(self, first: Allocation) -> None:
        self.version = "echo"
        self.calibrator = Calibrator()
        self.threshold: float | None = None
        self.last = first

    def suggest(self, item, top=3):
        return [Suggestion(self.last, 0.5)]

    def remember(self, item, allocation):
        self.last = allocation

    def record(self, item, allocation):
        self.last = allocation

    def learn(self, examples):
        pass


@pytest.fixture
def shuffled_report(tmp_path) -> Path:
    """Write six rows out of date order. The row on line 5 leaves Tax Code empty for the account's default."""
    rows = [
        row(1, date(2026, 6, 3), 0),  # line 2: IT
        row(2, date(2026, 6, 1), 0),  # line 3: IT
        row(3, date(2026, 6, 4), 2),  # line 4: project
        row(4, date(2026, 6, 2), 1),  # line 5: IT, default VAT code
        row(5, date(2026, 6, 5), 3),  # line 6: project
        row(6, date(2026, 6, 6), 4),  # line 7: administration
    ]
    return write_report(tmp_path / "history.csv", rows)


def replay_report(path: Path, learner) -> list[ReplayStep]:
    master = load_master_data(write_master(path.parent))
    items = read_labeled_history(path, master)
    replay = Replay(learner, master, PolicySettings(), amount_in_nok=lambda item: item.net_total,
                    scored=labeled_fields(path))
    return replay.run([(item, item.labels) for item in items])


def test_report_replayed_by_date(shuffled_report):
    steps = replay_report(shuffled_report, EchoLearner(ADMIN))

    assert [step.item.line for step in steps] == [3, 5, 2, 4, 6, 7]


def test_report_replay_accuracy(shuffled_report):
    # By date the truths are IT, IT, IT, project, project and administration. Each item is
    # predicted as the one before it (the first as administration), so items 2, 3 and 5 are right.
    # The row with the default VAT code is right because its truth gets the default "1".
    metrics = replay_metrics(replay_report(shuffled_report, EchoLearner(ADMIN)))

    assert metrics["accuracy"] == 0.5


def test_labels_hidden_from_classifier(tmp_path):
    master = load_master_data(write_master(tmp_path))
    items = read_labeled_history(write_report(tmp_path / "history.csv", history_rows(30)), master)
    classifier = Classifier(master)
    classifier.learn([(item, item.labels) for item in items[:24]])

    for item in items[24:]:
        assert classifier.suggest(item) == classifier.suggest(replace(item, labels=None))


# --- allocbot evaluate ---------------------------------------------------------------

ROWS = 160


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    """A folder with master data, a labeled report of ROWS rows, and two configurations."""
    folder = tmp_path_factory.mktemp("company")
    write_master(folder)
    write_report(folder / "history.csv", history_rows(ROWS))
    columns = tuple(column for column in COLUMNS if column != "Tax Code")
    write_report(folder / "history-without-tax-code.csv", history_rows(ROWS), columns)
    (folder / "config.toml").write_text("", encoding="utf-8")
    (folder / "config-en.toml").write_text('language = "en"\n', encoding="utf-8")
    return folder


def evaluate_args(company: Path, *extra: str, config: str = "config-en.toml", report: str = "history.csv") -> list[str]:
    return ["--config", str(company / config), "evaluate", str(company / report),
            "--master", str(company / "stamdata.toml"), *extra]


@pytest.fixture(scope="module")
def norwegian_run(company):
    """`allocbot evaluate` with the default language, writing the JSON and the plot."""
    args = evaluate_args(company, "--json", str(company / "out" / "metrics.json"),
                         "--plot", str(company / "out" / "curve.png"), config="config.toml")
    status, out, err = run(args)
    return status, out, err


@pytest.fixture(scope="module")
def english_run(company):
    """`allocbot evaluate` in English on the report without Tax Code, at 1 000 NOK per EUR."""
    args = evaluate_args(company, "--json", str(company / "out" / "metrics-en.json"), "--rate", "EUR=1000",
                         report="history-without-tax-code.csv")
    status, out, err = run(args)
    return status, out, err


def test_evaluate_exit_zero(norwegian_run):
    status, _, err = norwegian_run

    assert status == 0, err


def test_evaluate_norwegian_table(norwegian_run):
    _, out, _ = norwegian_run
    lines = out.splitlines()

    assert lines[0] == "Hver rad gjelder de 100 varene etter antallet varer sett."
    assert lines[1].split()[:2] == ["etter", "treffsikkerhet"]
    assert lines[2].split()[0] == "50"
    assert f"Varer spilt av: {ROWS}" in lines
    assert any(line.startswith("Målpresisjon 98,0 %: ") for line in lines)


def test_evaluate_table_matches_json(norwegian_run, company):
    _, out, _ = norwegian_run
    metrics = json.loads((company / "out" / "metrics.json").read_text(encoding="utf-8"))
    accuracy = Translator("nb").percent(metrics["accuracy"])

    assert f"Treffsikkerhet (alle felt riktige): {accuracy}" in out.splitlines()


def test_evaluate_json_layout(norwegian_run, company):
    metrics = json.loads((company / "out" / "metrics.json").read_text(encoding="utf-8"))

    assert set(metrics) == {"items", "accuracy", "fields", "top3_accuracy", "calibration_error",
                            "questions_per_100", "learning_curve"}
    assert set(metrics["fields"]) == set(SCORED_FIELDS)
    assert [point["after"] for point in metrics["learning_curve"]] == [50]
    assert set(metrics["learning_curve"][0]) == {"after", "accuracy", "top3_accuracy", "auto_share",
                                                 "auto_precision"}


def test_evaluate_json_items(norwegian_run, company):
    metrics = json.loads((company / "out" / "metrics.json").read_text(encoding="utf-8"))
    with (company / "history.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = sum(1 for _ in csv.DictReader(handle))

    assert metrics["items"] == rows


def test_evaluate_default_rates_book_some(norwegian_run, company):
    metrics = json.loads((company / "out" / "metrics.json").read_text(encoding="utf-8"))

    assert metrics["questions_per_100"] < 100.0


def test_evaluate_plot_png(norwegian_run, company):
    plot = company / "out" / "curve.png"

    assert plot.read_bytes()[:8] == PNG_SIGNATURE


def test_evaluate_english_table(english_run):
    status, out, err = english_run
    lines = out.splitlines()

    assert status == 0, err
    assert lines[1].split()[:2] == ["after", "accuracy"]
    assert f"Items replayed: {ROWS}" in lines


def test_evaluate_missing_tax_code_column(english_run, company):
    metrics = json.loads((company / "out" / "metrics-en.json").read_text(encoding="utf-8"))

    assert list(metrics["fields"]) == ["cost_center", "project", "account"]


def test_evaluate_rate_option_applies(english_run, company):
    # At 1 000 NOK per EUR every item is above the review threshold, so none is booked.
    metrics = json.loads((company / "out" / "metrics-en.json").read_text(encoding="utf-8"))

    assert metrics["questions_per_100"] == 100.0


def test_evaluate_invalid_rate(company):
    status, _, err = run(evaluate_args(company, "--rate", "EUR=abc"))

    assert status == 2
    assert "--rate" in err
    assert "EUR=abc" in err


def test_evaluate_nan_rate(company):
    status, _, err = run(evaluate_args(company, "--rate", "EUR=nan"))

    assert status == 2
    assert "--rate" in err


def test_rate_infinite_rejected():
    with pytest.raises(UsageError):
        parse_rate("EUR=inf")


def test_evaluate_unknown_currency(tmp_path):
    master = write_master(tmp_path)
    rows = history_rows(5)
    rows[2] = row(2, date(2026, 6, 1), 2, currency="XYZ")
    report = write_report(tmp_path / "history-xyz.csv", rows)
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\n', encoding="utf-8")

    status, _, err = run(["--config", str(config), "evaluate", str(report), "--master", str(master)])

    assert status == 1
    assert "history-xyz.csv" in err
    assert "line 4" in err
    assert "XYZ" in err


def test_evaluate_unlabeled_row(tmp_path):
    master = write_master(tmp_path)
    rows = history_rows(5)
    rows[3] = row(3, date(2026, 6, 2), 3, labels=("", "", "", ""))
    report = write_report(tmp_path / "history-gap.csv", rows)
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\n', encoding="utf-8")

    status, _, err = run(["--config", str(config), "evaluate", str(report), "--master", str(master)])

    assert status == 1
    assert "history-gap.csv" in err
    assert "line 5" in err
    assert "no allocation" in err


def test_evaluate_missing_master(company, tmp_path):
    missing = tmp_path / "finnes-ikke.toml"

    status, _, err = run(["--config", str(company / "config-en.toml"), "evaluate", str(company / "history.csv"),
                          "--master", str(missing)])

    assert status == 2
    assert "finnes-ikke.toml" in err
    assert "not found" in err


def test_evaluate_missing_label_column(tmp_path):
    master = write_master(tmp_path)
    columns = tuple(column for column in COLUMNS if column != "GL Code")
    report = write_report(tmp_path / "history-nogl.csv", history_rows(5), columns)
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\n', encoding="utf-8")

    status, _, err = run(["--config", str(config), "evaluate", str(report), "--master", str(master)])

    assert status == 1
    assert "history-nogl.csv" in err
    assert "missing the column(s) 'GL Code'" in err


def test_evaluate_same_file_twice_counts_once(company):
    report = str(company / "history.csv")
    status, out, _ = run(["--config", str(company / "config-en.toml"), "evaluate", report, report,
                          "--master", str(company / "stamdata.toml")])

    assert status == 0
    assert f"{ROWS} rows repeat an item of an earlier file" in out
    assert re.search(rf"^Items replayed: {ROWS}$", out, re.MULTILINE)


def test_rate_for_nok_rejected():
    with pytest.raises(UsageError):
        parse_rate("NOK=2")


def test_rate_lowercase_code_accepted():
    assert parse_rate("eur=11,5") == ("EUR", Decimal("11.5"))
