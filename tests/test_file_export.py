import csv
from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.ports import Voucher, VoucherLine
from connectors.file_export import ExportError, FileExporter

HEADER = "voucher_number;date;account;cost_center;project;tax_code;amount;currency;description;reference"


def fixed_clock():
    return datetime(2026, 3, 31, 16, 45, 12)


def voucher(number: str, *lines: VoucherLine) -> Voucher:
    return Voucher(number, date(2026, 3, 18), "Amazon 302-6666666-6666666", "kort.csv:2", lines)


def toner_voucher(number: str = "AB-2026-0001") -> Voucher:
    return voucher(
        number,
        VoucherLine("6800", Decimal("1398.00"), "Brother TN-2420 toner", "100", None, "1"),
        VoucherLine("6800", Decimal("349.50"), "Kopipapir A4; 5x500 ark", "100", "P-1042", "1"),
        VoucherLine("2400", Decimal("-1747.50"), "Firmakort"),
    )


def test_balanced_vouchers_written(tmp_path):
    exporter = FileExporter(tmp_path / "export", clock=fixed_clock)

    ids = exporter.post([toner_voucher()])

    path = tmp_path / "export" / "vouchers-20260331-164512.csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.split("\r\n")[0] == HEADER
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert ids == ["vouchers-20260331-164512.csv#AB-2026-0001"]
    assert exporter.written == [path]


def test_written_rows_read_back(tmp_path):
    exporter = FileExporter(tmp_path, clock=fixed_clock)

    exporter.post([toner_voucher()])

    with (tmp_path / "vouchers-20260331-164512.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 3
    assert rows[0] == {
        "voucher_number": "AB-2026-0001", "date": "2026-03-18", "account": "6800",
        "cost_center": "100", "project": "", "tax_code": "1", "amount": "1398.00",
        "currency": "NOK", "description": "Brother TN-2420 toner", "reference": "kort.csv:2",
    }
    assert rows[1]["description"] == "Kopipapir A4; 5x500 ark"
    assert rows[1]["project"] == "P-1042"
    assert rows[2]["amount"] == "-1747.50"
    assert sum(Decimal(row["amount"]) for row in rows) == 0


def test_unbalanced_voucher_raises(tmp_path):
    exporter = FileExporter(tmp_path / "export", clock=fixed_clock)
    unbalanced = voucher(
        "AB-2026-0002",
        VoucherLine("6551", Decimal("2490.00"), "Jabra Evolve2 65", "400", None, "1"),
        VoucherLine("2400", Decimal("-2409.00"), "Firmakort"),
    )

    with pytest.raises(ValueError, match="AB-2026-0002"):
        exporter.post([toner_voucher(), unbalanced])

    assert not (tmp_path / "export").exists()
    assert exporter.written == []


def test_fraction_of_ore_raises(tmp_path):
    exporter = FileExporter(tmp_path, clock=fixed_clock)
    fractional = voucher(
        "AB-2026-0003",
        VoucherLine("6800", Decimal("0.005"), "Binders", "100", None, "1"),
        VoucherLine("6800", Decimal("0.005"), "Binders", "100", None, "1"),
        VoucherLine("2400", Decimal("-0.01"), "Firmakort"),
    )

    with pytest.raises(ValueError, match="øre"):
        exporter.post([fractional])

    assert list(tmp_path.iterdir()) == []


def test_same_second_batches_get_own_files(tmp_path):
    exporter = FileExporter(tmp_path, clock=fixed_clock)

    first = exporter.post([toner_voucher("AB-2026-0004")])
    second = exporter.post([toner_voucher("AB-2026-0005")])

    assert first == ["vouchers-20260331-164512.csv#AB-2026-0004"]
    assert second == ["vouchers-20260331-164512-2.csv#AB-2026-0005"]
    assert "AB-2026-0004" in (tmp_path / "vouchers-20260331-164512.csv").read_text(encoding="utf-8-sig")
    assert "AB-2026-0005" in (tmp_path / "vouchers-20260331-164512-2.csv").read_text(encoding="utf-8-sig")


def test_empty_batch_writes_nothing(tmp_path):
    exporter = FileExporter(tmp_path / "export", clock=fixed_clock)

    ids = exporter.post([])

    assert ids == []
    assert not (tmp_path / "export").exists()


def test_no_temporary_file_left(tmp_path):
    exporter = FileExporter(tmp_path, clock=fixed_clock)

    exporter.post([toner_voucher()])

    assert [path.name for path in tmp_path.glob("vouchers-*")] == ["vouchers-20260331-164512.csv"]


def test_failed_write_leaves_no_temporary_file(tmp_path):
    exporter = FileExporter(tmp_path, clock=fixed_clock)
    # A lone surrogate, as left by decoding a mail header with errors="surrogateescape",
    # cannot be encoded as UTF-8, so writing fails halfway through the file.
    broken = voucher(
        "AB-2026-0006",
        VoucherLine("6800", Decimal("99.00"), "Skrivebordslampe \udce6", "100", None, "1"),
        VoucherLine("2400", Decimal("-99.00"), "Firmakort"),
    )

    with pytest.raises(UnicodeEncodeError):
        exporter.post([toner_voucher(), broken])

    assert list(tmp_path.glob("vouchers-*")) == []
    assert exporter.written == []


def test_voucher_exported_once_across_batches(tmp_path):
    exporter = FileExporter(tmp_path)
    first = toner_voucher("AB0000001")

    first_ids = exporter.post([first])
    second_ids = exporter.post([first, toner_voucher("AB0000002")])

    assert second_ids[0] == first_ids[0]
    assert len(exporter.written) == 2
    with exporter.written[1].open(encoding="utf-8-sig", newline="") as handle:
        numbers = {row["voucher_number"] for row in csv.DictReader(handle, delimiter=";")}
    assert numbers == {"AB0000002"}


def test_retry_writes_no_new_file(tmp_path):
    exporter = FileExporter(tmp_path)
    exporter.post([toner_voucher("AB0000001")])

    ids = FileExporter(tmp_path).post([toner_voucher("AB0000001")])

    assert len(list(tmp_path.glob("vouchers-*.csv"))) == 1
    assert ids[0].endswith("#AB0000001")


def test_other_database_voucher_stops_export(tmp_path):
    FileExporter(tmp_path).post([toner_voucher("AB0000001")])
    other = voucher(
        "AB0000001",
        VoucherLine("6551", Decimal("99.00"), "USB-kabel", "400", None, "14"),
        VoucherLine("2400", Decimal("-99.00"), "Firmakort"),
    )

    with pytest.raises(ExportError) as caught:
        FileExporter(tmp_path).post([other])

    assert "AB0000001" in str(caught.value)
    assert "export_dir" in str(caught.value)
    assert len(list(tmp_path.glob("vouchers-*.csv"))) == 1


def test_export_folder_that_is_a_file(tmp_path):
    blocked = tmp_path / "export"
    blocked.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ExportError) as caught:
        FileExporter(blocked).post([toner_voucher()])

    assert str(blocked) in str(caught.value)
