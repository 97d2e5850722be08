"""Routing: book an item automatically, ask someone, or require an approval.

The rules, in order:

1. A suggestion that uses a code missing from master data goes to the
   controllers, since nobody else can book it.
2. An item at or above the review threshold, or a tax-sensitive one (a gift,
   representation, or a fixed asset to capitalize), always needs a
   manager's approval, whatever the confidence; so does an item whose title
   reads like a gift (configured words), because a model that takes a gift
   box for catering would otherwise book it silently. The account of an unsure
   suggestion does not make an item tax-sensitive, because the person asked
   decides the account. The approver is the requester's manager, else the
   first configured approver, else the controllers; never the requester.
3. Otherwise an item whose top suggestion reaches the confidence threshold
   is booked automatically.
4. Otherwise someone is asked: the project lead when the top suggestion
   names a project (unless the lead is the requester), else the requester,
   else the controllers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from bot.config import PolicySettings
from bot.i18n import N_
from bot.masterdata import MasterData
from bot.records import Allocation, ReportItem, Suggestion

CONTROLLERS = "controllers"  # stands for the configured controller channel instead of a person

Action = Literal["book", "ask", "approve"]


@dataclass(frozen=True)
class Decision:
    action: Action
    person: str | None = None          # email of the person asked or approving, or CONTROLLERS
    reason: str = ""                   # a catalog message id saying why


# A card line from another merchant has no known buyer unless the card holder
# is in master data. When the project of such a line is guessed with less
# confidence than this, the controllers are asked instead of the project's lead.
UNKNOWN_BUYER_PROJECT_CONFIDENCE = 0.2


def route(item: ReportItem, amount_nok: Decimal, top: Suggestion | None,
          master: MasterData, policy: PolicySettings, threshold: float | None = None) -> Decision:
    """Decide what happens to one item; see the module docstring.

    ``threshold`` is the confidence from which to book automatically, as
    the current model version derived it; None means the configured
    ``policy.confidence_threshold``.
    """
    requester = master.employee(item.account_user_email)

    if top is not None and missing_codes(top.allocation, master):
        return Decision("ask", CONTROLLERS, N_("suggestion uses codes missing from master data"))

    if threshold is None:
        threshold = policy.confidence_threshold
    confident = top is not None and top.confidence >= threshold
    # NOTE: the person who answers a question picks the account, so that answer must go
    # through route() again; a gift or an asset chosen then still needs the approval.
    sensitive = _tax_sensitive(top if confident else None, amount_nok / max(item.quantity, 1), policy)
    if not sensitive and _looks_like_gift(item.title, policy.gift_words):
        sensitive = N_("the title suggests a gift")
    if amount_nok >= policy.review_threshold or sensitive:
        reason = sensitive or N_("at or above the review threshold")
        return Decision("approve", approver_for(item.account_user_email, master, policy), reason)

    if confident:
        return Decision("book", None, N_("confident suggestion"))

    if top is not None and top.allocation.project in master.projects and (
            requester is not None or top.confidence >= UNKNOWN_BUYER_PROJECT_CONFIDENCE):
        lead = master.projects[top.allocation.project].lead
        if requester is None or lead != requester.email:
            return Decision("ask", lead, N_("project item"))
    if requester is not None:
        return Decision("ask", requester.email, N_("unsure suggestion"))
    return Decision("ask", CONTROLLERS, N_("requester not in master data"))


def approver_for(requester_email: str | None, master: MasterData, policy: PolicySettings) -> str:
    """Return who approves a purchase: the requester's manager, else a configured approver, else CONTROLLERS.

    Nobody approves their own purchase, so a manager or approver who is
    the requester is passed over.
    """
    requester = (requester_email or "").lower()
    employee = master.employee(requester_email)
    candidates = ([employee.manager] if employee and employee.manager else []) + list(policy.approvers)
    for candidate in candidates:
        if candidate.lower() != requester:
            return candidate.lower()
    return CONTROLLERS


def missing_codes(allocation: Allocation, master: MasterData) -> list[tuple[str, str]]:
    """Return the allocation's codes that master data lacks, each with a message id whose placeholder is ``code``."""
    missing = []
    if allocation.cost_center not in master.cost_centers:
        missing.append((N_("cost center {code} is not in master data"), allocation.cost_center))
    if allocation.project is not None and allocation.project not in master.projects:
        missing.append((N_("project {code} is not in master data"), allocation.project))
    if allocation.account not in master.accounts:
        missing.append((N_("account {code} is not in master data"), allocation.account))
    if not allocation.tax_code:
        missing.append((N_("no VAT code: the account {code} has no default_tax_code"), allocation.account))
    elif allocation.tax_code not in master.tax_codes:
        missing.append((N_("VAT code {code} is not in master data"), allocation.tax_code))
    return missing


def _looks_like_gift(title: str, words: tuple[str, ...]) -> bool:
    """Return whether a word of the title starts or ends like one of ``words``, ignoring case.

    Norwegian and German compounds put the gift word at either end:
    "gaveeske" and "julegave", "Geschenkbox" and "Weihnachtsgeschenk".
    """
    if not words:
        return False
    alternatives = "|".join(re.escape(word.lower()) for word in words)
    pattern = rf"\b({alternatives})|({alternatives})\b"
    return re.search(pattern, title.lower()) is not None


def _tax_sensitive(top: Suggestion | None, unit_price_nok: Decimal, policy: PolicySettings) -> str:
    """Return the reason an item is tax-sensitive, or "" when it is not.

    The capitalization limit applies per unit, as the Norwegian rule does.
    """
    if unit_price_nok >= policy.capitalization_limit:
        return N_("may have to be capitalized as a fixed asset")
    if top is None:
        return ""
    account = top.allocation.account
    if account in policy.fixed_asset_accounts:
        return N_("may have to be capitalized as a fixed asset")
    if account in policy.gift_accounts:
        return N_("gift to business contacts")
    if account in policy.representation_accounts:
        return N_("representation")
    return ""
