"""The memory of decided items: what people allocated, item by item.

Every training example and every human decision is kept here, keyed by the
report row (``ReportItem.key``), so an item that arrives twice counts once
and a later decision on the same row replaces the earlier one.

``recall`` applies earlier decisions at once, without refitting the model.
It looks for the same product (same ASIN, or a near-identical title with the
same model numbers) ordered by the same requester, or else by someone from
the same cost center. The delivery place and the project codes typed at
checkout must match too, because they are what turns the same cable into a
project cost. So must the next event, when the requester pays for it and it
is close, because then the same coffee may be bought for the event. A
decision for a project is not recalled once the requester has ordered for
another project since, because technicians move from site to site.

The memory also counts what the history shows, so that reasons quote real
numbers: items per title term and account, items per requester and target,
and VAT codes per account.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from bot.nlp.context import EVENT_SOON_DAYS, ItemContext
from bot.records import Allocation

# fuzz.ratio (0 to 100) from which two titles count as the same product.
# The titles must also share their model numbers and sizes, so "M8x20" and
# "M8x30" stay apart.
MIN_TITLE_SIMILARITY = 95

# Highest confidence the memory gives, and its factors for weaker matches.
MEMORY_CAP = 0.97
COST_CENTER_SCOPE_FACTOR = 0.9
TITLE_MATCH_FACTOR = 0.95

# Days back from an order date that count as the requester's recent work.
RECENT_DAYS = 30

# Voting among matching items. NOTE: hand-set, not tuned on real data.
RECENCY_DECAY = 0.7
PERSON_WEIGHT = 3.0
MIN_VOTE_SHARE = 0.5

# Minimum number of agreeing items of imported history, per scope, before
# the memory returns an allocation. A single earlier item is no better evidence than the model, which
# learned from it too, and colleagues in one cost center often buy the same
# product for different projects. One decision given to ``remember`` is
# always enough.
MIN_AGREEING = {"requester": 2, "cost_center": 3}


@dataclass(frozen=True)
class _Entry:
    key: str
    order_date: date
    sequence: int
    requester: str
    cost_center: str
    situation: str
    asin: str
    title: str
    codes: frozenset[str]
    words: frozenset[str]
    allocation: Allocation
    by_person: bool


@dataclass(frozen=True)
class Recollection:
    """An allocation recalled from the memory, with the evidence behind it.

    ``count`` is the number of matching items with this allocation.
    ``match`` is "asin" or "title", ``scope`` "requester" or "cost_center".
    ``by_person`` is true when one of those items came from ``remember``
    rather than from imported history.
    """

    allocation: Allocation
    confidence: float
    count: int
    match: str
    scope: str
    by_person: bool


class Memory:
    """Decided items, indexed by requester and cost center."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._by_requester: dict[str, set[str]] = defaultdict(set)
        # Candidates for a product match per scope, so that recall does not
        # compare a title with every item of a busy requester: the same ASIN,
        # or the same model numbers and sizes, which a title match needs too.
        self._by_asin: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._by_codes: dict[tuple[str, str, frozenset[str]], set[str]] = defaultdict(set)
        self._term_accounts: dict[str, Counter[str]] = defaultdict(Counter)
        self._term_totals: Counter[str] = Counter()
        self._requester_targets: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self._account_taxes: dict[str, Counter[str]] = defaultdict(Counter)
        self._sequence = 0

    def add(self, context: ItemContext, allocation: Allocation, *, by_person: bool) -> None:
        """Store one decided item, replacing an earlier decision on the same report row."""
        item = context.item
        old = self._entries.get(item.key)
        if old is not None:
            self._unindex(old)
            # Relearning a person's decision as history keeps its weight.
            by_person = by_person or (old.by_person and old.allocation == allocation)

        self._sequence += 1
        entry = _Entry(
            key=item.key,
            order_date=item.order_date,
            sequence=self._sequence,
            requester=context.requester_email,
            cost_center=context.requester.cost_center if context.requester else "",
            situation=_situation(context),
            asin=(item.asin or "").strip().upper(),
            title=_title_key(item.title),
            codes=frozenset(context.title.units),
            words=frozenset(context.title.words),
            allocation=allocation,
            by_person=by_person,
        )
        self._entries[entry.key] = entry
        self._index(entry)

    def recall(self, context: ItemContext) -> Recollection | None:
        """Return the remembered allocation for the same product and situation, or None."""
        scopes = []
        if context.requester_email:
            scopes.append(("requester", context.requester_email, 1.0))
        if context.requester:
            scopes.append(("cost_center", context.requester.cost_center, COST_CENTER_SCOPE_FACTOR))

        situation = _situation(context)
        asin = (context.item.asin or "").strip().upper()
        codes = frozenset(context.title.units)
        for scope, value, factor in scopes:
            candidates = self._by_codes.get((scope, value, codes), set())
            if asin:
                candidates = candidates | self._by_asin.get((scope, value, asin), set())
            matches = []
            for key in candidates:
                entry = self._entries[key]
                if entry.situation != situation or _moved_on(entry, context):
                    continue
                kind = _same_product(entry, context)
                if kind:
                    matches.append((entry, kind))
            if matches:
                return _recollect(matches, scope, factor)
        return None

    def recent_projects(self, context: ItemContext) -> tuple[str, ...]:
        """Return the projects of the requester's items ordered in the RECENT_DAYS before this one, latest first.

        Items of the same day are left out, so that no training item gets its
        own order's allocation as a feature.
        """
        projects: list[str] = []
        for entry in sorted(self._recent_entries(context), key=lambda entry: entry.order_date, reverse=True):
            if entry.allocation.project and entry.allocation.project not in projects:
                projects.append(entry.allocation.project)
        return tuple(projects)

    def count_recent(self, context: ItemContext, project: str) -> int:
        """Return how many items the requester ordered for ``project`` in the RECENT_DAYS before this one."""
        return sum(1 for entry in self._recent_entries(context) if entry.allocation.project == project)

    def count_with_term(self, term: str, account: str) -> int:
        """Return how many remembered items have ``term`` in the title and were booked to ``account``."""
        counts = self._term_accounts.get(term)
        return counts[account] if counts else 0

    def count_term(self, term: str) -> int:
        """Return how many remembered items have ``term`` in the title, whatever their account."""
        return self._term_totals[term]

    def count_by_requester(self, requester: str, field: str, value: str) -> int:
        """Return how many items ``requester`` ordered for a cost center or project (``field``)."""
        counts = self._requester_targets.get((requester, field))
        return counts[value] if counts else 0

    def tax_history(self) -> dict[str, Counter[str]]:
        """Return the VAT codes seen per account number."""
        return self._account_taxes

    def _recent_entries(self, context: ItemContext) -> list[_Entry]:
        order_date = context.item.order_date
        entries = (self._entries[key] for key in self._by_requester.get(context.requester_email, ()))
        return [entry for entry in entries if 0 < (order_date - entry.order_date).days <= RECENT_DAYS]

    def _index(self, entry: _Entry) -> None:
        self._change_counts(entry, +1)
        if entry.requester:
            self._by_requester[entry.requester].add(entry.key)
        for scope, value in _scopes(entry):
            self._by_codes[(scope, value, entry.codes)].add(entry.key)
            if entry.asin:
                self._by_asin[(scope, value, entry.asin)].add(entry.key)

    def _unindex(self, entry: _Entry) -> None:
        self._change_counts(entry, -1)
        self._by_requester[entry.requester].discard(entry.key)
        for scope, value in _scopes(entry):
            self._by_codes[(scope, value, entry.codes)].discard(entry.key)
            if entry.asin:
                self._by_asin[(scope, value, entry.asin)].discard(entry.key)

    def _change_counts(self, entry: _Entry, step: int) -> None:
        allocation = entry.allocation
        for word in entry.words:
            self._term_accounts[word][allocation.account] += step
            self._term_totals[word] += step
        if entry.requester:
            self._requester_targets[(entry.requester, "cost_center")][allocation.cost_center] += step
            self._requester_targets[(entry.requester, "project")][allocation.project or ""] += step
        if allocation.tax_code:
            self._account_taxes[allocation.account][allocation.tax_code] += step
            if self._account_taxes[allocation.account][allocation.tax_code] <= 0:
                del self._account_taxes[allocation.account][allocation.tax_code]


def _recollect(matches: list[tuple[_Entry, str]], scope: str, factor: float) -> Recollection | None:
    """Return the allocation with the most recency-weighted votes among the matches, or None when no majority.

    The latest match weighs 1, the one before RECENCY_DECAY, then its square,
    and a decision given to ``remember`` PERSON_WEIGHT times as much. So one
    slip in the history does not outvote a run of agreeing items, while a
    correction by a person does. Confidence is the winner's share of the
    votes times Laplace's rule of succession over the k matches that agree,
    (k + 1) / (k + 2): one earlier item gives 0.67, ten give 0.92.
    """
    ordered = sorted(matches, key=lambda match: (match[0].order_date, match[0].sequence), reverse=True)

    votes: dict[Allocation, float] = defaultdict(float)
    for rank, (entry, _) in enumerate(ordered):
        votes[entry.allocation] += RECENCY_DECAY ** rank * (PERSON_WEIGHT if entry.by_person else 1.0)
    allocation = max(votes, key=votes.__getitem__)
    share = votes[allocation] / sum(votes.values())
    if share < MIN_VOTE_SHARE:
        return None

    agreeing = [(entry, kind) for entry, kind in ordered if entry.allocation == allocation]
    match = "asin" if all(kind == "asin" for _, kind in agreeing) else "title"
    if match == "title":
        factor *= TITLE_MATCH_FACTOR
    by_person = any(entry.by_person for entry, _ in agreeing)
    count = len(agreeing)
    if not by_person and count < MIN_AGREEING[scope]:
        return None

    confidence = MEMORY_CAP * factor * share * (count + 1) / (count + 2)
    return Recollection(allocation, confidence, count, match, scope, by_person)


def _moved_on(entry: _Entry, context: ItemContext) -> bool:
    """Tell whether the requester has ordered for another project since the entry's project.

    A technician who moved from one customer site to the next orders the
    same screws for the new project, so the old project's decision no
    longer applies.
    """
    project = entry.allocation.project
    return bool(project and context.recent_projects and context.recent_projects[0] != project)


def _scopes(entry: _Entry) -> list[tuple[str, str]]:
    scopes = []
    if entry.requester:
        scopes.append(("requester", entry.requester))
    if entry.cost_center:
        scopes.append(("cost_center", entry.cost_center))
    return scopes


def _same_product(entry: _Entry, context: ItemContext) -> str | None:
    asin = (context.item.asin or "").strip().upper()
    if asin and entry.asin == asin:
        return "asin"
    if entry.codes != frozenset(context.title.units):
        return None
    if fuzz.ratio(entry.title, _title_key(context.item.title)) >= MIN_TITLE_SIMILARITY:
        return "title"
    return None


def _situation(context: ItemContext) -> str:
    event = context.event
    near_event = event.name if event and context.requester_pays_event and event.days <= EVENT_SOON_DAYS else ""
    return f"{context.place.key}|{','.join(context.typed_projects)}|{near_event}"


def _title_key(title: str) -> str:
    return " ".join(title.lower().split())
