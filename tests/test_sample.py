"""Tests for the sample company generator (bot.sample)."""

from __future__ import annotations

import base64
import csv
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import mailparser
import pdfplumber
import pytest

from bot.masterdata import Employee, load_master_data
from bot.sample import SampleFiles, catalog, generate, sites
from bot.sample.chart import ACCOUNTS
from bot.sample.purchases import Purchase, PurchaseLine
from bot.sample.rules import LineFacts, allocate

# The Amazon Business "Orders and shipments" item report's columns, in order.
AMAZON_COLUMNS = [
    "Order Date", "Order ID", "Account Group", "PO Number", "Order Quantity", "Currency", "Order Subtotal",
    "Order Shipping & Handling", "Order Promotion", "Order Tax", "Order Net Total", "Order Status", "Approver",
    "Account User", "Account User Email", "Invoice Status", "Total Amount", "Invoice Due Amount",
    "Invoice Issue Date", "Invoice Due Date", "Payment Reference ID", "Payment Date", "Payment Amount",
    "Payment Instrument Type", "Payment Identifier", "Shipment Date", "Shipment Status", "Carrier Tracking #",
    "Shipment Quantity", "Shipping Address", "Shipment Subtotal", "Shipment Shipping & Handling",
    "Shipment Promotion", "Shipment Tax", "Shipment Net Total", "Carrier Name", "Product Category", "ASIN",
    "Title", "UNSPSC", "Brand Code", "Brand", "Manufacturer", "National Stock Number", "Item model number",
    "Part number", "Product Condition", "Company Compliance", "Listed PPU", "Purchase PPU", "Item Quantity",
    "Item Subtotal", "Item Shipping & Handling", "Item Promotion", "Item Tax", "Item Net Total",
    "PO Line Item Id", "Tax Exemption Applied", "Tax Exemption Type", "Tax Exemption Opt Out",
    "Discount Program", "Pricing Discount applied ($ off)", "Pricing Discount applied (% off)", "GL Code",
    "Department", "Cost Center", "Project Code", "Location", "Custom Field 1", "Seller Name",
    "Seller Credentials", "Seller Address",
]
ALLOCATION_COLUMNS = ("GL Code", "Cost Center", "Project Code", "Tax Code")

NORWEGIAN_AMOUNT = r"-?\d{1,3}(?: \d{3})*,\d{2}"
# The description is matched lazily so that "2 414,82" stays one amount.
PDF_ROW = re.compile(rf"^(\d{{2}}\.\d{{2}}\.\d{{4}}) (.+?) ({NORWEGIAN_AMOUNT})$")
PDF_SUM = re.compile(rf"^Sum kjøp i perioden ({NORWEGIAN_AMOUNT})$")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return generate(tmp_path_factory.mktemp("sample"))


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_statement(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="cp1252", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def all_files(files: SampleFiles) -> list[Path]:
    return [files.master_data, *files.history, files.month_report, files.month_report_labeled, files.truth,
            files.statement_csv, files.statement_pdf, files.eml]


def us_date(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def norwegian_decimal(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace(",", "."))


def test_generate_same_seed_byte_identical(sample: SampleFiles, tmp_path: Path) -> None:
    again = generate(tmp_path / "again")

    for first, second in zip(all_files(sample), all_files(again), strict=True):
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes(), first.name


def test_generate_other_seed_differs(sample: SampleFiles, tmp_path: Path) -> None:
    other = generate(tmp_path / "other", seed=7)

    assert other.month_report.read_bytes() != sample.month_report.read_bytes()


def test_master_data_loads(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)

    assert 55 <= len(master.employees) <= 65
    assert {employee.role for employee in master.employees.values()} == {
        "employee", "manager", "project_lead", "controller", "field_technician"}
    assert [employee.name for employee in master.employees.values() if employee.manager is None] == ["Erik Solberg"]
    assert master.employee("ingrid.bakken@nordlys-teknikk.no").role == "controller"
    assert 6 <= len(master.cost_centers) <= 8
    assert all(center.description for center in master.cost_centers.values())


def test_master_data_projects_events_places(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)

    assert len(master.projects) >= 5
    for project in master.projects.values():
        assert master.employee(project.lead).role == "project_lead", project.code
        assert project.cost_center, project.code
        assert project.sites, project.code
        assert project.customer, project.code
    elmia = next(event for event in master.events if event.name == "Elmia Subcontractor")
    assert (elmia.start, elmia.end, elmia.cost_center) == (date(2026, 11, 10), date(2026, 11, 13), "300")
    assert "Jönköping" in elmia.location
    assert any(event.project for event in master.events)
    kinds = {location.kind for location in master.locations}
    assert {"office", "warehouse", "customer", "event"} <= kinds


def test_master_data_accounts_and_vat_codes(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)

    assert {"0", "1", "11", "14", "81", "86"} <= set(master.tax_codes)
    expected = {"6551": "14", "6540": "14", "6560": "14", "6800": "14", "6510": "14", "6575": "14",
                "7323": "14", "7350": "0", "7360": "0", "7420": "0", "7430": "0", "4000": "14",
                "6590": "14", "6552": "86", "1250": "14"}
    for number, tax_code in expected.items():
        assert master.accounts[number].default_tax_code == tax_code, number


def test_report_header_unlabeled(sample: SampleFiles) -> None:
    raw = sample.month_report.read_bytes()

    assert raw.startswith(b'\xef\xbb\xbf"Order Date","Order ID",')
    assert b"\r\n" in raw
    with sample.month_report.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle)) == AMAZON_COLUMNS


def test_report_header_labeled(sample: SampleFiles) -> None:
    for path in (*sample.history, sample.month_report_labeled):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            assert next(csv.reader(handle)) == AMAZON_COLUMNS + ["Tax Code"], path.name


def test_report_fields_quoted_and_wrapped(sample: SampleFiles) -> None:
    first_row = sample.month_report.read_bytes().decode("utf-8-sig").split("\r\n")[1]
    row = read_report(sample.month_report)[0]

    assert first_row.startswith('"')
    assert first_row.endswith('"')
    assert row["Payment Identifier"] == '="4821"'
    assert re.fullmatch(r'="\d{8}"', row["UNSPSC"])
    assert row["Item model number"].startswith('="')
    assert row["Invoice Status"] == "N/A"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["Order Date"])
    assert re.fullmatch(r"[A-Za-z0-9]{20}", row["Payment Reference ID"])
    assert re.fullmatch(r"B0[A-Z0-9]{8}", row["ASIN"])


def test_history_covers_june_to_october(sample: SampleFiles) -> None:
    months = []
    total = 0
    for path in sample.history:
        rows = read_report(path)
        total += len(rows)
        months.append({(us_date(row["Order Date"]).year, us_date(row["Order Date"]).month) for row in rows})
        assert 180 <= len(rows) <= 330, path.name

    assert months == [{(2026, month)} for month in (6, 7, 8, 9, 10)]
    assert 1150 <= total + len(read_report(sample.month_report)) <= 1800


def test_history_fully_labeled(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)
    for path in sample.history:
        for row in read_report(path):
            assert row["Cost Center"] in master.cost_centers
            assert row["GL Code"] in master.accounts
            assert row["Tax Code"] in master.tax_codes
            assert row["Project Code"] == "" or row["Project Code"] in master.projects
            assert master.employee(row["Account User Email"]) is not None


def test_history_inconsistency_small_share(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)
    rows = [row for path in sample.history for row in read_report(path)]

    off_default = [row for row in rows if row["Tax Code"] != master.accounts[row["GL Code"]].default_tax_code]
    imports_81 = [row for row in rows if row["Tax Code"] == "81"]

    assert 0 < len(imports_81) < 0.03 * len(rows)
    assert len(off_default) < 0.1 * len(rows)


def test_november_shipments_sum_to_payment(sample: SampleFiles) -> None:
    shipments: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_report(sample.month_report):
        shipments[row["Payment Reference ID"]].append(row)

    assert len(shipments) > 100
    for reference, rows in shipments.items():
        items = sum(Decimal(row["Item Net Total"]) for row in rows)
        assert {row["Payment Amount"] for row in rows} == {str(items)}, reference
        assert {row["Shipment Net Total"] for row in rows} == {str(items)}, reference


def test_orders_with_two_shipments_exist(sample: SampleFiles) -> None:
    references_per_order: dict[str, set[str]] = defaultdict(set)
    for row in read_report(sample.month_report):
        references_per_order[row["Order ID"]].add(row["Payment Reference ID"])

    assert any(len(references) == 2 for references in references_per_order.values())


def test_shipment_never_repeats_asin(sample: SampleFiles) -> None:
    for path in (*sample.history, sample.month_report):
        keys = [(row["Order ID"], row["Payment Reference ID"], row["ASIN"]) for row in read_report(path)]
        assert len(keys) == len(set(keys)), path.name


def test_month_report_unlabeled_same_rows(sample: SampleFiles) -> None:
    unlabeled = read_report(sample.month_report)
    labeled = read_report(sample.month_report_labeled)

    assert len(unlabeled) == len(labeled)
    for plain, filled in zip(unlabeled, labeled):
        assert all(plain[column] == "" for column in ("GL Code", "Cost Center", "Project Code"))
        assert filled["GL Code"]
        assert filled["Cost Center"]
        assert filled["Tax Code"]
        assert {key: value for key, value in plain.items() if key not in ALLOCATION_COLUMNS} == {
            key: value for key, value in filled.items() if key not in ALLOCATION_COLUMNS}


def test_month_report_po_numbers_are_projects(sample: SampleFiles) -> None:
    master = load_master_data(sample.master_data)
    typed = [row["PO Number"] for row in read_report(sample.month_report) if row["PO Number"]]

    assert typed
    assert set(typed) <= set(master.projects)


def test_truth_matches_labeled_report(sample: SampleFiles) -> None:
    with sample.truth.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["Order ID", "Payment Reference ID", "ASIN", "Cost Center", "Project Code",
                                     "GL Code", "Tax Code"]
        truth = list(reader)
    labeled = read_report(sample.month_report_labeled)

    assert len(truth) == len(labeled)
    for expected, row in zip(truth, labeled):
        assert expected == {column: row[column] for column in expected}


def test_same_asin_allocated_by_context(sample: SampleFiles) -> None:
    cost_centers: dict[str, set[str]] = defaultdict(set)
    accounts: dict[str, set[str]] = defaultdict(set)
    for path in sample.history:
        for row in read_report(path):
            cost_centers[row["ASIN"]].add(row["Cost Center"])
            accounts[row["ASIN"]].add(row["GL Code"])
    power_bank = next(product.asin for product in catalog.PRODUCTS if product.title.startswith("Anker PowerCore"))

    assert sum(len(centers) > 1 for centers in cost_centers.values()) >= 20
    assert {"6551", "7323"} <= accounts[power_bank]


def test_statement_csv_layout(sample: SampleFiles) -> None:
    raw = sample.statement_csv.read_bytes()
    rows = read_statement(sample.statement_csv)

    assert raw.startswith('"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n'.encode("cp1252"))
    assert rows[0]["Beløpet gjelder"] == "Skyldig beløp fra forrige faktura"
    assert rows[0]["Ut"]
    assert rows[1]["Beløpet gjelder"] == "Innbetaling"
    assert rows[1]["Inn"]
    for row in rows:
        assert re.fullmatch(r"\d{2}\.\d{2}\.2026", row["Dato"])
        assert re.fullmatch(r"\d+,\d{2}", row["Inn"] or row["Ut"]), row


def test_statement_csv_conversion(sample: SampleFiles) -> None:
    rates = {"EUR": (Decimal("11.5"), Decimal("11.9")), "SEK": (Decimal("1.0"), Decimal("1.1"))}
    converted = [row for row in read_statement(sample.statement_csv) if row["Valuta"]]

    assert converted
    for row in converted:
        amount, currency = row["Valuta"].split(" ")
        rate = norwegian_decimal(row["Kurs"])
        expected = (norwegian_decimal(amount) * rate).quantize(Decimal("0.01"))
        assert abs(norwegian_decimal(row["Ut"]) - expected) <= Decimal("0.01"), row
        if currency in rates:
            lowest, highest = rates[currency]
            assert lowest <= rate <= highest, row


def test_statement_gaps_for_reconciliation(sample: SampleFiles) -> None:
    statement = read_statement(sample.statement_csv)
    november = read_report(sample.month_report)
    amazon = [row for row in statement if row["Beløpet gjelder"].startswith(("AMAZON", "AMZN"))]
    charged_later = {
        row["Payment Reference ID"] for row in november if us_date(row["Payment Date"]) > date(2026, 11, 30)
    }
    charged_now = {row["Payment Reference ID"] for row in november} - charged_later
    other = [row for row in statement[2:] if row not in amazon]

    assert 1 <= len(charged_later) <= 2
    assert len(amazon) == len(charged_now) + 1
    assert other


def test_statement_pdf_sum_equals_rows(sample: SampleFiles) -> None:
    rows = []
    stated = None
    with pdfplumber.open(sample.statement_pdf) as pdf:
        pages = [page.extract_text() for page in pdf.pages]
    for number, text in enumerate(pages, start=1):
        page_rows = [match for line in text.splitlines() if (match := PDF_ROW.match(line))]
        if page_rows:
            assert "Dato Beløpet gjelder Valuta Kurs Beløp" in text, f"page {number}"
        rows.extend(norwegian_decimal(match.group(3)) for match in page_rows)
        for line in text.splitlines():
            if match := PDF_SUM.match(line):
                stated = norwegian_decimal(match.group(1))

    assert len(pages) >= 2
    assert pages[0].splitlines()[:3] == ["Kontoutskrift bedriftskort", "Kortnummer **** **** **** 4821",
                                         "Periode 01.11.2026 - 30.11.2026"]
    assert stated == sum(amount for amount in rows if amount > 0)
    assert any(amount < 0 for amount in rows)
    assert len(rows) == len(read_statement(sample.statement_csv)) - 2


def test_eml_carries_three_attachments(sample: SampleFiles) -> None:
    mail = mailparser.parse_from_file(str(sample.eml))
    attachments = {item["filename"]: item for item in mail.attachments if item["binary"]}

    assert mail.subject == "Fwd: Kortutskrift og Amazon-rapport november 2026"
    assert mail.from_ == [("Ingrid Bakken", "ingrid.bakken@nordlys-teknikk.no")]
    assert mail.to == [("", "bilag@nordlys-teknikk.no")]
    assert len(attachments) == 3
    assert any(name.endswith(".csv") and name.startswith("orders_") for name in attachments)
    assert sample.statement_csv.name in attachments
    assert sample.statement_pdf.name in attachments


def test_eml_attachments_are_the_files(sample: SampleFiles) -> None:
    mail = mailparser.parse_from_file(str(sample.eml))
    payloads = {item["filename"]: base64.b64decode(item["payload"]) for item in mail.attachments if item["binary"]}
    report = next(payload for name, payload in payloads.items() if name.startswith("orders_"))

    assert report == sample.month_report.read_bytes()
    assert payloads[sample.statement_csv.name] == sample.statement_csv.read_bytes()
    assert payloads[sample.statement_pdf.name] == sample.statement_pdf.read_bytes()


def _facts(use: str, unit_price: str, line_total: str, event: sites.EventSpec | None = None,
           cost_center: str = "200") -> LineFacts:
    requester = Employee("ola.hansen@nordlys-teknikk.no", "Ola Hansen", cost_center)
    product = next(product for product in catalog.PRODUCTS if product.kind == use)
    line = PurchaseLine(product, 1, use)
    purchase = Purchase(date(2026, 11, 20), requester, "de", sites.OFFICE, (line,), event=event)
    return LineFacts(purchase, line, Decimal(unit_price), Decimal(line_total))


def test_rules_gift_limit() -> None:
    accounts = {account.number: account for account in ACCOUNTS}

    assert allocate(_facts(catalog.GIFT, "317.00", "3170.00"), accounts).account == "7420"
    assert allocate(_facts(catalog.GIFT, "317.01", "317.01"), accounts).account == "7430"
    assert allocate(_facts(catalog.GIFT, "150.00", "150.00"), accounts).tax_code == "0"


def test_rules_capitalise_furniture() -> None:
    accounts = {account.number: account for account in ACCOUNTS}

    assert allocate(_facts(catalog.FURNITURE, "7000", "30000.00"), accounts).account == "1250"
    assert allocate(_facts(catalog.FURNITURE, "7000", "29999.99"), accounts).account == "6540"


def test_rules_event_catering() -> None:
    accounts = {account.number: account for account in ACCOUNTS}
    elmia = next(event for event in sites.EVENTS if event.name == "Elmia Subcontractor")
    julebord = next(event for event in sites.EVENTS if event.name == "Julebord")

    fair = allocate(_facts(catalog.CATERING, "200", "400", event=elmia), accounts)
    staff = allocate(_facts(catalog.CATERING, "200", "400", event=julebord), accounts)
    office = allocate(_facts(catalog.CATERING, "200", "400"), accounts)

    assert (fair.cost_center, fair.account, fair.tax_code) == ("300", "7350", "0")
    assert (staff.cost_center, staff.account, staff.tax_code) == ("100", "5990", "0")
    assert (office.cost_center, office.account, office.tax_code) == ("200", "5990", "15")
