"""``allocbot demo`` through the command line, in both languages."""

from __future__ import annotations

import csv
import re

import pytest

from bot.cli import main


@pytest.fixture(scope="module")
def norwegian_run(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("demo-nb")
    return workspace, _run(["demo", "--workspace", str(workspace)])


def _run(argv):
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_demo_succeeds(norwegian_run):
    _, (status, _, _) = norwegian_run

    assert status == 0


def test_demo_prints_norwegian_table(norwegian_run):
    _, (_, out, _) = norwegian_run

    assert re.search(r"^Dato\s+Vare\s+Beløp\s+Forslag\s+Sikkerhet\s+Beslutning$", out, re.MULTILINE)
    assert re.search(r"^\d\d\.11\.2026 .+ kr .+ (bokført|spør .+|godkjennes av .+)$", out, re.MULTILINE)


def test_demo_prints_totals(norwegian_run):
    _, (_, out, _) = norwegian_run

    items = int(re.search(r"^Varer: (\d+) \([\d\xa0]+,\d\d kr\)$", out, re.MULTILINE).group(1))
    booked = int(re.search(r"^Bokført automatisk: (\d+) \(", out, re.MULTILINE).group(1))
    questions = int(re.search(r"^Spørsmål: (\d+)$", out, re.MULTILINE).group(1))
    approvals = int(re.search(r"^Godkjenninger: (\d+)$", out, re.MULTILINE).group(1))
    assert items > 200
    assert booked + questions + approvals == items
    assert re.search(r"^Kortlinjer fortsatt uten varer: 1$", out, re.MULTILINE)
    assert re.search(r"^Kortlinjer fra andre brukersteder, fordelt som egne varer: 8$", out, re.MULTILINE)
    assert re.search(r"^  kortutskrift_2026-11\.pdf: DNB bedriftskort \(PDF\); 01\.11\.2026–30\.11\.2026; ", out,
                     re.MULTILINE)


def test_demo_accuracy_is_useful(norwegian_run):
    _, (_, out, _) = norwegian_run

    share = re.search(r"^Treffsikkerhet mot fasiten: ([\d,]+) %", out, re.MULTILINE).group(1)
    assert float(share.replace(",", ".")) >= 80.0


def test_demo_exports_booked_items(norwegian_run):
    workspace, (_, out, _) = norwegian_run

    booked = int(re.search(r"^Bokført automatisk: (\d+) \(", out, re.MULTILINE).group(1))
    exports = list((workspace / "export").glob("vouchers-*.csv"))
    assert len(exports) == 1
    with exports[0].open(encoding="utf-8-sig", newline="") as handle:
        vouchers = {row["voucher_number"] for row in csv.DictReader(handle, delimiter=";")}
    assert len(vouchers) == booked
    assert exports[0].name in out


def test_demo_shows_progress(norwegian_run):
    _, (_, _, err) = norwegian_run

    assert re.search(r"Lærer av historikken: (\d+)/\1 \(100 %\)", err)
    assert re.search(r"Klassifiserer varer: (\d+)/\1 \(100 %\)", err)


def test_demo_in_english(tmp_path):
    status, out, _ = _run(["demo", "--lang", "en", "--workspace", str(tmp_path)])

    assert status == 0
    assert re.search(r"^Date\s+Item\s+Amount\s+Suggestion\s+Confidence\s+Decision$", out, re.MULTILINE)
    assert re.search(r"^Booked automatically: \d+ \(", out, re.MULTILINE)
    assert "NOK " in out


def test_demo_rejects_used_workspace(norwegian_run):
    workspace, _ = norwegian_run

    status, _, err = _run(["demo", "--workspace", str(workspace)])

    assert status == 2
    assert str(workspace) in err
    assert "--workspace" in err


def test_demo_rejects_file_as_workspace(tmp_path):
    not_a_folder = tmp_path / "README.md"
    not_a_folder.write_text("hei", encoding="utf-8")

    status, _, err = _run(["demo", "--workspace", str(not_a_folder)])

    assert status == 2
    assert "README.md" in err


def test_demo_prints_questions_after_legend(norwegian_run):
    _, (_, out, _) = norwegian_run

    legend = out.index("Forslag: kostnadssted/prosjekt/konto/mva-kode")
    question = re.search(r"^(Spørsmål til|Godkjenning bes fra) .+ \((1 vare|\d+ varer)\):$", out, re.MULTILINE)
    assert question is not None
    assert question.start() > legend
    assert re.search(r"^  - .+ kr  → \S+ \([\d,]+ %\) \[.+\]", out, re.MULTILINE)
