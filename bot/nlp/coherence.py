"""Joining per-field probabilities into coherent, ranked allocations.

The model and the cold start both estimate each field on its own. This
module combines them so that no suggestion contradicts master data:

- a project with a cost center in master data implies that cost center,
  so P(cost center, project) = P(project) for it, and
  P(project) * P(cost center) only for projects without one;
- the VAT code follows the account. It is the account's
  ``default_tax_code`` unless the history for that account shows other
  codes, and where the history shows several, the VAT head chooses among
  those codes only;
- the fields a rule sets are fixed, and the others are conditioned on them
  by dropping contradicting values and renormalising over the rest;
- a project that has not started or has ended by the order date keeps only
  INACTIVE_PROJECT_FACTOR of its probability;
- so does a cost center outside its start and end dates, and the share it
  loses goes to the requester's own cost center when that one is open,
  because a reorganisation moves people's purchases with them. A model
  fitted before the reorganisation knows only the closed code.

Only the most likely few values per field are combined, so the returned
probabilities sum to at most 1.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter

from bot.masterdata import MasterData
from bot.nlp.context import ItemContext
from bot.nlp.rules import KeywordRule
from bot.records import Allocation

# Values per field that take part in the combination. 5 projects x 5 cost
# centers x 5 accounts keeps suggest() fast. On the sample company's November
# the values beyond the fifth held 0.8 % of an account head's probability on
# average (at most 12 %) and less than 0.1 % of the other heads'.
TOP_PER_FIELD = 5

NO_PROJECT = ""

# Share of its probability that a project keeps outside its start and end
# dates, where a late invoice or a typo in master data is still possible.
# NOTE: hand-set, not learned.
INACTIVE_PROJECT_FACTOR = 0.05


@dataclass(frozen=True)
class FieldProbabilities:
    """Probabilities of the values of each field for one item.

    The values of one field sum to at most 1. ``project`` uses NO_PROJECT
    for "no project". ``tax_code`` is read only for accounts whose history
    shows several VAT codes.
    """

    cost_center: Mapping[str, float]
    project: Mapping[str, float]
    account: Mapping[str, float]
    tax_code: Mapping[str, float] = field(default_factory=dict)


class Coherence:
    """Combine FieldProbabilities into allocations consistent with master data and history."""

    def __init__(self, master: MasterData, tax_history: Mapping[str, Counter[str]]) -> None:
        """``tax_history`` counts the VAT codes seen per account number in training data."""
        self.master = master
        self.tax_history = tax_history

    def default_tax_code(self, account: str) -> str:
        """Return the account's VAT code from master data, or "" when it has none."""
        known = self.master.accounts.get(account)
        return (known.default_tax_code or "") if known else ""

    def combine(self, probabilities: FieldProbabilities, context: ItemContext, fixed: KeywordRule | None = None,
                top: int = 3) -> list[tuple[Allocation, float]]:
        """Return the ``top`` most likely allocations with their joint probabilities, best first."""
        projects = self._projects(probabilities, context, fixed)
        if fixed and fixed.cost_center:
            cost_centers = _point(fixed.cost_center)
        else:
            cost_centers = _best(self._open_cost_centers(dict(probabilities.cost_center), context))
        accounts = _point(fixed.account) if fixed and fixed.account else _best(probabilities.account)
        taxes = {
            account: _point(fixed.tax_code) if fixed and fixed.tax_code else self._tax_codes(account, probabilities)
            for account in accounts
        }

        # A product of non-negative factors is largest where each factor is, so the
        # ``top`` best allocations use only the ``top`` best values of each factor.
        account_taxes = heapq.nlargest(top, ((p_account * p_tax, account, tax_code)
                                             for account, p_account in accounts.items()
                                             for tax_code, p_tax in taxes[account].items()), key=itemgetter(0))
        ranked_cost_centers = heapq.nlargest(top, cost_centers.items(), key=itemgetter(1))

        candidates: list[tuple[float, str, str, str, str]] = []
        for project, p_project in projects.items():
            implied = self._implied_cost_center(project)
            project_cost_centers = [(implied, 1.0)] if implied else ranked_cost_centers
            for cost_center, p_cost_center in project_cost_centers:
                for p_account_tax, account, tax_code in account_taxes:
                    candidates.append((p_project * p_cost_center * p_account_tax, cost_center, project, account,
                                       tax_code))

        best = heapq.nlargest(top, candidates, key=itemgetter(0))
        return [(Allocation(cost_center, project or None, account, tax_code), probability)
                for probability, cost_center, project, account, tax_code in best]

    def _projects(self, probabilities: FieldProbabilities, context: ItemContext,
                  fixed: KeywordRule | None) -> dict[str, float]:
        if fixed and fixed.project:
            return _point(fixed.project)
        projects = self._weigh_by_activity(dict(probabilities.project), context)

        # A rule's cost center rules out projects booked to another one.
        if fixed and fixed.cost_center:
            projects = {
                code: p for code, p in projects.items()
                if self._implied_cost_center(code) in (None, fixed.cost_center)
            }
            total = sum(projects.values())
            if total <= 0:
                return _point(NO_PROJECT)
            projects = {code: p / total for code, p in projects.items()}
        return _best(projects)

    def _weigh_by_activity(self, projects: dict[str, float], context: ItemContext) -> dict[str, float]:
        """Scale projects outside their dates by INACTIVE_PROJECT_FACTOR, keeping the total probability."""
        total = sum(projects.values())
        weighed = {code: p * (1.0 if self._active(code, context) else INACTIVE_PROJECT_FACTOR)
                   for code, p in projects.items()}
        weighed_total = sum(weighed.values())
        if weighed_total <= 0:
            return projects
        return {code: p * total / weighed_total for code, p in weighed.items()}

    def is_open(self, allocation: Allocation, context: ItemContext) -> bool:
        """Tell whether the allocation's cost center and project take bookings on the item's order date."""
        center = self.master.cost_centers.get(allocation.cost_center)
        if center is not None and not center.active_on(context.item.order_date):
            return False
        return not allocation.project or self._active(allocation.project, context)

    def _open_cost_centers(self, cost_centers: dict[str, float], context: ItemContext) -> dict[str, float]:
        """Scale closed cost centers by INACTIVE_PROJECT_FACTOR and give what they lose to the requester's own."""
        order_date = context.item.order_date
        lost = 0.0
        weighed = {}
        for code, p in cost_centers.items():
            center = self.master.cost_centers.get(code)
            if center is not None and not center.active_on(order_date):
                weighed[code] = p * INACTIVE_PROJECT_FACTOR
                lost += p - weighed[code]
            else:
                weighed[code] = p
        if lost <= 0:
            return cost_centers

        own = context.requester.cost_center if context.requester else None
        own_center = self.master.cost_centers.get(own or "")
        if own_center is not None and own_center.active_on(order_date):
            weighed[own_center.code] = weighed.get(own_center.code, 0.0) + lost
            return weighed
        total = sum(weighed.values())
        return {code: p * (total + lost) / total for code, p in weighed.items()} if total > 0 else cost_centers

    def _active(self, code: str, context: ItemContext) -> bool:
        project = self.master.projects.get(code)
        if project is None:
            return True
        order_date = context.item.order_date
        started = project.start is None or project.start <= order_date
        ended = project.end is not None and project.end < order_date
        return started and not ended

    def _implied_cost_center(self, project: str) -> str | None:
        known = self.master.projects.get(project)
        return known.cost_center if known else None

    def _tax_codes(self, account: str, probabilities: FieldProbabilities) -> dict[str, float]:
        seen = self.tax_history.get(account)
        if not seen:
            return _point(self.default_tax_code(account))
        if len(seen) == 1:
            return _point(next(iter(seen)))

        weights = {code: probabilities.tax_code.get(code, 0.0) for code in seen}
        if sum(weights.values()) <= 0:
            weights = {code: float(count) for code, count in seen.items()}
        total = sum(weights.values())
        return {code: weight / total for code, weight in weights.items()}


def _point(value: str) -> dict[str, float]:
    return {value: 1.0}


def _best(probabilities: Mapping[str, float]) -> dict[str, float]:
    ranked = sorted(probabilities.items(), key=lambda entry: entry[1], reverse=True)
    return dict(ranked[:TOP_PER_FIELD])
