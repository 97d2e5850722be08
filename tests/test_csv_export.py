"""Tests for the CSV connector and the shared file-connector machinery, on files read back from disk."""

from __future__ import annotations

import csv
import fcntl
import os
import tempfile
import threading
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ExportSettings, Settings
from bot.ports import Posted, Rejected, Voucher, VoucherLine
from connectors.csv_export import CsvExporter
from connectors.files import ExportError, exported_files

HEADER = ("voucher_number;date;line;account;cost_center;project;tax_code;vat_rate;gross_amount;net_amount;"
          "vat_amount;currency;description;reference;clearing")
FILE_NAME = "vouchers-20260331-164512.csv"
HOSTILE_TITLES = ['=HYPERLINK("http://x","y")', "+47 99", "@SUM(A1)", "-2+3", "\tTab first", "\rReturn first"]


def fixed_clock() -> datetime:
    return datetime(2026, 3, 31, 16, 45, 12, tzinfo=timezone.utc)


def voucher(number: str, *lines: VoucherLine, day: date = date(2026, 3, 18)) -> Voucher:
    return Voucher(number, day, "Amazon 302-6666666-6666666", "kort.csv:2", lines)


def toner_voucher(number: str = "AB0000001", title: str = "Brother TN-2420 toner") -> Voucher:
    return voucher(
        number,
        VoucherLine("6800", Decimal("1398.00"), title, "100", None, "1", Decimal("25")),
        VoucherLine("6800", Decimal("349.50"), "Kopipapir A4; 5x500 ark", "100", "P-1042", "11", Decimal("15")),
        VoucherLine("2400", Decimal("-1747.50"), "Firmakort", clearing=True),
    )


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_file_bytes_layout(tmp_path):
    exporter = CsvExporter(tmp_path / "export", clock=fixed_clock)

    outcomes = exporter.post([toner_voucher()])

    path = tmp_path / "export" / FILE_NAME
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.split("\r\n")[0] == HEADER
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    assert exporter.written == [path]


def test_rows_read_back(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    rows = read_rows(tmp_path / FILE_NAME)

    assert len(rows) == 3
    assert rows[0] == {
        "voucher_number": "AB0000001", "date": "2026-03-18", "line": "1", "account": "6800",
        "cost_center": "100", "project": "", "tax_code": "1", "vat_rate": "25", "gross_amount": "1398.00",
        "net_amount": "1118.40", "vat_amount": "279.60", "currency": "NOK",
        "description": "Brother TN-2420 toner", "reference": "kort.csv:2", "clearing": "0",
    }
    assert rows[1]["description"] == "Kopipapir A4; 5x500 ark"
    assert rows[1]["project"] == "P-1042"
    assert rows[1]["vat_rate"] == "15"
    assert (rows[1]["net_amount"], rows[1]["vat_amount"]) == ("303.91", "45.59")
    assert rows[2]["line"] == "3"
    assert rows[2]["clearing"] == "1"
    assert (rows[2]["gross_amount"], rows[2]["net_amount"], rows[2]["vat_amount"]) == ("-1747.50", "-1747.50", "0.00")
    assert rows[2]["vat_rate"] == ""


def test_sums_per_voucher_exactly_zero(tmp_path):
    refund = voucher(
        "AB0000002",
        VoucherLine("6551", Decimal("-0.10"), "Returnert kabel", "400", None, "1", Decimal("25")),
        VoucherLine("2400", Decimal("0.10"), "Firmakort", clearing=True),
    )
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher(), refund])

    rows = read_rows(tmp_path / FILE_NAME)

    for number in ("AB0000001", "AB0000002"):
        mine = [row for row in rows if row["voucher_number"] == number]
        assert sum(Decimal(row["gross_amount"]) for row in mine) == 0
        for row in mine:
            assert Decimal(row["net_amount"]) + Decimal(row["vat_amount"]) == Decimal(row["gross_amount"])
    assert [row["line"] for row in rows] == ["1", "2", "3", "1", "2"]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title_neutralised(tmp_path, title):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher(title=title)])

    rows = read_rows(tmp_path / FILE_NAME)

    assert rows[0]["description"] == "'" + title


def test_negative_amount_stays_number(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    text = (tmp_path / FILE_NAME).read_text(encoding="utf-8-sig")

    assert ";-1747.50;-1747.50;0.00;" in text
    assert "'-1747.50" not in text


def test_hostile_codes_neutralised(tmp_path):
    hostile = voucher(
        "AB0000001",
        VoucherLine("6800", Decimal("10.00"), "Binders", "-100", "=1+1", "@1"),
        VoucherLine("2400", Decimal("-10.00"), "Firmakort", clearing=True),
    )
    CsvExporter(tmp_path, clock=fixed_clock).post([hostile])

    row = read_rows(tmp_path / FILE_NAME)[0]

    assert row["cost_center"] == "'-100"
    assert row["project"] == "'=1+1"
    assert row["tax_code"] == "'@1"


def test_plain_text_unchanged(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher(title="'Sitat' 1+1=2 ø€😀")])

    row = read_rows(tmp_path / FILE_NAME)[0]

    assert row["description"] == "'Sitat' 1+1=2 ø€😀"


def test_unbalanced_voucher_raises(tmp_path):
    exporter = CsvExporter(tmp_path / "export", clock=fixed_clock)
    unbalanced = voucher(
        "AB0000002",
        VoucherLine("6551", Decimal("2490.00"), "Jabra Evolve2 65", "400", None, "1"),
        VoucherLine("2400", Decimal("-2409.00"), "Firmakort", clearing=True),
    )

    with pytest.raises(ValueError, match="AB0000002"):
        exporter.post([toner_voucher(), unbalanced])

    assert not (tmp_path / "export").exists()
    assert exporter.written == []


def test_fraction_of_ore_raises(tmp_path):
    fractional = voucher(
        "AB0000003",
        VoucherLine("6800", Decimal("0.005"), "Binders", "100", None, "1"),
        VoucherLine("6800", Decimal("0.005"), "Binders", "100", None, "1"),
        VoucherLine("2400", Decimal("-0.01"), "Firmakort", clearing=True),
    )

    with pytest.raises(ValueError, match="AB0000003.*øre"):
        CsvExporter(tmp_path, clock=fixed_clock).post([fractional])

    assert list(tmp_path.iterdir()) == []


def euro_voucher(number: str = "AB0000004") -> Voucher:
    return Voucher(number, date(2026, 3, 18), "Amazon", "kort.csv:3",
                   (VoucherLine("6800", Decimal("10.00"), "Binders"),
                    VoucherLine("2400", Decimal("-10.00"), "Firmakort", clearing=True)), currency="EUR")


def test_other_currency_rejected(tmp_path):
    exporter = CsvExporter(tmp_path, clock=fixed_clock)

    posted, rejected = exporter.post([toner_voucher(), euro_voucher()])

    assert posted == Posted("AB0000001", f"{FILE_NAME}#AB0000001")
    assert isinstance(rejected, Rejected)
    assert rejected.number == "AB0000004"
    assert rejected.field == "currency"
    assert "AB0000004 is in EUR" in rejected.message
    assert "export currency (export.currency) is NOK" in rejected.message
    assert "set export.currency to EUR" in rejected.message
    assert {row["voucher_number"] for row in read_rows(tmp_path / FILE_NAME)} == {"AB0000001"}


def test_number_twice_in_batch_raises(tmp_path):
    with pytest.raises(ValueError, match="AB0000001.*twice"):
        CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher(), toner_voucher()])

    assert list(tmp_path.iterdir()) == []


def test_lone_surrogate_rejected(tmp_path):
    # A lone surrogate, as left by decoding a mail header with errors="surrogateescape", has no UTF-8 form.
    broken = toner_voucher("AB0000006", title="Skrivebordslampe \udce6")

    rejected, posted = CsvExporter(tmp_path, clock=fixed_clock).post([broken, toner_voucher()])

    assert isinstance(rejected, Rejected)
    assert rejected.number == "AB0000006"
    assert rejected.field == "line 1 description"
    assert "'Skrivebordslampe \\udce6' cannot be written in utf-8" in rejected.message
    assert "correct the text where it comes from" in rejected.message
    assert posted == Posted("AB0000001", f"{FILE_NAME}#AB0000001")
    assert {row["voucher_number"] for row in read_rows(tmp_path / FILE_NAME)} == {"AB0000001"}


def test_all_rejected_writes_no_file(tmp_path):
    exporter = CsvExporter(tmp_path, clock=fixed_clock)

    outcomes = exporter.post([euro_voucher("AB0000004"), euro_voucher("AB0000005")])

    assert [(outcome.number, type(outcome)) for outcome in outcomes] == [("AB0000004", Rejected),
                                                                        ("AB0000005", Rejected)]
    assert list(tmp_path.glob("vouchers-*")) == []
    assert exporter.written == []


def test_exported_voucher_posted_before_checks(tmp_path):
    # Changing export.currency after the export must not reject the voucher that is in the file already.
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    outcomes = CsvExporter(tmp_path, currency="EUR", clock=fixed_clock).post([toner_voucher()])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    assert [path.name for path in tmp_path.glob("vouchers-*")] == [FILE_NAME]


def test_folder_error_raises_despite_rejection(tmp_path):
    blocked = tmp_path / "export"
    blocked.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ExportError, match="export.export_dir"):
        CsvExporter(blocked, clock=fixed_clock).post([euro_voucher(), toner_voucher()])


def test_same_second_batches_get_own_files(tmp_path):
    exporter = CsvExporter(tmp_path, clock=fixed_clock)

    first = exporter.post([toner_voucher("AB0000004")])
    second = exporter.post([toner_voucher("AB0000005")])

    assert first == [Posted("AB0000004", f"{FILE_NAME}#AB0000004")]
    assert second == [Posted("AB0000005", "vouchers-20260331-164512-2.csv#AB0000005")]
    assert {row["voucher_number"] for row in read_rows(tmp_path / FILE_NAME)} == {"AB0000004"}


def test_empty_batch_writes_nothing(tmp_path):
    exporter = CsvExporter(tmp_path / "export", clock=fixed_clock)

    assert exporter.post([]) == []
    assert not (tmp_path / "export").exists()


def test_no_temporary_file_left(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert sorted(path.name for path in tmp_path.iterdir()) == [".export.lock", FILE_NAME]


def test_failed_rename_leaves_nothing(tmp_path, monkeypatch):
    def fail_replace(source, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", fail_replace)
    exporter = CsvExporter(tmp_path, clock=fixed_clock)

    with pytest.raises(ExportError) as caught:
        exporter.post([toner_voucher()])

    assert str(tmp_path) in str(caught.value)
    assert "Permission denied" in str(caught.value)
    assert "export.export_dir" in str(caught.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == [".export.lock"]
    assert exporter.written == []


def test_voucher_exported_once_across_batches(tmp_path):
    exporter = CsvExporter(tmp_path, clock=fixed_clock)

    first = exporter.post([toner_voucher("AB0000001")])
    second = exporter.post([toner_voucher("AB0000001"), toner_voucher("AB0000002")])

    assert second[0] == first[0]
    assert second[1] == Posted("AB0000002", "vouchers-20260331-164512-2.csv#AB0000002")
    assert {row["voucher_number"] for row in read_rows(exporter.written[1])} == {"AB0000002"}


def test_retry_writes_no_new_file(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    outcomes = CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]
    assert [path.name for path in tmp_path.glob("vouchers-*")] == [FILE_NAME]


def test_other_database_voucher_stops_export(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])
    other = voucher(
        "AB0000001",
        VoucherLine("6551", Decimal("99.00"), "USB-kabel", "400", None, "14"),
        VoucherLine("2400", Decimal("-99.00"), "Firmakort", clearing=True),
    )

    with pytest.raises(ExportError) as caught:
        CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher("AB0000009"), other])

    assert "AB0000001" in str(caught.value)
    assert FILE_NAME in str(caught.value)
    assert "export_dir" in str(caught.value)
    assert [path.name for path in tmp_path.glob("vouchers-*")] == [FILE_NAME]


def test_changed_amount_counts_as_other_lines(tmp_path):
    CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])
    changed = voucher(
        "AB0000001",
        VoucherLine("6800", Decimal("1398.01"), "Brother TN-2420 toner", "100", None, "1", Decimal("25")),
        VoucherLine("6800", Decimal("349.50"), "Kopipapir A4; 5x500 ark", "100", "P-1042", "11", Decimal("15")),
        VoucherLine("2400", Decimal("-1747.51"), "Firmakort", clearing=True),
    )

    with pytest.raises(ExportError, match="AB0000001"):
        CsvExporter(tmp_path, clock=fixed_clock).post([changed])


def test_first_layout_file_counts_as_exported(tmp_path):
    # A file of the CSV layout before the line and VAT columns, as the first file connector wrote it.
    (tmp_path / "vouchers-20260101-080000.csv").write_bytes(
        "\ufeffvoucher_number;date;account;cost_center;project;tax_code;amount;currency;description;reference\r\n"
        "AB0000001;2026-03-18;6800;100;;1;1398.00;NOK;Brother TN-2420 toner;kort.csv:2\r\n"
        "AB0000001;2026-03-18;6800;100;P-1042;11;349.50;NOK;Kopipapir A4; 5x500 ark;kort.csv:2\r\n"
        "AB0000001;2026-03-18;2400;;;;-1747.50;NOK;Firmakort;kort.csv:2\r\n".encode("utf-8"))

    outcomes = CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert outcomes == [Posted("AB0000001", "vouchers-20260101-080000.csv#AB0000001")]
    assert not (tmp_path / FILE_NAME).exists()


def test_foreign_file_stops_export(tmp_path):
    foreign = tmp_path / "vouchers-from-bank.csv"
    foreign.write_text("Dato;Beløp\r\n2026-03-18;100,00\r\n", encoding="utf-8")

    with pytest.raises(ExportError) as caught:
        CsvExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert "vouchers-from-bank.csv" in str(caught.value)
    assert "voucher_number" in str(caught.value)
    assert not (tmp_path / FILE_NAME).exists()


def test_export_folder_that_is_a_file(tmp_path):
    blocked = tmp_path / "export"
    blocked.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ExportError) as caught:
        CsvExporter(blocked, clock=fixed_clock).post([toner_voucher()])

    assert str(blocked) in str(caught.value)
    assert "export.export_dir" in str(caught.value)


def test_find_names_earlier_file(tmp_path):
    exporter = CsvExporter(tmp_path / "export", clock=fixed_clock)
    assert exporter.find(["AB0000001"]) == {}

    exporter.post([toner_voucher()])

    assert exporter.find(["AB0000001", "AB0000002"]) == {"AB0000001": f"{FILE_NAME}#AB0000001"}


def test_exported_files_sorted_once():
    ids = ["b.csv#AB2", "a.csv#AB1", "b.csv#AB3", "EXTF_Buchungsstapel_1.csv#AB4"]

    assert exported_files(ids) == ["EXTF_Buchungsstapel_1.csv", "a.csv", "b.csv"]


def test_export_waits_for_lock(tmp_path):
    exporter = CsvExporter(tmp_path, clock=fixed_clock)
    outcomes = []
    with (tmp_path / ".export.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: outcomes.extend(exporter.post([toner_voucher()])))
        worker.start()
        worker.join(timeout=0.5)

        assert worker.is_alive()
        assert not (tmp_path / FILE_NAME).exists()

    worker.join(timeout=10)
    assert not worker.is_alive()
    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]


def test_from_settings(tmp_path):
    settings = Settings(export=ExportSettings(connector="csv", export_dir=tmp_path / "out").model_copy(update={"currency": "EUR"}))

    exporter = CsvExporter.from_settings(settings)

    assert exporter.name == "csv"
    assert exporter.directory == tmp_path / "out"
    assert exporter.currency == "EUR"


amounts = st.integers(min_value=-10**10, max_value=10**10).filter(bool).map(lambda cents: Decimal(cents) / 100)
lines = st.builds(
    VoucherLine,
    account=st.from_regex(r"[0-9]{4}", fullmatch=True),
    amount=amounts,
    description=st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    cost_center=st.none() | st.from_regex(r"[A-Za-z0-9=+@-]{1,8}", fullmatch=True),
    tax_code=st.sampled_from([None, "1", "11", "14"]),
    vat_rate=st.sampled_from([None, Decimal("25"), Decimal("15"), Decimal("11.11")]),
)


@st.composite
def random_vouchers(draw) -> list[Voucher]:
    vouchers = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        debit = draw(st.lists(lines, min_size=1, max_size=5))
        clearing = VoucherLine("2400", -sum(line.amount for line in debit), "Firmakort", clearing=True)
        day = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
        vouchers.append(Voucher(f"AB{index:07d}", day, "Amazon", "kort.csv", (*debit, clearing)))
    return vouchers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_vouchers())
def test_random_vouchers_round_trip(vouchers):
    with tempfile.TemporaryDirectory() as folder:
        CsvExporter(Path(folder), clock=fixed_clock).post(vouchers)
        rows = read_rows(Path(folder) / FILE_NAME)

    assert len(rows) == sum(len(voucher.lines) for voucher in vouchers)
    position = 0
    for voucher in vouchers:
        mine = rows[position:position + len(voucher.lines)]
        position += len(voucher.lines)
        assert sum(Decimal(row["gross_amount"]) for row in mine) == 0
        for row, line in zip(mine, voucher.lines):
            assert row["voucher_number"] == voucher.number
            assert Decimal(row["gross_amount"]) == line.amount
            assert Decimal(row["net_amount"]) + Decimal(row["vat_amount"]) == line.amount
            assert row["account"] == line.account
            assert row["cost_center"] == spreadsheet_safe(line.cost_center or "")
            assert row["description"] == spreadsheet_safe(line.description)
