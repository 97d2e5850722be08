"""Master data: cost centers, projects, accounts, VAT codes, people, events, places.

The TOML keys are fixed because companies keep these files for years. The
loader checks every reference (a project's cost center, an employee's
manager, an event's project) and reports the file, the table entry and the
key that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.errors import InputError
from bot.i18n import N_
from bot.records import Allocation
from bot.tomlfile import read_toml

ROLES = ("employee", "manager", "project_lead", "controller", "field_technician")
LOCATION_KINDS = ("office", "warehouse", "customer", "event")

# An unknown key is most likely a typo that would silently drop data, so
# each table accepts only these keys.
TABLE_KEYS = {
    "cost_centers": {"code", "name", "description", "start", "end"},
    "projects": {"code", "name", "lead", "cost_center", "customer", "sites", "start", "end"},
    "accounts": {"number", "name", "description", "default_tax_code"},
    "tax_codes": {"code", "name", "rate"},
    "employees": {"email", "name", "cost_center", "role", "manager"},
    "events": {"name", "start", "end", "location", "cost_center", "project"},
    "locations": {"label", "address", "kind", "project"},
}

# Errors name an entry like "[[employees]] per.olsen@example.no" or "[[cost_centers]] #3", then its key.
KEY_LOCATION = N_("{entry}, key {key}")


@dataclass(frozen=True)
class CostCenter:
    """A cost center; ``start`` and ``end`` bound it when a reorganisation opened or closed it."""

    code: str
    name: str
    description: str = ""
    start: date | None = None
    end: date | None = None

    def active_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    lead: str
    cost_center: str | None = None
    customer: str | None = None
    sites: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Account:
    number: str
    name: str
    default_tax_code: str | None = None
    description: str = ""


@dataclass(frozen=True)
class TaxCode:
    code: str
    name: str
    rate: Decimal


@dataclass(frozen=True)
class Employee:
    email: str
    name: str
    cost_center: str
    role: str = "employee"
    manager: str | None = None


@dataclass(frozen=True)
class Event:
    name: str
    start: date
    end: date
    location: str
    cost_center: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class Location:
    label: str
    address: str
    kind: str
    project: str | None = None


@dataclass(frozen=True)
class MasterData:
    cost_centers: dict[str, CostCenter] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    tax_codes: dict[str, TaxCode] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    locations: tuple[Location, ...] = ()

    def employee(self, email: str | None) -> Employee | None:
        """Look an employee up by email, ignoring case."""
        if not email:
            return None
        return self.employees.get(email.strip().lower())

    def with_default_tax_code(self, allocation: Allocation) -> Allocation:
        """Fill an empty VAT code from the account's default; it stays empty when the account has none."""
        if allocation.tax_code:
            return allocation
        account = self.accounts.get(allocation.account)
        default = account.default_tax_code if account and account.default_tax_code else ""
        return replace(allocation, tax_code=default)

    def projects_led_by(self, email: str) -> list[Project]:
        return [p for p in self.projects.values() if p.lead == email.lower()]


def load_master_data(path: Path) -> MasterData:
    """Read and check a master data TOML file; raise InputError naming the fault."""
    raw = read_toml(path, InputError, unreadable_fix=N_("check the path of the master data file"))
    data = parse_master_data(raw, path)
    for table, entries in (("cost_centers", data.cost_centers), ("accounts", data.accounts),
                           ("tax_codes", data.tax_codes)):
        if not entries:
            # Without these nothing can be booked; an empty table is a file that was not filled in.
            raise InputError(path, N_("the table [[{table}]] is empty or missing"),
                             fix=N_("add at least one entry to [[{table}]]"), table=table)
    return data


def parse_master_data(raw: dict[str, Any], path: Path) -> MasterData:
    """Build MasterData from parsed TOML, checking codes and references."""
    reader = _TableReader(path)
    unknown = sorted(set(raw) - set(TABLE_KEYS))
    if unknown:
        # A misspelled table such as [[location]] would otherwise drop its entries without a word.
        raise InputError(path, N_("unknown table {value}"), location=N_("key {key}"), fix=N_("use one of {allowed}"),
                         key=unknown[0], value=repr(unknown[0]), allowed=", ".join(TABLE_KEYS))

    cost_centers = reader.unique(
        "cost_centers", "code",
        lambda e: CostCenter(e.text("code"), e.text("name"), e.optional_text("description") or "",
                             e.optional_date("start"), e.optional_date("end")),
        raw,
    )
    tax_codes = reader.unique(
        "tax_codes", "code",
        lambda e: TaxCode(e.text("code"), e.text("name"), e.decimal("rate")),
        raw,
    )
    accounts = reader.unique(
        "accounts", "number",
        lambda e: Account(e.text("number"), e.text("name"), e.optional_text("default_tax_code"),
                          e.optional_text("description") or ""),
        raw,
    )
    employees = reader.unique(
        "employees", "email",
        lambda e: Employee(
            e.text("email").lower(), e.text("name"), e.text("cost_center"),
            e.choice("role", ROLES, "employee"),
            (e.optional_text("manager") or "").lower() or None,
        ),
        raw,
    )
    projects = reader.unique(
        "projects", "code",
        lambda e: Project(
            e.text("code"), e.text("name"), e.text("lead").lower(),
            e.optional_text("cost_center"), e.optional_text("customer"),
            tuple(e.text_list("sites")), e.optional_date("start"), e.optional_date("end"),
        ),
        raw,
    )
    events = tuple(
        Event(
            e.text("name"), e.date("start"), e.date("end"), e.text("location"),
            e.optional_text("cost_center"), e.optional_text("project"),
        )
        for e in reader.entries("events", raw)
    )
    locations = tuple(
        Location(e.text("label"), e.text("address"), e.choice("kind", LOCATION_KINDS), e.optional_text("project"))
        for e in reader.entries("locations", raw)
    )

    data = MasterData(cost_centers, projects, accounts, tax_codes, employees, events, locations)
    _check_references(data, path)
    return data


def _check_references(data: MasterData, path: Path) -> None:
    def fail(entry: str, key: str, message: str, fix: str, value: str | None = None) -> None:
        raise InputError(path, message, location=KEY_LOCATION, fix=fix, entry=entry, key=key, value=repr(value))

    for account in data.accounts.values():
        if account.default_tax_code and account.default_tax_code not in data.tax_codes:
            fail(f"[[accounts]] {account.number}", "default_tax_code", N_("unknown VAT code {value}"),
                 N_("add it to [[tax_codes]] or correct the code"), account.default_tax_code)
    for emp in data.employees.values():
        if emp.cost_center not in data.cost_centers:
            fail(f"[[employees]] {emp.email}", "cost_center", N_("unknown cost center {value}"),
                 N_("add it to [[cost_centers]] or correct the code"), emp.cost_center)
        if emp.manager and emp.manager not in data.employees:
            fail(f"[[employees]] {emp.email}", "manager", N_("manager {value} is not an employee"),
                 N_("add the manager to [[employees]] or remove the key"), emp.manager)
        if emp.manager == emp.email:
            fail(f"[[employees]] {emp.email}", "manager", N_("an employee cannot be their own manager"),
                 N_("name another manager"))
    for project in data.projects.values():
        if project.lead not in data.employees:
            fail(f"[[projects]] {project.code}", "lead", N_("project lead {value} is not an employee"),
                 N_("add the lead to [[employees]]"), project.lead)
        if project.cost_center and project.cost_center not in data.cost_centers:
            fail(f"[[projects]] {project.code}", "cost_center", N_("unknown cost center {value}"),
                 N_("add it to [[cost_centers]] or correct the code"), project.cost_center)
        if project.start and project.end and project.end < project.start:
            fail(f"[[projects]] {project.code}", "end", N_("the project ends before it starts"),
                 N_("correct start or end"))
    for center in data.cost_centers.values():
        if center.start and center.end and center.end < center.start:
            fail(f"[[cost_centers]] {center.code}", "end", N_("the cost center closes before it opens"),
                 N_("correct start or end"))
    for event in data.events:
        if event.end < event.start:
            fail(f"[[events]] {event.name}", "end", N_("the event ends before it starts"), N_("correct start or end"))
        if event.cost_center and event.cost_center not in data.cost_centers:
            fail(f"[[events]] {event.name}", "cost_center", N_("unknown cost center {value}"),
                 N_("add it to [[cost_centers]] or correct the code"), event.cost_center)
        if event.project and event.project not in data.projects:
            fail(f"[[events]] {event.name}", "project", N_("unknown project {value}"),
                 N_("add it to [[projects]]"), event.project)
    for location in data.locations:
        if location.project and location.project not in data.projects:
            fail(f"[[locations]] {location.label}", "project", N_("unknown project {value}"),
                 N_("add it to [[projects]]"), location.project)


class _Entry:
    """One table entry, with typed getters that raise InputError naming the key."""

    def __init__(self, path: Path, where: str, values: dict[str, Any]):
        self.path = path
        self.where = where
        self.values = values

    def _fail(self, key: str, message: str, fix: str, **params: object) -> InputError:
        return InputError(self.path, message, location=KEY_LOCATION, fix=fix, entry=self.where, key=key, **params)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.values.get(key, default)
        if value is None:
            raise self._fail(key, N_("missing key"), N_('add {key} = "..."'))
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
            raise self._fail(key, N_("invalid value {value}"), N_("expected a non-empty string"), value=repr(value))
        return str(value).strip()

    def optional_text(self, key: str) -> str | None:
        return self.text(key) if key in self.values else None

    def text_list(self, key: str) -> list[str]:
        value = self.values.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, N_("invalid value {value}"), N_("expected a list of strings"), value=repr(value))
        return value

    def decimal(self, key: str) -> Decimal:
        value = self.values.get(key)
        if value is None:
            raise self._fail(key, N_("missing key"), N_("add {key} = <number>"))
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise self._fail(key, N_("invalid value {value}"), N_("expected a number"), value=repr(value)) from None

    def date(self, key: str) -> date:
        value = self.values.get(key)
        if value is None:
            raise self._fail(key, N_("missing key"), N_("add {key} = YYYY-MM-DD"))
        # A TOML date-time is a datetime, which is a date subclass but cannot be
        # compared with a plain date.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self._fail(key, N_("invalid value {value}"), N_("expected a TOML date such as 2026-11-10"),
                             value=repr(value))
        return value

    def optional_date(self, key: str) -> date | None:
        return self.date(key) if key in self.values else None

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise self._fail(key, N_("invalid value {value}"), N_("expected one of {allowed}"),
                             value=repr(value), allowed=", ".join(allowed))
        return value


def _position(table: str, index: int) -> str:
    """Name an entry the way a person finds it in the file: the table and its number, counted from 1."""
    return f"[[{table}]] #{index + 1}"


class _TableReader:
    def __init__(self, path: Path):
        self.path = path

    def entries(self, table: str, raw: dict[str, Any]) -> list[_Entry]:
        items = raw.get(table, [])
        if not isinstance(items, list):
            raise InputError(self.path, N_("{table} must be an array of tables"), location=N_("key {key}"),
                             fix=N_("write each entry as [[{table}]]"), key=table, table=table)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(self.path, N_("invalid entry {value}"), location=N_("{entry}"),
                                 fix=N_("write each entry as a [[{table}]] table with its keys"),
                                 entry=_position(table, index), table=table, value=repr(item))
            unknown = sorted(set(item) - TABLE_KEYS[table])
            if unknown:
                raise InputError(self.path, N_("unknown key {value}"), location=KEY_LOCATION,
                                 fix=N_("use one of {allowed}"), entry=_position(table, index), key=unknown[0],
                                 value=repr(unknown[0]), allowed=", ".join(sorted(TABLE_KEYS[table])))
        return [_Entry(self.path, _position(table, index), item) for index, item in enumerate(items)]

    def unique(self, table: str, key: str, build, raw: dict[str, Any]) -> dict:
        result: dict[str, Any] = {}
        for entry in self.entries(table, raw):
            record = build(entry)
            code = getattr(record, key)
            if code in result:
                raise InputError(self.path, N_("duplicate {key} {value}"), location=KEY_LOCATION,
                                 fix=N_("give every entry its own code"), entry=entry.where, key=key, value=repr(code))
            result[code] = record
        return result
