"""Short reasons behind a suggestion that a person can check.

Each reason is an English message template with ``str.format`` placeholders
and the values that fill them. The catalogs ``bot/locale/*/LC_MESSAGES/nlp.po``
translate the templates. The templates are marked with ``N_`` so that Babel
extracts them (``pybabel extract -k N_``).

A reason is given only when the fact behind it holds for this item and this
allocation, and every count is taken from the memory of decided items, so no
reason claims history that does not exist.
"""

from __future__ import annotations

from bot.i18n import N_
from bot.masterdata import MasterData
from bot.nlp.coldstart import ColdStartEstimate
from bot.nlp.context import ItemContext, UpcomingEvent
from bot.nlp.memory import RECENT_DAYS, Memory, Recollection
from bot.nlp.rules import RuleMatch
from bot.records import Allocation, Reason

MAX_REASONS = 3

# A title term is quoted as history only if it has this many letters and at
# least this share of the earlier items with it went to the account.
MIN_TERM_LENGTH = 3
MIN_TERM_SHARE = 0.5


SAME_PRODUCT = N_("earlier orders of the same product allocated to {target}: {count}")
SIMILAR_TITLE = N_("earlier orders with a near-identical title allocated to {target}: {count}")
PERSON_CHOSE = N_("a person chose {target} for the same product")
KEYWORD_RULE = N_("keyword rule: {keyword}")
UNSPSC_RULE = N_("UNSPSC rule: {prefix}")
TYPED_PROJECT = N_("project code {project} typed at checkout")
CUSTOMER_SITE = N_("delivered to the customer site of {project}")
EVENT_VENUE = N_("delivered to the venue of {event}")
BEFORE_EVENT = N_("{quantity} pieces, {days} days before {event}")
DAY_BEFORE_EVENT = N_("{quantity} pieces, the day before {event}")
DURING_EVENT = N_("{quantity} pieces during {event}")
PROJECT_LEAD = N_("ordered by the project lead of {project}")
DELIVERED_TO = N_("delivered to {place}, not to a project site")
TERM_HISTORY = N_("earlier items with “{term}” booked to account {account}: {count}")
RECENT_PROJECT = N_("items ordered by {requester} for project {project} in the last {days} days: {count}")
REQUESTER_PROJECT_HISTORY = N_("earlier items ordered by {requester} for project {project}: {count}")
REQUESTER_COST_CENTER_HISTORY = N_("earlier items ordered by {requester} for cost center {cost_center}: {count}")
TITLE_MATCHES_COST_CENTER = N_("“{word}” in the title matches cost center {cost_center} {name}")
TITLE_MATCHES_ACCOUNT = N_("“{word}” in the title matches account {account} {name}")
REQUESTER_COST_CENTER = N_("{cost_center} is the requester's cost center")


class Explainer:
    """Build the reasons for one suggested allocation from the facts that support it."""

    def __init__(self, master: MasterData, memory: Memory) -> None:
        self.master = master
        self.memory = memory

    def explain(self, allocation: Allocation, context: ItemContext, *,
                recollection: Recollection | None = None,
                rule: RuleMatch | None = None,
                estimate: ColdStartEstimate | None = None) -> list[Reason]:
        """Return the reasons for ``allocation``, strongest first. The caller keeps the first few."""
        reasons: list[Reason] = []
        if recollection and recollection.allocation == allocation:
            reasons += _memory_reasons(recollection)
        if rule and _rule_agrees(rule, allocation):
            reasons.append(_rule_reason(rule))
        reasons += self._context_reasons(allocation, context)
        reasons += self._history_reasons(allocation, context)
        if estimate:
            reasons += self._cold_start_reasons(allocation, estimate)
        if context.requester and context.requester.cost_center == allocation.cost_center:
            reasons.append(Reason(REQUESTER_COST_CENTER, {"cost_center": allocation.cost_center}))
        if not allocation.project and context.place.kind in ("office", "warehouse"):
            reasons.append(Reason(DELIVERED_TO, {"place": context.place.label}))
        return reasons

    def _context_reasons(self, allocation: Allocation, context: ItemContext) -> list[Reason]:
        reasons = []
        project = allocation.project
        place = context.place
        event = context.event

        if project and project in context.typed_projects:
            reasons.append(Reason(TYPED_PROJECT, {"project": project}))
        if project and place.kind == "customer" and place.project == project:
            reasons.append(Reason(CUSTOMER_SITE, {"project": project}))

        if event and context.bought_for_event and _event_pays(event, allocation):
            if context.delivered_to_event:
                reasons.append(Reason(EVENT_VENUE, {"event": event.name}))
            elif event.days == 1:
                reasons.append(Reason(DAY_BEFORE_EVENT, {"quantity": context.item.quantity, "event": event.name}))
            elif event.days > 1:
                reasons.append(Reason(BEFORE_EVENT, {"quantity": context.item.quantity, "days": event.days,
                                                     "event": event.name}))
            else:
                reasons.append(Reason(DURING_EVENT, {"quantity": context.item.quantity, "event": event.name}))

        if project and project in context.led_projects:
            reasons.append(Reason(PROJECT_LEAD, {"project": project}))
        return reasons

    def _history_reasons(self, allocation: Allocation, context: ItemContext) -> list[Reason]:
        reasons = []

        best_term, best_count, best_score = "", 0, 0.0
        for term in context.title.words:
            if len(term) < MIN_TERM_LENGTH:
                continue
            count = self.memory.count_with_term(term, allocation.account)
            if not count:
                continue
            # A term counts by how often it led to this account and how rarely
            # to others, so "Kaffee" is quoted rather than "schwarz" or "Stück".
            share = count / self.memory.count_term(term)
            score = count * share
            if share >= MIN_TERM_SHARE and score > best_score:
                best_term, best_count, best_score = term, count, score
        if best_count:
            reasons.append(Reason(TERM_HISTORY, {"count": best_count, "term": best_term,
                                                 "account": allocation.account}))

        requester = context.requester
        if requester is None:
            return reasons
        if allocation.project and allocation.project in context.recent_projects:
            count = self.memory.count_recent(context, allocation.project)
            reasons.append(Reason(RECENT_PROJECT, {"requester": requester.name, "project": allocation.project,
                                                   "days": RECENT_DAYS, "count": count}))
        elif allocation.project:
            count = self.memory.count_by_requester(requester.email, "project", allocation.project)
            if count:
                reasons.append(Reason(REQUESTER_PROJECT_HISTORY, {"requester": requester.name, "count": count,
                                                                  "project": allocation.project}))
        else:
            count = self.memory.count_by_requester(requester.email, "cost_center", allocation.cost_center)
            if count:
                reasons.append(Reason(REQUESTER_COST_CENTER_HISTORY, {"requester": requester.name, "count": count,
                                                                      "cost_center": allocation.cost_center}))
        return reasons

    def _cold_start_reasons(self, allocation: Allocation, estimate: ColdStartEstimate) -> list[Reason]:
        reasons = []
        account_word = estimate.account_words.get(allocation.account)
        if account_word:
            name = self.master.accounts[allocation.account].name
            reasons.append(Reason(TITLE_MATCHES_ACCOUNT, {"word": account_word, "account": allocation.account,
                                                          "name": name}))
        center_word = estimate.cost_center_words.get(allocation.cost_center)
        if center_word:
            name = self.master.cost_centers[allocation.cost_center].name
            reasons.append(Reason(TITLE_MATCHES_COST_CENTER, {"word": center_word,
                                                              "cost_center": allocation.cost_center, "name": name}))
        return reasons


def _event_pays(event: UpcomingEvent, allocation: Allocation) -> bool:
    """Tell whether the allocation books to the project or cost center that pays for the event."""
    if event.project:
        return allocation.project == event.project
    return event.cost_center == allocation.cost_center


def _memory_reasons(recollection: Recollection) -> list[Reason]:
    target = recollection.allocation.label()
    reasons = []
    if recollection.by_person:
        reasons.append(Reason(PERSON_CHOSE, {"target": target}))
    if not recollection.by_person or recollection.count > 1:
        template = SAME_PRODUCT if recollection.match == "asin" else SIMILAR_TITLE
        reasons.append(Reason(template, {"target": target, "count": recollection.count}))
    return reasons


def _rule_agrees(match: RuleMatch, allocation: Allocation) -> bool:
    rule = match.rule
    return all(
        expected is None or expected == actual
        for expected, actual in (
            (rule.cost_center, allocation.cost_center),
            (rule.project, allocation.project),
            (rule.account, allocation.account),
            (rule.tax_code, allocation.tax_code),
        )
    )


def _rule_reason(match: RuleMatch) -> Reason:
    if match.keyword:
        return Reason(KEYWORD_RULE, {"keyword": match.keyword})
    return Reason(UNSPSC_RULE, {"prefix": match.rule.unspsc_prefix or ""})
