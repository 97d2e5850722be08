"""The commands a controller runs on their own data: learn, ingest, post, audit verify."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout

import pytest
from sqlmodel import select

from bot.cli import main
from bot.config import load_settings
from bot.demo import DEMO_TARGET_PRECISION
from bot.errors import ConfigError
from bot.sample import generate
from bot.sample.master_toml import write_master_data
from bot.service_jobs import post_approved
from bot.store.database import Store
from bot.store.models import VoucherRow
from connectors.csv_export import COLUMNS
from posting_store import OFFICE, Company, RecordingErp, master_data, number, post


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("company")
    sample = generate(folder / "sample")
    config = folder / "config.toml"
    config.write_text(
        'language = "en"\n'
        f'master_data = "{sample.master_data}"\n'
        "[store]\n"
        'url = "sqlite:///var/allocbot.db"\n'
        "[export]\n"
        'export_dir = "var/export"\n'
        # The demo's target, which the sample's deliberate slips still let it reach.
        "[policy]\n"
        f"target_precision = {DEMO_TARGET_PRECISION}\n",
        encoding="utf-8",
    )
    return folder, sample, config


def test_learn_ingest_post_audit(company):
    folder, sample, config = company

    status, out, _ = run(["--config", str(config), "learn", *map(str, sample.history)])
    assert status == 0
    assert re.search(r"Imported \d{4} labeled items\.", out)

    status, out, _ = run(["ingest", str(sample.eml), "--config", str(config)])
    assert status == 0
    booked = int(re.search(r"^Booked automatically: (\d+) ", out, re.MULTILINE).group(1))
    assert booked > 0
    # One voucher for the statement, with a debit line per item (booked items are not split) and a clearing
    # line per card line, written to one CSV file.
    lines = int(re.search(r"^Vouchers posted: 1, lines: (\d+)$", out, re.MULTILINE).group(1))
    assert lines > booked
    assert re.search(r"^Files written: vouchers-\d{8}-\d{6}\.csv$", out, re.MULTILINE)
    assert (folder / "var" / "allocbot.db").exists()
    assert re.search(r"^  \S+\.csv: DNB Mastercard \(CSV\); 2026-11-03–2026-11-30; \d+ card lines; purchases NOK ",
                     out, re.MULTILINE)
    assert re.search(r"^  \S+\.pdf: DNB bedriftskort \(PDF\); .*; printed sum NOK [\d,.]+ agrees with the lines$",
                     out, re.MULTILINE)
    assert re.search(r"^  \S+\.csv: Amazon Business order report; .*; \d+ items; total EUR ", out, re.MULTILINE)
    assert int(re.search(r"^Card lines matched to Amazon shipments: (\d+)$", out, re.MULTILINE).group(1)) > 100
    assert re.search(r"^  - .*AMZN.*: no shipment of EUR [\d.]+ paid between", out, re.MULTILINE)

    status, out, _ = run(["--config", str(config), "ingest", str(sample.eml)])
    assert status == 0
    assert re.search(r"^Items: 0 \(NOK 0.00\)$", out, re.MULTILINE)
    assert re.search(r"^  \S+\.csv: received before, not read again$", out, re.MULTILINE)
    assert re.search(r"^Vouchers posted: 0, lines: 0$", out, re.MULTILINE)

    status, out, _ = run(["--config", str(config), "post", "--dry-run"])
    assert status == 0
    assert "Dry run: nothing is stored or sent." in out
    assert "Vouchers to post: 0, lines: 0" in out

    status, out, _ = run(["--config", str(config), "post"])
    assert status == 0
    assert out == "Vouchers posted: 0, lines: 0\n"

    status, out, _ = run(["--config", str(config), "audit", "verify"])
    assert status == 0
    assert out.startswith("Audit log intact: ")


def test_masterdata_sync_file_connector(company):
    _, _, config = company

    status, out, _ = run(["--config", str(config), "masterdata", "sync"])

    assert status == 0
    assert out == ("The CSV connector reads no lists from an ERP: codes are checked against the master data file "
                   "when vouchers are posted.\n")


def test_ingest_without_master_data_is_config_error(tmp_path, company):
    _, sample, _ = company
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\n', encoding="utf-8")

    status, _, err = run(["--config", str(config), "ingest", str(sample.eml)])

    assert status == 2
    assert str(config) in err
    assert "master_data" in err


def test_ingest_several_bad_files(company, tmp_path):
    folder, sample, config = company
    bad_date = tmp_path / "nordea.csv"
    bad_date.write_text("Bokføringsdato;Beløp;Tittel;Valuta\n2026/13/40;-100,00;KIWI;NOK\n", encoding="utf-8")
    empty = tmp_path / "tom.csv"
    empty.write_text("", encoding="utf-8")
    good = tmp_path / "sb1.csv"
    good.write_text("Kjøpsdato;Posteringsdato;Beskrivelse;Beløp\n03.11.2026;04.11.2026;KIWI STORO;-89,90\n",
                    encoding="utf-8")

    status, out, err = run(["--config", str(config), "ingest", str(bad_date), str(good), str(empty)])

    assert status == 1
    assert "nordea.csv" in err
    assert "tom.csv" in err
    assert "2 of 3 files were not taken in" in err
    assert re.search(r"^  sb1\.csv: SpareBank 1 kredittkort \(CSV\); ", out, re.MULTILINE)


def test_ingest_missing_file_fails(company):
    _, _, config = company

    status, _, err = run(["--config", str(config), "ingest", "/nonexistent/kortutskrift.eml"])

    assert status == 2
    assert "kortutskrift.eml" in err
    assert "not found" in err


def test_invalid_rule_is_config_error(tmp_path, company):
    _, sample, _ = company
    config = tmp_path / "config.toml"
    config.write_text(
        f'master_data = "{sample.master_data}"\n'
        "[store]\n"
        f'url = "sqlite:///{tmp_path}/allocbot.db"\n'
        "[[rules]]\n"
        'keywords = ["kaffe"]\n'
        'cost_center = "999"\n',
        encoding="utf-8",
    )

    status, _, err = run(["--config", str(config), "ingest", str(sample.eml)])

    assert status == 2
    assert "rules" in err
    assert "999" in err


def test_master_data_fault_is_config_error(tmp_path, company):
    _, sample, _ = company
    master = tmp_path / "stamdata.toml"
    master.write_text(
        '[[cost_centers]]\ncode = "400"\nname = "IT"\n\n'
        '[[employees]]\nemail = "ola@example.no"\nname = "Ola"\ncost_center = "400"\nmanager = "borte@example.no"\n',
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text('master_data = "stamdata.toml"\n', encoding="utf-8")

    status, _, err = run(["--config", str(config), "ingest", str(sample.eml)])

    assert status == 2
    assert str(master) in err
    assert "borte@example.no" in err
    assert str(config) in err


def test_learn_again_reports_known_items(company):
    _, sample, config = company
    run(["--config", str(config), "learn", str(sample.history[0])])

    status, out, _ = run(["--config", str(config), "learn", str(sample.history[0])])

    assert status == 0
    assert "Imported 0 labeled items." in out
    assert re.search(r"^\d+ items were learned before and kept their allocation\.$", out, re.MULTILINE)
    assert re.search(r"^Model m-\d+-[0-9a-f]+ is up to date\.$", out, re.MULTILINE)


def test_bad_store_url_is_config_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\n[store]\nurl = "mysql://allocbot:hemmelig@127.0.0.1/allocbot"\n',
                      encoding="utf-8")

    status, _, err = run(["--config", str(config), "post"])

    assert status == 2
    assert "store.url" in err
    assert "hemmelig" not in err


def test_store_password_from_environment(monkeypatch):
    from sqlalchemy.engine import make_url

    from bot.commands import _store_url
    from bot.config import Settings, StoreSettings

    monkeypatch.setenv("ALLOCBOT_DB_PASSWORD", "hemmelig")
    settings = Settings(store=StoreSettings(url="postgresql+psycopg2://allocbot@127.0.0.1:5432/allocbot"))

    assert make_url(_store_url(settings)).password == "hemmelig"
    assert "hemmelig" not in Settings.model_dump_json(settings)


# --- allocbot post on a store with rejected, stuck and failing vouchers ----------

AMAZON = "AMAZON EU, Luxembourg"


@pytest.fixture
def posting_company(tmp_path):
    """A store with two approved items on one statement, and settings that export them as CSV to ``export``."""
    master = tmp_path / "masterdata.toml"
    write_master_data(master_data(), master)
    url = f"sqlite:///{tmp_path / 'allocbot.db'}"
    store = Store(url)
    store.migrate()
    company = Company(store)
    lines = company.statement([(4, AMAZON, "99.00"), (9, AMAZON, "250.00")])
    company.item(lines[0], "99.00", "Kopipapir A4", lines=[(OFFICE, "99.00")])
    company.item(lines[1], "250.00", "Tastatur")
    config = tmp_path / "config.toml"
    config.write_text("\n".join([
        'language = "en"',
        f"master_data = {json.dumps(str(master))}",
        "[store]", f"url = {json.dumps(url)}",
        "[export]", 'connector = "csv"', f"export_dir = {json.dumps(str(tmp_path / 'export'))}",
    ]) + "\n", encoding="utf-8")
    try:
        yield store, config, tmp_path
    finally:
        store.close()


def voucher_statuses(store) -> dict[str, str]:
    with store.session() as session:
        return {row.number: row.status for row in session.exec(select(VoucherRow))}


def test_post_retry_rejected(posting_company):
    store, config, folder = posting_company
    post(store, RecordingErp(reject=lambda voucher: "Perioden november er stengt"), folder)
    rejected = number(store, 1)

    status, out, _ = run(["--config", str(config), "post"])

    assert status == 1
    assert ("Rejected by an earlier run, waiting for a controller:\n"
            f"  {rejected}, 2026-11-09, Kortutskrift 04.11.2026–09.11.2026, kortutskrift.csv: rejected by "
            "recording: Perioden november er stengt (postings.account, HTTP 422) (correct it in recording or in the "
            f"master data, then run allocbot post --retry-rejected {rejected})\n") in out
    assert out.endswith("Vouchers posted: 0, lines: 0\nRejected vouchers waiting for allocbot post --retry-rejected: "
                        "1\n")
    assert not (folder / "export").exists()

    status, dry, _ = run(["--config", str(config), "post", "--dry-run"])

    assert status == 1
    assert f"  {rejected}, 2026-11-09, " in dry
    assert "Vouchers to post: 0, lines: 0\n" in dry

    status, _, err = run(["--config", str(config), "post", "--retry-rejected", "ABZZZZ9999999"])

    assert status == 2
    assert "ABZZZZ9999999, option --retry-rejected: no voucher has this number" in err

    status, out, _ = run(["--config", str(config), "post", "--retry-rejected", rejected])

    assert status == 0
    assert f"Items of rejected vouchers released for new vouchers: {rejected}\n" in out
    new = number(store, 2)
    assert re.search(rf"^{new}, 2026-11-09, .+: posted as vouchers-\S+\.csv#{new}$", out, re.MULTILINE)
    assert voucher_statuses(store) == {rejected: "rejected", new: "posted"}
    assert len(list((folder / "export").glob("vouchers-*.csv"))) == 1


def test_post_retry_rejected_not_with_dry_run(posting_company):
    _, config, _ = posting_company

    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main(["--config", str(config), "post", "--dry-run", "--retry-rejected"])

    assert caught.value.code == 2
    assert "argument --retry-rejected: not allowed with argument --dry-run" in err.getvalue()


@pytest.mark.parametrize("option", ["--abandon", "--retry-rejected"])
def test_post_empty_number_rejected(posting_company, option):
    store, config, folder = posting_company

    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main(["--config", str(config), "post", option, " "])

    assert caught.value.code == 2
    assert f"argument {option}: NUMBER is empty" in err.getvalue()
    assert voucher_statuses(store) == {}
    assert not list((folder / "export").glob("vouchers-*.csv"))


@pytest.mark.parametrize("dry_run", [False, True])
def test_post_export_dir_under_file(posting_company, dry_run):
    store, config, folder = posting_company
    blocker = folder / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(
        json.dumps(str(folder / "export")), json.dumps(str(blocker / "export"))), encoding="utf-8")

    err = io.StringIO()
    with redirect_stderr(err):
        status = main(["--config", str(config), "post"] + (["--dry-run"] if dry_run else []))

    assert status == 2
    assert "key export.export_dir" in err.getvalue()
    assert f"{blocker} is not a folder" in err.getvalue()
    assert voucher_statuses(store) == {}


def test_scheduled_posting_checks_export_dir_before_claiming(posting_company):
    store, config, folder = posting_company
    blocker = folder / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(
        json.dumps(str(folder / "export")), json.dumps(str(blocker / "export"))), encoding="utf-8")

    with pytest.raises(ConfigError, match="export.export_dir"):
        post_approved(load_settings(config), store)

    assert voucher_statuses(store) == {}


def test_post_abandon_stuck_voucher(posting_company):
    store, config, folder = posting_company

    class StuckCsv(RecordingErp):
        name = "csv"

    post(store, StuckCsv(fail=lambda voucher: "unavailable"), folder)
    stuck = number(store, 1)

    status, out, _ = run(["--config", str(config), "post", "--abandon", stuck])

    assert status == 0
    assert out == (f"Voucher {stuck} is not in CSV. It is recorded as rejected (abandoned), and the next allocbot post "
                   "posts its items on a new voucher.\n")
    assert voucher_statuses(store) == {stuck: "rejected"}

    status, _, err = run(["--config", str(config), "post", "--abandon", stuck])

    assert status == 2
    assert (f"{stuck}, option --abandon: this voucher was rejected, so there is nothing to abandon (allocbot post "
            "posts them on a new voucher)") in err

    status, out, _ = run(["--config", str(config), "post"])

    assert status == 0
    assert "Vouchers posted: 1, lines: 4\n" in out
    assert voucher_statuses(store) == {stuck: "rejected", number(store, 2): "posted"}


def test_post_failing_connector_no_traceback(posting_company):
    """A connector that raises while sending fails the run with a message naming the vouchers, not a traceback."""
    store, config, folder = posting_company
    voucher = number(store, 1)
    (folder / "export").mkdir()
    foreign = folder / "export" / "vouchers-20260101-000000.csv"
    foreign.write_text(";".join(COLUMNS) + "\r\n" + f"{voucher};2026-01-01;1;6800;;;;;1.00;1.00;0.00;NOK;x;y;0\r\n",
                       encoding="utf-8-sig")

    status, out, err = run(["--config", str(config), "post"])

    assert status == 1
    assert "Traceback" not in err
    assert re.search(rf"^CSV failed while vouchers {voucher} were sent: .*vouchers-20260101-000000\.csv: "
                     rf"voucher {voucher} is already there with other lines.*"
                     r"\. Whether CSV booked them is unknown, so the next run looks them up by their numbers before "
                     r"it sends them again\. If the error repeats, check each voucher in CSV and run allocbot post "
                     r"--abandon NUMBER\.$", out, re.MULTILINE)
    assert "Vouchers still sending: 1\n" in out
    assert voucher_statuses(store) == {voucher: "sending"}

    foreign.unlink()
    status, out, _ = run(["--config", str(config), "post"])

    assert status == 0
    assert re.search(rf"^{voucher}, .+: posted as vouchers-\S+\.csv#{voucher}$", out, re.MULTILINE)


class ClosingErp(RecordingErp):
    """A connector that lists codes and counts how often it is closed; ``broken`` makes the list read raise."""

    name = "closing"

    def __init__(self, broken: Exception | None = None):
        super().__init__()
        self.broken = broken
        self.closed = 0

    def master_lists(self):
        if self.broken is not None:
            raise self.broken
        return []

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("command", [["post"], ["post", "--dry-run"], ["masterdata", "sync"]])
@pytest.mark.parametrize("broken, expected_status", [
    (None, None),
    (ConfigError("config.toml", "invalid token"), 2),
    (ValueError("unexpected list entry"), 1),
])
def test_connector_closed_after_command(posting_company, monkeypatch, command, broken, expected_status):
    _, config, _ = posting_company
    erp = ClosingErp(broken)
    monkeypatch.setattr("bot.commands.build_poster", lambda settings: erp)

    status, _, err = run(["--config", str(config), *command])

    assert erp.closed == 1
    if expected_status is not None:
        assert status == expected_status
    assert "Traceback" not in err
