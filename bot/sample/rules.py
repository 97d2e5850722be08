"""How the sample company's controller allocates each order line.

The controller has each purchase's purpose at hand: who pays (an event's cost
center or project, the project a purchase is for, or else the requester's
own cost center) and what the product is used as. The account follows the
use, with three rules from Norwegian tax practice. Gifts to business
contacts above the deductible limit per unit go to 7430. Furniture from
NOK 30 000 per order line is capitalised on 1250. Catering for staff
events carries no VAT deduction. A small share of lines is then booked
differently, as people do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from bot.masterdata import Account
from bot.records import Allocation
from bot.sample import catalog, sites
from bot.sample.purchases import Purchase, PurchaseLine

# NOTE: the deductible gift limit is the Tax Administration's 2025 rate
# (NOK 317 per gift); the 2026 rate was not known when this was written.
GIFT_LIMIT_NOK = Decimal("317")
CAPITALISATION_FROM_NOK = Decimal("30000")

# Share of lines the controller books differently from the rules.
INCONSISTENCY_RATE = 0.04

_ACCOUNT_BY_USE = {
    catalog.OFFICE: "6800",
    catalog.IT: "6551",
    catalog.SOFTWARE: "6552",
    catalog.FAIR_MATERIAL: "7329",
    catalog.GIVEAWAY: "7323",
    catalog.PARTS: "4000",
    catalog.CONSUMABLES: "6590",
    catalog.TOOLS: "6510",
    catalog.SAFETY: "6575",
    catalog.PACKAGING: "6590",
}

# The account a controller picks now and then instead of the usual one.
_NEIGHBOUR_ACCOUNT = {
    "6800": "6560", "6551": "6560", "6590": "6560", "6510": "6590", "4000": "6590", "6575": "6590",
    "7323": "7329", "7329": "7323", "6540": "6560", "6560": "6800",
}


@dataclass(frozen=True)
class LineFacts:
    """Facts the controller weighs for one order line, amounts in NOK."""

    purchase: Purchase
    line: PurchaseLine
    unit_price_nok: Decimal
    line_total_nok: Decimal


def allocate(facts: LineFacts, accounts: dict[str, Account]) -> Allocation:
    """Apply the controller's rules to one order line."""
    cost_center, project = _payer(facts.purchase)
    account = _account(facts)
    tax_code = accounts[account].default_tax_code or "0"
    event = facts.purchase.event
    if facts.line.use == catalog.CATERING and event and event.audience == sites.INTERNAL_EVENT:
        tax_code = "0"
    return Allocation(cost_center, project, account, tax_code)


def misallocate(allocation: Allocation, purchase: Purchase, rng: random.Random) -> Allocation:
    """Book a line the way a hurried controller sometimes does.

    Most slips pick a neighbouring account and keep the VAT code. Some
    book a project or event purchase on the requester's own cost center,
    and a few use import code 81 instead of 14. Accounts without a usual
    neighbour (gifts, representation, capitalised furniture) are left
    alone, so the effective share of slips is below INCONSISTENCY_RATE.
    """
    draw = rng.random()
    own_center = purchase.requester.cost_center
    paid_elsewhere = allocation.project is not None or allocation.cost_center != own_center
    if draw < 0.25 and paid_elsewhere:
        return Allocation(own_center, None, allocation.account, allocation.tax_code)
    if draw > 0.85 and allocation.tax_code == "14":
        return Allocation(allocation.cost_center, allocation.project, allocation.account, "81")
    neighbour = _NEIGHBOUR_ACCOUNT.get(allocation.account)
    if neighbour is None:
        return allocation
    return Allocation(allocation.cost_center, allocation.project, neighbour, allocation.tax_code)


def _payer(purchase: Purchase) -> tuple[str, str | None]:
    """Return the cost center and project that pay for a purchase."""
    event = purchase.event
    if event and event.project:
        return sites.project(event.project).cost_center, event.project
    if event and event.cost_center:
        return event.cost_center, None
    if purchase.project:
        return purchase.project.cost_center, purchase.project.code
    return purchase.department or purchase.requester.cost_center, None


def _account(facts: LineFacts) -> str:
    use = facts.line.use
    if use == catalog.FURNITURE:
        return "1250" if facts.line_total_nok >= CAPITALISATION_FROM_NOK else "6540"
    if use == catalog.GIFT:
        return "7420" if facts.unit_price_nok <= GIFT_LIMIT_NOK else "7430"
    if use == catalog.CATERING:
        event = facts.purchase.event
        if event and event.audience in (sites.FAIR, sites.CUSTOMER_EVENT):
            return "7350"
        return "5990"
    return _ACCOUNT_BY_USE[use]
