"""Service Layer master data rows as ErpCode entries.

The lists and the properties read from them: ChartOfAccounts (Code, Name,
ActiveAccount, FrozenFor), ProfitCenters (CenterCode, CenterName, Active,
InWhichDimension), Projects (Code, Name, Active) and VatGroups (Code, Name,
Inactive, VatGroups_Lines with Rate and Effectivefrom). SAP's SDK help names
all of them except VatGroups' Name and Inactive, which are used as public
Service Layer integrations use them. Yes/no properties come as "tYES" or
"tNO". The code is also the external id, because the Service Layer addresses
these entries by their code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from bot.ports import ErpCode

# The $select of each list, by the entity set's name.
SELECTS = {
    "ChartOfAccounts": "Code,Name,ActiveAccount,FrozenFor",
    "ProfitCenters": "CenterCode,CenterName,Active,InWhichDimension",
    "Projects": "Code,Name,Active",
    "VatGroups": "Code,Name,Inactive,VatGroups_Lines",
}

YES = "tYES"
NO = "tNO"

# Journal entry lines take a cost center as CostingCode, the distribution rule of dimension 1.
COST_CENTER_DIMENSION = 1


def accounts(rows: Iterable[dict[str, Any]]) -> list[ErpCode]:
    """Return the postable accounts. Title accounts (ActiveAccount tNO) only group others in reports."""
    # NOTE: SAP's page does not describe FrozenFor. Reading tYES as "blocked for postings"
    # follows its name and the table column Frozen ("Account on Hold").
    return [ErpCode("account", row["Code"], row.get("Name") or "", active=row.get("FrozenFor") != YES,
                    external_id=row["Code"])
            for row in rows if row.get("ActiveAccount") != NO]


def cost_centers(rows: Iterable[dict[str, Any]]) -> list[ErpCode]:
    """Return the profit centers of dimension 1, which SAP also calls cost centers."""
    return [ErpCode("cost_center", row["CenterCode"], row.get("CenterName") or "", active=row.get("Active") != NO,
                    external_id=row["CenterCode"])
            for row in rows if row.get("InWhichDimension", COST_CENTER_DIMENSION) == COST_CENTER_DIMENSION]


def projects(rows: Iterable[dict[str, Any]]) -> list[ErpCode]:
    return [ErpCode("project", row["Code"], row.get("Name") or "", active=row.get("Active") != NO,
                    external_id=row["Code"])
            for row in rows]


def vat_codes(rows: Iterable[dict[str, Any]], today: date) -> list[ErpCode]:
    """Return the VAT groups with the rate in force on ``today``."""
    return [ErpCode("vat_code", row["Code"], row.get("Name") or "", active=row.get("Inactive") != YES,
                    external_id=row["Code"], rate=_current_rate(row.get("VatGroups_Lines") or [], today))
            for row in rows]


def _current_rate(lines: list[dict[str, Any]], today: date) -> Decimal | None:
    """Return the rate of the line that took effect last on or before ``today``.

    Each VatGroups_Lines entry has a rate and the date it takes effect
    from, so a rate change is a new line.
    """
    dated = [(line.get("Effectivefrom") or "")[:10] for line in lines]
    in_force = [(start, line) for start, line in zip(dated, lines) if start <= today.isoformat()]
    if not in_force:
        return None

    rate = max(in_force, key=lambda pair: pair[0])[1].get("Rate")
    return None if rate is None else Decimal(str(rate))
