"""The code lists vouchers are checked against: the ERP's lists as last read, and the master data snapshot."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Sequence

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from bot.ports import ErpCode
from bot.store.models import AccountRow, CostCenterRow, ErpCodeRow, ProjectRow, TaxCodeRow, utc_now

log = logging.getLogger(__name__)


def replace_erp_codes(session: Session, connector: str, codes: Sequence[ErpCode]) -> None:
    """Make ``codes`` the connector's stored lists, dropping every entry of its previous read.

    An ERP may list one code twice, such as an account number under two
    internal ids; the active entry is kept, else the later one.
    """
    unique: dict[tuple[str, str], ErpCode] = {}
    for code in codes:
        earlier = unique.get((code.kind, code.code))
        if earlier is None or code.active or not earlier.active:
            unique[code.kind, code.code] = code

    session.exec(delete(ErpCodeRow).where(ErpCodeRow.connector == connector))
    synced_at = utc_now()
    rows = [{"connector": connector, "kind": code.kind, "code": code.code, "name": code.name,
             "active": code.active, "external_id": code.external_id, "rate": code.rate, "synced_at": synced_at}
            for code in unique.values()]
    if rows:
        session.exec(insert(ErpCodeRow), params=rows)
    log.info("stored %d list entries of %s", len(rows), connector)


def master_data_codes(session: Session) -> dict[str, dict[str, bool]]:
    """Return each code of the master data snapshot with whether it is active, by ERP code kind."""
    return {
        "account": dict(session.exec(select(AccountRow.number, AccountRow.active)).all()),
        "cost_center": dict(session.exec(select(CostCenterRow.code, CostCenterRow.active)).all()),
        "project": dict(session.exec(select(ProjectRow.code, ProjectRow.active)).all()),
        "vat_code": dict(session.exec(select(TaxCodeRow.code, TaxCodeRow.active)).all()),
    }


def vat_rates(session: Session) -> dict[str, Decimal]:
    """Return the percent of each VAT code in the master data snapshot, inactive ones included."""
    return dict(session.exec(select(TaxCodeRow.code, TaxCodeRow.rate)).all())
