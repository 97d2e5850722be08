"""The controller's allocation rules for each order line of Havrekorn Bakeri AS.

The payer is, in this order: the event a purchase is for (its cost center
or project), the project it is for, the department the office manager buys
for, or else the requester's own cost center. Production staff were on
2000 until 30 June 2026 and are on 2100 or 2200 from 1 July, so the payer
depends on the order date too. The account follows the product's use,
with the tax rules of the Nordlys sample. Gifts above the deductible limit
per unit go to 7430. Furniture and equipment from NOK 30 000 per order
line are capitalised on 1250. Catering for staff parties and internal
meetings carries no VAT deduction. A small share of lines is then booked
differently, as people do.
"""

from __future__ import annotations

import random

from bot.masterdata import Account
from bot.records import Allocation
from bot.sample.purchases import Purchase
from bot.sample.rules import CAPITALISATION_FROM_NOK, GIFT_LIMIT_NOK, LineFacts
from bot.sample.second import sites
from bot.sample.second.catalog import (
    BAKEWARE, CATERING, CLEANING, CONSUMABLES, EQUIPMENT, FAIR_MATERIAL, FURNITURE, GIFT, GIVEAWAY, HYGIENE,
    INGREDIENTS, IT, LAB, OFFICE, PACKAGING, SAFETY, SOFTWARE, STORE_SUPPLIES, WORKWEAR,
)
from bot.sample.second.chart import NEW_PRODUCTION_CENTERS, cost_center_on
from bot.sample.sites import CUSTOMER_EVENT, FAIR, INTERNAL_EVENT

# Share of lines the controller books differently from the rules. A few
# slips change nothing (see `misallocate`), so slightly fewer lines differ.
INCONSISTENCY_RATE = 0.033

_ACCOUNT_BY_USE = {
    OFFICE: "6800",
    IT: "6551",
    SOFTWARE: "6552",
    PACKAGING: "4600",
    INGREDIENTS: "4030",
    BAKEWARE: "6560",
    CONSUMABLES: "6590",
    CLEANING: "6360",
    HYGIENE: "6575",
    SAFETY: "6575",
    WORKWEAR: "6571",
    LAB: "6590",
    STORE_SUPPLIES: "6560",
    GIVEAWAY: "7323",
    FAIR_MATERIAL: "7329",
}

# The account a controller picks now and then instead of the usual one.
_NEIGHBOUR_ACCOUNT = {
    "6800": "6560", "6551": "6560", "4600": "6590", "4030": "6590", "6560": "6590", "6590": "6560",
    "6360": "6590", "6575": "6571", "6571": "6575", "7323": "7329", "7329": "7323", "6540": "6560",
    "5910": "5990",
}


def allocate(facts: LineFacts, accounts: dict[str, Account]) -> Allocation:
    """Apply the controller's rules to one order line."""
    cost_center, project = _payer(facts.purchase)
    account = _account(facts)
    tax_code = accounts[account].default_tax_code or "0"
    event = facts.purchase.event
    if facts.line.use == CATERING and event and event.audience in (INTERNAL_EVENT, sites.MEETING):
        tax_code = "0"
    return Allocation(cost_center, project, account, tax_code)


def misallocate(allocation: Allocation, purchase: Purchase, rng: random.Random) -> Allocation:
    """Book a line the way a hurried controller sometimes does.

    Some slips book a project, event or department purchase on the
    requester's own cost center. Some mix up the bakery and the packing
    hall, which only exist from July 2026, so the closed 2000 never appears
    after the split. A few use import code 81 instead of 14, and the rest
    pick a neighbouring account. Accounts without a usual neighbour (gifts,
    representation, capitalised equipment) are left alone.
    """
    draw = rng.random()
    own_center = cost_center_on(purchase.requester.cost_center, purchase.order_date)
    paid_elsewhere = allocation.project is not None or allocation.cost_center != own_center
    if draw < 0.25 and paid_elsewhere:
        return Allocation(own_center, None, allocation.account, allocation.tax_code)
    if draw < 0.4 and allocation.cost_center in NEW_PRODUCTION_CENTERS:
        other = next(code for code in NEW_PRODUCTION_CENTERS if code != allocation.cost_center)
        return Allocation(other, allocation.project, allocation.account, allocation.tax_code)
    if draw > 0.85 and allocation.tax_code == "14":
        return Allocation(allocation.cost_center, allocation.project, allocation.account, "81")
    neighbour = _NEIGHBOUR_ACCOUNT.get(allocation.account)
    if neighbour is None:
        return allocation
    return Allocation(allocation.cost_center, allocation.project, neighbour, allocation.tax_code)


def _payer(purchase: Purchase) -> tuple[str, str | None]:
    """Return the cost center and project that pay for a purchase, as booked on its order date."""
    event = purchase.event
    if event and event.project:
        return sites.project(event.project).cost_center, event.project
    if event and event.cost_center:
        return event.cost_center, None
    if purchase.project:
        return purchase.project.cost_center, purchase.project.code
    own = purchase.department or purchase.requester.cost_center
    return cost_center_on(own, purchase.order_date), None


def _account(facts: LineFacts) -> str:
    use = facts.line.use
    if use in (FURNITURE, EQUIPMENT):
        return "1250" if facts.line_total_nok >= CAPITALISATION_FROM_NOK else "6540"
    if use == GIFT:
        return "7420" if facts.unit_price_nok <= GIFT_LIMIT_NOK else "7430"
    if use == CATERING:
        return _catering_account(facts.purchase)
    return _ACCOUNT_BY_USE[use]


def _catering_account(purchase: Purchase) -> str:
    """Book food and drink by who eats it: guests, staff at a party, a meeting, or the canteen."""
    event = purchase.event
    if event is None:
        return "5910"
    if event.audience in (FAIR, CUSTOMER_EVENT):
        return "7350"
    if event.audience == sites.MEETING:
        return "6860"
    return "5990"
