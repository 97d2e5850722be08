"""Copy the master data into the store's snapshot tables."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session

from bot.masterdata import MasterData
from bot.store.models import (
    AccountRow,
    CostCenterRow,
    EmployeeRow,
    EventRow,
    LocationRow,
    ProjectRow,
    StoreModel,
    TaxCodeRow,
)
from bot.store.upsert import dialect_insert

log = logging.getLogger(__name__)


def sync_master_data(session: Session, master: MasterData) -> None:
    """Make the snapshot equal to ``master``. Running it again with the same data changes nothing.

    Cost centers, projects, accounts, VAT codes and employees are upserted
    by their code, number or email. Those missing from ``master`` stay with
    ``active = False``, because earlier decisions name them. Events and
    locations have no key in the master data, so they are replaced.
    """
    _upsert(session, CostCenterRow, "code", [asdict(entry) for entry in master.cost_centers.values()])
    _upsert(session, ProjectRow, "code", [asdict(entry) for entry in master.projects.values()])
    _upsert(session, AccountRow, "number", [asdict(entry) for entry in master.accounts.values()])
    _upsert(session, TaxCodeRow, "code", [asdict(entry) for entry in master.tax_codes.values()])
    _upsert(session, EmployeeRow, "email", [asdict(entry) for entry in master.employees.values()])
    _replace(session, EventRow, [asdict(entry) for entry in master.events])
    _replace(session, LocationRow, [asdict(entry) for entry in master.locations])

    log.info(
        "Synced master data: %d cost centers, %d projects, %d accounts, %d VAT codes, %d employees, "
        "%d events, %d locations",
        len(master.cost_centers), len(master.projects), len(master.accounts), len(master.tax_codes),
        len(master.employees), len(master.events), len(master.locations),
    )


def _upsert(session: Session, model: type[StoreModel], key: str, entries: list[dict[str, Any]]) -> None:
    table = model.__table__
    session.exec(update(table).values(active=False))
    if not entries:
        return

    rows = [entry | {"active": True} for entry in entries]
    statement = dialect_insert(session, table)
    changed = {name: statement.excluded[name] for name in rows[0] if name != key}
    session.exec(statement.on_conflict_do_update(index_elements=[key], set_=changed), params=rows)


def _replace(session: Session, model: type[StoreModel], rows: list[dict[str, Any]]) -> None:
    table = model.__table__
    session.exec(delete(table))
    if rows:
        session.exec(insert(table), params=rows)
