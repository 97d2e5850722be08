"""``allocbot demo`` through the command line, in both languages."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import select

from bot.cli import main
from bot.records import Allocation
from bot.store.database import Store
from bot.store.models import AllocationLine, AllocationRow, AmazonItem, Posting, StoreModel, SuggestionRow
from bot.store.postings import TAG_ALPHABET, installation_tag, voucher_number
from bot.store.repository import decide

# "AB", the demo store's installation tag and the voucher id.
VOUCHER_NUMBER = rf"AB[{TAG_ALPHABET}]{{4}}\d{{7}}"


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
    (export,) = (workspace / "export").glob("vouchers-*.csv")
    rows = _export_rows(export)
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        balances[row["voucher_number"]] += Decimal(row["gross_amount"])
    debits = Counter((row["account"], row["cost_center"], row["project"], row["tax_code"], Decimal(row["gross_amount"]))
                     for row in rows if row["clearing"] == "0")

    posted_items, posted_lines = _posted(workspace)
    assert set(balances.values()) == {Decimal("0.00")}
    assert len(posted_items) == booked
    assert debits == posted_lines
    # One voucher for the month's statement, and its clearing lines add up to the booked items.
    assert len(balances) == 1
    assert -sum(Decimal(row["gross_amount"]) for row in rows if row["clearing"] == "1") == sum(posted_items.values())
    assert re.search(rf"^({VOUCHER_NUMBER}), 30\.11\.2026, Kortutskrift [\d.]+–30\.11\.2026, \S+\.csv: postert som "
                     rf"{export.name}#\1$", out, re.MULTILINE)
    assert set(balances) == {_voucher_number(workspace, 1)}
    assert re.search(rf"^Bilag postert: 1, linjer: {len(rows)}$", out, re.MULTILINE)
    assert f"Filer skrevet: {export.name}" in out


def _voucher_number(workspace, voucher_id: int) -> str:
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.session() as session:
            return voucher_number(installation_tag(session), voucher_id)
    finally:
        store.close()


def _export_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _posted(workspace):
    """Return the NOK amount of each posted item, and the allocation lines of the posted items."""
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.session() as session:
            items = dict(session.exec(select(AmazonItem.id, AmazonItem.amount_nok)
                                      .where(AmazonItem.state == "posted")).all())
            lines = session.exec(
                select(AllocationLine).join(AllocationRow).join(Posting, Posting.allocation_id == AllocationRow.id)
                .where(Posting.status == "posted")).all()
    finally:
        store.close()
    return items, Counter((line.account, line.cost_center, line.project or "", line.tax_code, line.amount)
                          for line in lines if line.amount != 0)


def test_demo_shows_progress(norwegian_run):
    _, (_, _, err) = norwegian_run

    assert re.search(r"Lærer av historikken: (\d+)/\1 \(100 %\)", err)
    assert re.search(r"Klassifiserer varer: (\d+)/\1 \(100 %\)", err)


@pytest.fixture(scope="module")
def english_run(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("demo-en")
    return workspace, _run(["demo", "--lang", "en", "--workspace", str(workspace)])


def test_demo_in_english(english_run):
    _, (status, out, _) = english_run

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


def test_post_on_demo_workspace(english_run):
    """Dry run, post and post again with the settings the demo leaves, after someone answered a question."""
    workspace, (_, out, _) = english_run
    config = workspace / "config.toml"
    assert f"Settings of this workspace, for commands such as allocbot post --dry-run: {config}" in out
    item_id, amount = _answer_one_question(workspace)
    export = workspace / "export"
    files_before = sorted(path.name for path in export.iterdir())
    tables_before = _tables(workspace)

    status, dry, _ = _run(["--config", str(config), "post", "--dry-run"])

    assert status == 0
    assert dry.startswith("Dry run: nothing is stored or sent.\nCodes checked against the master data.\n")
    assert re.search(r"^Voucher \(new\), \d\d\.11\.2026|^Voucher \(new\), 2026-11-\d\d, ", dry, re.MULTILINE)
    assert re.search(r"^  Account  Cost center  Project  VAT code +Amount  Text$", dry, re.MULTILINE)
    assert re.search(rf"^  2400 +NOK -{re.escape(f'{amount:,.2f}')}  .+  \[clearing line\]$", dry, re.MULTILINE)
    assert "Vouchers to post: 1, lines: 2" in dry
    assert sorted(path.name for path in export.iterdir()) == files_before
    assert _tables(workspace) == tables_before

    status, posted, _ = _run(["--config", str(config), "post"])

    second = _voucher_number(workspace, 2)
    assert status == 0
    assert re.search(rf"^{second}, .+: posted as vouchers-\S+\.csv#{second}$", posted, re.MULTILINE)
    assert "Vouchers posted: 1, lines: 2" in posted
    (new_file,) = set(path.name for path in export.glob("vouchers-*.csv")) - set(files_before)
    assert f"Files written: {new_file}" in posted
    rows = _export_rows(export / new_file)
    assert {row["voucher_number"] for row in rows} == {second}
    assert sum(Decimal(row["gross_amount"]) for row in rows) == 0
    assert item_id in _posted(workspace)[0]

    status, again, _ = _run(["--config", str(config), "post"])

    assert status == 0
    assert again == "Vouchers posted: 0, lines: 0\n"
    assert sorted(path.name for path in export.iterdir()) == sorted([*files_before, new_file])


def _answer_one_question(workspace):
    """Decide the first open question's item with its top suggestion, as its requester would; return id and amount."""
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.session() as session:
            item = session.exec(select(AmazonItem).where(AmazonItem.state == "asked",
                                                         AmazonItem.card_transaction_id.is_not(None))
                                .order_by(AmazonItem.id)).first()
            top = session.exec(select(SuggestionRow)
                               .where(SuggestionRow.item_id == item.id, SuggestionRow.rank == 1)).one()
            decide(session, item.id, [(Allocation(top.cost_center, top.project, top.account, top.tax_code),
                                       item.amount_nok)], decided_by=item.requester_email or "controller@example.no",
                   source="human")
            return item.id, item.amount_nok
    finally:
        store.close()


def _tables(workspace):
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.engine.connect() as connection:
            return {table.name: sorted(map(repr, connection.execute(sa_select(table)).all()))
                    for table in StoreModel.metadata.sorted_tables}
    finally:
        store.close()


@pytest.fixture(scope="module")
def unposted_run(tmp_path_factory):
    workspace = tmp_path_factory.mktemp("demo-no-post")
    return workspace, _run(["demo", "--lang", "en", "--no-post", "--workspace", str(workspace)])


def test_demo_without_posting(unposted_run):
    """allocbot demo --no-post leaves the booked items for allocbot post --dry-run and allocbot post."""
    workspace, (status, out, _) = unposted_run
    config = workspace / "config.toml"
    booked = int(re.search(r"^Booked automatically: (\d+) \(", out, re.MULTILINE).group(1))

    assert status == 0
    assert booked > 0
    assert f"allocbot --config {config} post --dry-run shows the vouchers" in out
    assert not list((workspace / "export").glob("vouchers-*.csv"))
    assert _posted(workspace)[0] == {}
    store = Store(f"sqlite:///{workspace / 'allocbot.db'}")
    try:
        with store.session() as session:
            approved = session.exec(select(AllocationRow.id).where(AllocationRow.status == "approved")).all()
            postings = session.exec(select(Posting)).all()
    finally:
        store.close()
    assert len(approved) == booked
    assert postings == []

    status, dry, _ = _run(["--config", str(config), "post", "--dry-run"])

    assert status == 0
    assert re.search(r"^Voucher \(new\), 2026-11-30, Card statement 2026-11-\d\d–2026-11-30, \S+\.csv$", dry,
                     re.MULTILINE)
    lines = int(re.search(r"^Vouchers to post: 1, lines: (\d+)$", dry, re.MULTILINE).group(1))
    assert lines > booked
    assert not list((workspace / "export").glob("vouchers-*.csv"))

    status, posted, _ = _run(["--config", str(config), "post"])

    first = _voucher_number(workspace, 1)
    (export,) = (workspace / "export").glob("vouchers-*.csv")
    assert status == 0
    assert re.search(rf"^{first}, 2026-11-30, Card statement .+: posted as {export.name}#{first}$", posted,
                     re.MULTILINE)
    assert f"Vouchers posted: 1, lines: {lines}\n" in posted
    assert {row["voucher_number"] for row in _export_rows(export)} == {first}
    assert len(_posted(workspace)[0]) == booked
