"""Syncing master data into the store's snapshot tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlmodel import select

from bot.masterdata import parse_master_data
from bot.store.masterdata_sync import sync_master_data
from bot.store.models import (
    AccountRow,
    CostCenterRow,
    EmployeeRow,
    EventRow,
    LocationRow,
    ProjectRow,
    TaxCodeRow,
)

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "400", "name": "IT", "description": "IT equipment, software and licences for internal use"},
            {"code": "600", "name": "Prosjekter"},
        ],
        "projects": [
            {
                "code": "P-1042", "name": "Ombygging Hamar stasjon", "lead": "kari.nordmann@example.no",
                "cost_center": "600", "sites": ["Stasjonsveien 4, 2317 Hamar"],
                "start": date(2026, 1, 15), "end": date(2026, 12, 31),
            }
        ],
        "accounts": [{"number": "6551", "name": "Datautstyr", "default_tax_code": "1"}],
        "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
        "employees": [
            {"email": "kari.nordmann@example.no", "name": "Kari Nordmann", "cost_center": "600", "role": "project_lead"},
            {"email": "Ola.Hansen@example.no", "name": "Ola Hansen", "cost_center": "400",
             "manager": "kari.nordmann@example.no"},
        ],
        "events": [
            {"name": "Elmia Subcontractor", "start": date(2026, 11, 10), "end": date(2026, 11, 13),
             "location": "Elmiavägen 11, 554 54 Jönköping", "cost_center": "600"}
        ],
        "locations": [{"label": "Hovedkontor", "address": "Industriveien 12, 2004 Lillestrøm", "kind": "office"}],
    },
    Path("masterdata.toml"),
)


def _snapshot(store) -> dict[str, list]:
    with store.session() as session:
        return {
            model.__tablename__: [row.model_dump(exclude={"id"}) for row in session.exec(select(model))]
            for model in (CostCenterRow, ProjectRow, AccountRow, TaxCodeRow, EmployeeRow, EventRow, LocationRow)
        }


def test_sync_copies_master_data(store):
    with store.session() as session:
        sync_master_data(session, MASTER)

    with store.session() as session:
        project = session.get(ProjectRow, "P-1042")
        tax_code = session.get(TaxCodeRow, "1")
        employee = session.get(EmployeeRow, "ola.hansen@example.no")
        event = session.exec(select(EventRow)).one()
    assert project.sites == ["Stasjonsveien 4, 2317 Hamar"]
    assert project.end == date(2026, 12, 31)
    assert project.active
    assert tax_code.rate == Decimal("25.00")
    assert employee.manager == "kari.nordmann@example.no"
    assert employee.role == "employee"
    assert event.location == "Elmiavägen 11, 554 54 Jönköping"


def test_sync_twice_changes_nothing(store):
    with store.session() as session:
        sync_master_data(session, MASTER)
    first = _snapshot(store)

    with store.session() as session:
        sync_master_data(session, MASTER)

    assert _snapshot(store) == first
    assert len(first["cost_center"]) == 2
    assert len(first["event"]) == 1


def test_sync_updates_and_deactivates(store):
    with store.session() as session:
        sync_master_data(session, MASTER)

    renamed = replace(MASTER.cost_centers["400"], name="IT og digitalisering")
    changed = replace(MASTER, cost_centers={"400": renamed}, events=(), locations=MASTER.locations * 2)
    with store.session() as session:
        sync_master_data(session, changed)

    with store.session() as session:
        it = session.get(CostCenterRow, "400")
        projects = session.get(CostCenterRow, "600")
        events = session.exec(select(EventRow)).all()
        locations = session.exec(select(LocationRow)).all()
    assert (it.name, it.active) == ("IT og digitalisering", True)
    assert (projects.name, projects.active) == ("Prosjekter", False)
    assert events == []
    assert len(locations) == 2

    with store.session() as session:
        sync_master_data(session, MASTER)
    with store.session() as session:
        assert session.get(CostCenterRow, "600").active
