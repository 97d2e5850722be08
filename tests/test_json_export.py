"""Tests for the JSON connector: the documented layout, its JSON Schema, exact amounts and exactly-once export."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError

from bot.config import ExportSettings, Settings
from bot.ports import Posted, Rejected, Voucher, VoucherLine
from connectors.files import ExportError
from connectors.json_export import JsonExporter

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "vouchers.schema.json").read_text(encoding="utf-8"))
FILE_NAME = "vouchers-20260331-164512.json"


def fixed_clock() -> datetime:
    return datetime(2026, 3, 31, 16, 45, 12, tzinfo=timezone.utc)


def toner_voucher(number: str = "AB0000001", title: str = "Brother TN-2420 toner") -> Voucher:
    return Voucher(
        number, date(2026, 3, 18), "Amazon 302-6666666-6666666", "kort.csv:2",
        (
            VoucherLine("6800", Decimal("1398.00"), title, "100", None, "1", Decimal("25")),
            VoucherLine("6800", Decimal("349.50"), "Kopipapir A4", "100", "P-1042", "11", Decimal("15")),
            VoucherLine("2400", Decimal("-1747.50"), "Firmakort", clearing=True),
        ),
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
    )


def refund_voucher(number: str = "AB0000002") -> Voucher:
    return Voucher(
        number, date(2026, 3, 20), "Amazon retur", "kort.csv:5",
        (
            VoucherLine("6551", Decimal("-0.10"), "Returnert kabel", "400", None, "1", Decimal("11.11")),
            VoucherLine("2400", Decimal("0.10"), "Firmakort", clearing=True),
        ),
    )


def read_document(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8"))


def voucher_from_json(entry: dict) -> Voucher:
    """Rebuild a voucher from its JSON object the way a reader following docs/exports.md would."""
    def day(text: str | None) -> date | None:
        return None if text is None else date.fromisoformat(text)

    lines = tuple(
        VoucherLine(line["account"], Decimal(line["gross_amount"]), line["description"], line["cost_center"],
                    line["project"], line["tax_code"],
                    None if line["vat_rate"] is None else Decimal(line["vat_rate"]), line["clearing"])
        for line in entry["lines"]
    )
    return Voucher(entry["number"], day(entry["date"]), entry["description"], entry["reference"], lines,
                   day(entry["period_start"]), day(entry["period_end"]))


def test_schema_is_valid():
    Draft202012Validator.check_schema(SCHEMA)


def test_written_file_matches_schema(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher(), refund_voucher()])

    document = read_document(tmp_path / FILE_NAME)

    errors = [error.message for error in Draft202012Validator(SCHEMA).iter_errors(document)]
    assert errors == []


def test_schema_rejects_float_amount(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])
    document = read_document(tmp_path / FILE_NAME)
    broken = copy.deepcopy(document)
    broken["vouchers"][0]["lines"][0]["gross_amount"] = 1398.0

    with pytest.raises(ValidationError):
        Draft202012Validator(SCHEMA).validate(broken)


def test_schema_rejects_unknown_key(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])
    broken = read_document(tmp_path / FILE_NAME)
    broken["vouchers"][0]["lines"][0]["amount"] = "1398.00"

    with pytest.raises(ValidationError):
        Draft202012Validator(SCHEMA).validate(broken)


def test_document_layout(tmp_path):
    outcomes = JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    raw = (tmp_path / FILE_NAME).read_bytes()
    document = json.loads(raw.decode("utf-8"))

    assert not raw.startswith(b"\xef\xbb\xbf")
    assert list(document) == ["format", "version", "currency", "created_at", "vouchers"]
    assert document["format"] == "allocbot-vouchers"
    assert document["version"] == 1
    assert document["currency"] == "NOK"
    assert document["created_at"] == "2026-03-31T16:45:12Z"
    entry = document["vouchers"][0]
    assert list(entry) == ["number", "date", "description", "reference", "period_start", "period_end", "lines"]
    assert entry["period_start"] == "2026-03-01"
    assert entry["period_end"] == "2026-03-31"
    assert entry["lines"][0] == {
        "line": 1, "account": "6800", "cost_center": "100", "project": None, "tax_code": "1", "vat_rate": "25",
        "gross_amount": "1398.00", "net_amount": "1118.40", "vat_amount": "279.60",
        "description": "Brother TN-2420 toner", "clearing": False,
    }
    assert entry["lines"][2]["clearing"] is True
    assert entry["lines"][2]["vat_rate"] is None
    assert entry["lines"][2]["vat_amount"] == "0.00"
    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]


def test_amounts_are_decimal_strings(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher(), refund_voucher()])

    document = read_document(tmp_path / FILE_NAME)

    for entry in document["vouchers"]:
        for line in entry["lines"]:
            for name in ("gross_amount", "net_amount", "vat_amount"):
                assert isinstance(line[name], str)
        assert sum(Decimal(line["gross_amount"]) for line in entry["lines"]) == 0
    assert document["vouchers"][1]["lines"][0]["gross_amount"] == "-0.10"
    assert document["vouchers"][1]["lines"][0]["vat_rate"] == "11.11"
    assert document["vouchers"][1]["lines"][0]["vat_amount"] == "-0.01"


def test_round_trip(tmp_path):
    vouchers = [toner_voucher(title='=HYPERLINK("http://x","y") ø æ å ß € 😀'), refund_voucher()]
    JsonExporter(tmp_path, clock=fixed_clock).post(vouchers)

    document = read_document(tmp_path / FILE_NAME)

    assert [voucher_from_json(entry) for entry in document["vouchers"]] == vouchers


def test_created_at_in_utc(tmp_path):
    def oslo_summer_clock() -> datetime:
        return datetime(2026, 6, 1, 0, 30, 0, tzinfo=timezone(timedelta(hours=2)))

    outcomes = JsonExporter(tmp_path, clock=oslo_summer_clock).post([toner_voucher()])

    assert outcomes[0].external_id == "vouchers-20260531-223000.json#AB0000001"
    assert read_document(tmp_path / "vouchers-20260531-223000.json")["created_at"] == "2026-05-31T22:30:00Z"


def test_lone_surrogate_rejected(tmp_path):
    broken = toner_voucher(title="Skrivebordslampe \udce6")

    rejected, posted = JsonExporter(tmp_path, clock=fixed_clock).post([broken, refund_voucher()])

    assert isinstance(rejected, Rejected)
    assert rejected.number == "AB0000001"
    assert rejected.field == "line 1 description"
    assert "cannot be written in utf-8" in rejected.message
    assert posted == Posted("AB0000002", f"{FILE_NAME}#AB0000002")
    assert [entry["number"] for entry in read_document(tmp_path / FILE_NAME)["vouchers"]] == ["AB0000002"]


def test_other_currency_rejected(tmp_path):
    voucher = toner_voucher()
    in_euro = Voucher("AB0000003", voucher.date, voucher.description, voucher.reference, voucher.lines,
                      currency="EUR")

    outcomes = JsonExporter(tmp_path, clock=fixed_clock).post([in_euro])

    assert outcomes == [Rejected("AB0000003", "voucher AB0000003 is in EUR, but the export currency "
                                              "(export.currency) is NOK; set export.currency to EUR to export it",
                                 field="currency")]
    assert list(tmp_path.glob("vouchers-*")) == []


def test_retry_skips_exported_voucher(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    outcomes = JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher(), refund_voucher()])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001"),
                        Posted("AB0000002", "vouchers-20260331-164512-2.json#AB0000002")]
    second = read_document(tmp_path / "vouchers-20260331-164512-2.json")
    assert [entry["number"] for entry in second["vouchers"]] == ["AB0000002"]


def test_other_lines_raise(tmp_path):
    JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    with pytest.raises(ExportError) as caught:
        JsonExporter(tmp_path, clock=fixed_clock).post([refund_voucher("AB0000001")])

    assert "AB0000001" in str(caught.value)
    assert "export_dir" in str(caught.value)
    assert [path.name for path in tmp_path.glob("vouchers-*")] == [FILE_NAME]


def test_csv_files_not_read(tmp_path):
    (tmp_path / "vouchers-20260101-080000.csv").write_text("not json", encoding="utf-8")

    outcomes = JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert outcomes == [Posted("AB0000001", f"{FILE_NAME}#AB0000001")]


@pytest.mark.parametrize("content, reason", [
    ("{not json", "Expecting property name"),
    ('{"format": "other", "version": 1, "vouchers": []}', '"format"'),
    ('{"format": "allocbot-vouchers", "version": 2, "vouchers": []}', '"version"'),
])
def test_foreign_file_raises(tmp_path, content, reason):
    (tmp_path / "vouchers-foreign.json").write_text(content, encoding="utf-8")

    with pytest.raises(ExportError) as caught:
        JsonExporter(tmp_path, clock=fixed_clock).post([toner_voucher()])

    assert "vouchers-foreign.json" in str(caught.value)
    assert reason in str(caught.value)


def test_find_names_earlier_file(tmp_path):
    exporter = JsonExporter(tmp_path, clock=fixed_clock)
    exporter.post([toner_voucher()])

    assert exporter.find(["AB0000001", "AB0000002"]) == {"AB0000001": f"{FILE_NAME}#AB0000001"}


def test_from_settings(tmp_path):
    settings = Settings(export=ExportSettings(connector="json", export_dir=tmp_path).model_copy(update={"currency": "SEK"}))

    exporter = JsonExporter.from_settings(settings)

    assert exporter.name == "json"
    assert exporter.directory == tmp_path
    assert exporter.currency == "SEK"
