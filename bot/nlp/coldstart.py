"""First guesses before any history exists, from master data alone.

The cost center leans to the requester's own and to cost centers whose name
or description shares a word with the title, and the account to accounts
whose name or description shares one. The project comes from project codes typed at checkout,
delivery to a project's site or an event a project pays for. Words are
compared as lemmas or stems, and a master-data word of four letters or more
also matches inside a longer title word, because Norwegian and German
compound words ("Håndverktøy", "Arbeitshandschuhe") hold the noun at the end.

The weights below are hand-set priors, not learned. The classifier scales
the joint probabilities down so that a cold-start suggestion never claims
more than 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.masterdata import MasterData
from bot.nlp.coherence import NO_PROJECT, FieldProbabilities
from bot.nlp.context import ItemContext
from bot.nlp.text import LANGUAGES, normalize_words

# Hand-set weights, before normalization to probabilities.
BASE_WEIGHT = 0.2
REQUESTER_COST_CENTER_WEIGHT = 2.0
WORD_MATCH_WEIGHT = 1.5
NO_PROJECT_WEIGHT = 1.0
TYPED_PROJECT_WEIGHT = 3.0
SITE_PROJECT_WEIGHT = 2.0
EVENT_WEIGHT = 1.5
LED_PROJECT_WEIGHT = 0.3

# Master-data words this long or longer also match inside a title word.
MIN_EMBEDDED_WORD = 4


@dataclass(frozen=True)
class ColdStartEstimate:
    """Field probabilities and, per cost center and account, the title word that matched it."""

    probabilities: FieldProbabilities
    cost_center_words: dict[str, str]
    account_words: dict[str, str]


class ColdStart:
    """Estimate field probabilities from master data for items with no history."""

    def __init__(self, master: MasterData) -> None:
        self.master = master
        self._cost_center_words = {
            code: _vocabulary(f"{center.name} {center.description}")
            for code, center in master.cost_centers.items()
        }
        self._account_words = {
            number: _vocabulary(f"{account.name} {account.description}") for number, account in master.accounts.items()
        }

    def estimate(self, context: ItemContext) -> ColdStartEstimate:
        title_words = set(context.title.words)
        cost_center_words = _matches(title_words, self._cost_center_words)
        account_words = _matches(title_words, self._account_words)

        probabilities = FieldProbabilities(
            cost_center=self._cost_centers(context, cost_center_words),
            project=self._projects(context),
            account=_normalize({
                number: BASE_WEIGHT + (WORD_MATCH_WEIGHT if number in account_words else 0.0)
                for number in self.master.accounts
            }),
        )
        return ColdStartEstimate(probabilities, cost_center_words, account_words)

    def _cost_centers(self, context: ItemContext, matched: dict[str, str]) -> dict[str, float]:
        weights = {code: BASE_WEIGHT for code in self.master.cost_centers}
        for code in matched:
            weights[code] += WORD_MATCH_WEIGHT
        if context.requester and context.requester.cost_center in weights:
            weights[context.requester.cost_center] += REQUESTER_COST_CENTER_WEIGHT
        if context.event and context.bought_for_event and context.event.cost_center in weights:
            weights[context.event.cost_center] += EVENT_WEIGHT
        return _normalize(weights)

    def _projects(self, context: ItemContext) -> dict[str, float]:
        weights = {NO_PROJECT: NO_PROJECT_WEIGHT}

        def add(code: str | None, weight: float) -> None:
            if code:
                weights[code] = weights.get(code, 0.0) + weight

        for code in context.typed_projects:
            add(code, TYPED_PROJECT_WEIGHT)
        if context.place.kind == "customer":
            add(context.place.project, SITE_PROJECT_WEIGHT)
        if context.event and context.bought_for_event:
            add(context.event.project, EVENT_WEIGHT)
        for code in context.led_projects:
            add(code, LED_PROJECT_WEIGHT)
        return _normalize(weights)


def _vocabulary(text: str) -> frozenset[str]:
    """Return the words of a master-data text as lemmas or stems in every supported language."""
    words: set[str] = set()
    for language in LANGUAGES:
        words.update(normalize_words(text, language))
    return frozenset(words)


def _matches(title_words: set[str], vocabularies: dict[str, frozenset[str]]) -> dict[str, str]:
    """Return, per code, the first title word (in sorted order) that matches its vocabulary."""
    matched = {}
    for code, vocabulary in vocabularies.items():
        for word in sorted(title_words):
            if _word_matches(word, vocabulary):
                matched[code] = word
                break
    return matched


def _word_matches(word: str, vocabulary: frozenset[str]) -> bool:
    if word in vocabulary:
        return True
    return any(len(known) >= MIN_EMBEDDED_WORD and known in word for known in vocabulary)


def _normalize(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()} if total > 0 else {}
