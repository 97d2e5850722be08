"""Tests for the second sample company generator (bot.sample.second)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.documents import parse_document
from bot.masterdata import Employee, MasterData, load_master_data
from bot.records import ReportItem
from bot.sample.purchases import Purchase, PurchaseLine
from bot.sample.rules import LineFacts
from bot.sample.second import SecondCompanyFiles, catalog, generate_second, sites
from bot.sample.second.chart import ACCOUNTS
from bot.sample.second.generator import month_targets, plan_months
from bot.sample.second.rules import allocate

# Six months, April to September 2026: the reorganisation, the new
# packaging line, all three projects and the trade fair fall in it.
ITEMS = 1500
REORGANISED_ON = date(2026, 7, 1)
NEW_PRODUCTS_FROM = date(2026, 8, 1)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> SecondCompanyFiles:
    return generate_second(tmp_path_factory.mktemp("second"), items=ITEMS)


@pytest.fixture(scope="module")
def items(company: SecondCompanyFiles) -> list[ReportItem]:
    parsed = parse_document(company.report)
    assert isinstance(parsed, list)
    return parsed


@pytest.fixture(scope="module")
def master(company: SecondCompanyFiles) -> MasterData:
    return load_master_data(company.master_data)


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_generate_same_seed_byte_identical(company: SecondCompanyFiles, tmp_path: Path) -> None:
    again = generate_second(tmp_path, items=ITEMS)

    assert again.report.name == company.report.name
    assert again.master_data.read_bytes() == company.master_data.read_bytes()
    assert again.report.read_bytes() == company.report.read_bytes()


def test_generate_other_seed_differs(company: SecondCompanyFiles, tmp_path: Path) -> None:
    other = generate_second(tmp_path, seed=8, items=ITEMS)

    assert other.report.read_bytes() != company.report.read_bytes()


def test_report_parses_every_row_labeled(company: SecondCompanyFiles, items: list[ReportItem]) -> None:
    assert len(items) == company.items
    assert all(item.labels is not None for item in items)
    assert {row["Account Group"] for row in read_report(company.report)} == {"Havrekorn Bakeri AS"}


def test_report_codes_in_master_data(items: list[ReportItem], master: MasterData) -> None:
    for item in items:
        labels = item.labels
        assert labels.cost_center in master.cost_centers, item.key
        assert labels.account in master.accounts, item.key
        assert labels.tax_code in master.tax_codes, item.key
        assert labels.project is None or labels.project in master.projects, item.key
        assert master.employee(item.account_user_email) is not None, item.key


def test_master_data_shape(master: MasterData) -> None:
    roles = Counter(employee.role for employee in master.employees.values())

    assert 120 <= len(master.employees) <= 200
    assert 9 <= len(master.cost_centers) <= 12
    assert set(roles) == {"employee", "manager", "project_lead", "controller"}
    assert [employee.name for employee in master.employees.values() if employee.manager is None] == ["Astrid Midtbø"]
    assert len(master.projects) == 3
    for project in master.projects.values():
        assert master.employee(project.lead).role == "project_lead", project.code
        assert project.sites, project.code


def test_master_data_accounts(master: MasterData) -> None:
    expected = {"1250": "14", "6540": "14", "6551": "14", "6560": "14", "6590": "14", "6800": "14",
                "6860": "14", "4600": "14", "4030": "15", "7350": "0", "7420": "0", "7430": "0", "6552": "86"}

    for number, tax_code in expected.items():
        assert master.accounts[number].default_tax_code == tax_code, number


def test_master_data_events_with_venues(master: MasterData) -> None:
    fair = next(event for event in master.events if event.name == "Vestlandsk Matmesse 2026")
    opening = next(event for event in master.events if event.name == "Åpning Butikk Straume")

    assert (fair.start, fair.end, fair.cost_center) == (date(2026, 9, 22), date(2026, 9, 24), "1200")
    assert "Stavanger" in fair.location
    assert opening.project == "BU-2602"
    assert opening.location in master.projects["BU-2602"].sites
    assert {"office", "warehouse", "customer", "event"} <= {location.kind for location in master.locations}


def test_master_data_after_reorganisation(master: MasterData) -> None:
    closed = master.cost_centers["2000"]
    centers = Counter(employee.cost_center for employee in master.employees.values())

    assert "30.06.2026" in closed.description
    assert "2000" not in centers
    assert centers["2100"] > 0
    assert centers["2200"] > 0


def test_reorganisation_old_code_only_before_july(items: list[ReportItem]) -> None:
    before = Counter(item.labels.cost_center for item in items if item.order_date < REORGANISED_ON)
    after = Counter(item.labels.cost_center for item in items if item.order_date >= REORGANISED_ON)

    assert before["2000"] > 50
    assert before["2100"] == 0
    assert before["2200"] == 0
    assert after["2000"] == 0
    assert after["2100"] > 50
    assert after["2200"] > 20


def test_production_staff_follow_reorganisation(items: list[ReportItem], master: MasterData) -> None:
    own = [item for item in items
           if master.employee(item.account_user_email).cost_center in ("2100", "2200")]
    before = [item for item in own if item.order_date < REORGANISED_ON]
    after = [item for item in own if item.order_date >= REORGANISED_ON]
    before_on_old = sum(item.labels.cost_center == "2000" for item in before)
    after_on_own = sum(item.labels.cost_center == master.employee(item.account_user_email).cost_center
                       for item in after)

    assert before_on_old >= 0.9 * len(before)
    assert after_on_own >= 0.9 * len(after)


def test_new_products_only_from_august(items: list[ReportItem]) -> None:
    new = [item for item in items if item.asin in catalog.NEW_ASINS]

    assert len(new) >= 10
    assert min(item.order_date for item in new) >= NEW_PRODUCTS_FROM
    assert {item.labels.account for item in new} <= {"4600", "6590", "6560", "6540", "6551"}


def test_typed_project_code_labels_project(items: list[ReportItem]) -> None:
    typed = [item for item in items if item.po_number]
    on_project = sum(item.labels.project == item.po_number for item in typed)

    assert len(typed) >= 10
    assert on_project >= 0.9 * len(typed)


def test_same_asin_allocated_by_context(items: list[ReportItem]) -> None:
    cost_centers: dict[str, set[str]] = {}
    for item in items:
        cost_centers.setdefault(item.asin, set()).add(item.labels.cost_center)

    assert sum(len(centers) > 1 for centers in cost_centers.values()) >= 20


def test_inconsistency_small_share(items: list[ReportItem], master: MasterData) -> None:
    off_default = [item for item in items
                   if item.labels.tax_code != master.accounts[item.labels.account].default_tax_code]
    imports_81 = [item for item in items if item.labels.tax_code == "81"]

    assert 0 < len(imports_81) < 0.03 * len(items)
    assert len(off_default) < 0.1 * len(items)


@pytest.mark.parametrize("requested", [300, 2200])
def test_items_roughly_respected(requested: int, tmp_path: Path) -> None:
    files = generate_second(tmp_path, items=requested)

    assert abs(files.items - requested) <= 0.1 * requested
    assert len(read_report(files.report)) == files.items


def test_plan_months_centred_on_reorganisation() -> None:
    default = plan_months(3000)
    large = plan_months(10000)

    assert default == [(2026, month) for month in range(1, 13)]
    assert len(large) == 40
    assert (2026, 6) in large
    assert (2026, 8) in large
    assert plan_months(10) == [(2026, 6), (2026, 7), (2026, 8)]


def test_month_targets_add_up() -> None:
    months = plan_months(3000)
    targets = month_targets(months, 3001)

    assert sum(targets) == 3001
    assert targets[6] < targets[5]


def _facts(use: str, line_total: str, *, cost_center: str = "2100", day: date = date(2026, 9, 1),
           event: sites.EventSpec | None = None, unit_price: str = "100") -> LineFacts:
    requester = Employee("ola.hansen@havrekorn.no", "Ola Hansen", cost_center)
    product = next(product for product in catalog.PRODUCTS if product.kind == use)
    line = PurchaseLine(product, 1, use)
    purchase = Purchase(day, requester, "de", sites.HEAD_OFFICE, (line,), event=event)
    return LineFacts(purchase, line, Decimal(unit_price), Decimal(line_total))


def test_rules_cost_center_by_date() -> None:
    accounts = {account.number: account for account in ACCOUNTS}

    assert allocate(_facts(catalog.BAKEWARE, "100", day=date(2026, 6, 30)), accounts).cost_center == "2000"
    assert allocate(_facts(catalog.BAKEWARE, "100", day=date(2026, 7, 1)), accounts).cost_center == "2100"
    assert allocate(_facts(catalog.PACKAGING, "100", cost_center="2200"), accounts).cost_center == "2200"
    assert allocate(_facts(catalog.OFFICE, "100", cost_center="1100", day=date(2026, 6, 1)),
                    accounts).cost_center == "1100"


def test_rules_capitalise_equipment() -> None:
    accounts = {account.number: account for account in ACCOUNTS}

    assert allocate(_facts(catalog.EQUIPMENT, "30000.00"), accounts).account == "1250"
    assert allocate(_facts(catalog.EQUIPMENT, "29999.99"), accounts).account == "6540"


def test_rules_catering_by_event() -> None:
    accounts = {account.number: account for account in ACCOUNTS}
    events = sites.events_in_years(2026, 2026)
    meeting = next(event for event in events if event.name == "Salgskonferanse 2026")
    opening = next(event for event in events if event.name == "Åpning Butikk Fjøsanger")

    at_meeting = allocate(_facts(catalog.CATERING, "400", event=meeting), accounts)
    at_opening = allocate(_facts(catalog.CATERING, "400", event=opening), accounts)
    canteen = allocate(_facts(catalog.CATERING, "400"), accounts)

    assert (at_meeting.cost_center, at_meeting.account, at_meeting.tax_code) == ("1100", "6860", "0")
    assert (at_opening.cost_center, at_opening.project, at_opening.account) == ("4000", "BU-2601", "7350")
    assert (canteen.cost_center, canteen.account, canteen.tax_code) == ("2100", "5910", "15")
