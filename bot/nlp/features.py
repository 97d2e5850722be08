"""Feature extraction: ItemContext objects to one sparse matrix, in small named steps.

Each step reads one kind of fact and becomes one block of columns in a
scikit-learn FeatureUnion:

- ``words``: TF-IDF over the title's lemmas or stems, its unit terms and
  its lowercased tokens,
- ``chars``: TF-IDF over character 3- to 5-grams of the title, which carry
  brands, model numbers and compound words ("Arbeitshandschuhe") that no
  lemma table splits,
- ``requester``, ``amounts``, ``place``, ``event``, ``checkout`` and
  ``product``: one-hot facts from the functions in ``STEPS``, each through
  its own DictVectorizer.

Every step takes the same list of ItemContext objects, so the union is fit
and applied in one call. The selectors are module-level functions, so a
fitted pipeline can be pickled. A fact that is missing is left out rather
than encoded as a value of its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import partial

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from bot.nlp.context import ItemContext
from bot.nlp.text import WORD_SEPARATORS

Facts = dict[str, str | int]

_EVENT_DAY_BINS = ((0, "during"), (7, "1-7"), (14, "8-14"), (30, "15-30"), (60, "31-60"))

# Tokens of the title are marked so they never collide with a lemma of the same spelling.
_TOKEN_PREFIX = "t:"
_TOKEN = re.compile(r"\w+")


def title_terms(context: ItemContext) -> tuple[str, ...]:
    """Return the lemmas or stems, unit terms and lowercased tokens of the title (the ``words`` analyzer)."""
    tokens = tuple(_TOKEN_PREFIX + token for token in _TOKEN.findall(context.item.title.lower()))
    return context.title.terms + tokens


def requester_facts(context: ItemContext) -> Facts:
    """Return who ordered: the person, their cost center, role and manager, and the projects they lead or worked on."""
    facts: Facts = {"leads_project": int(bool(context.led_projects))}
    requester = context.requester
    if requester:
        facts["requester"] = requester.email
        facts["requester_cost_center"] = requester.cost_center
        facts["role"] = requester.role
        if requester.manager:
            facts["manager"] = requester.manager
    for code in context.led_projects:
        facts[f"led_project={code}"] = 1
    for code in context.recent_projects:
        facts[f"recent_project={code}"] = 1
    return facts


def amount_facts(context: ItemContext) -> Facts:
    """Return the currency and the log-binned quantity, unit price and line total."""
    item = context.item
    return {
        "currency": item.currency,
        "quantity_bin": _log2_bin(item.quantity),
        # Prices are binned per currency because the classifier has no
        # exchange rates. Half-octave bins separate prices around limits
        # such as the deductible gift limit per unit, and line totals around
        # a company's own capitalization limit per purchase.
        "unit_price_bin": f"{item.currency}:{_log2_bin(float(item.unit_price), steps_per_octave=2)}",
        "line_total_bin": f"{item.currency}:{_log2_bin(float(item.net_total), steps_per_octave=2)}",
    }


def place_facts(context: ItemContext) -> Facts:
    """Return the kind of delivery place (office, warehouse, customer, event, unknown) and which one it is."""
    return {"place_kind": context.place.kind, "place": context.place.key}


def event_facts(context: ItemContext) -> Facts:
    """Return the days to the next company event, who pays for it, and whether the item looks bought for it."""
    if not context.event:
        return {}
    payer = _event_payer(context)
    days = _event_day_bin(context.event.days)
    facts: Facts = {
        "event_days": days,
        "event_payer": payer,
        "event_days_payer": f"{days}|{payer}",
        "requester_pays_event": int(context.requester_pays_event),
    }
    if context.bought_for_event:
        facts["bought_for_event_payer"] = payer
    return facts


def checkout_facts(context: ItemContext) -> Facts:
    """Return what the buyer typed at checkout: project codes, cost center, account and the PO number's words."""
    facts: Facts = {}
    for code in context.typed_projects:
        facts[f"typed_project={code}"] = 1
    if context.typed_cost_center:
        facts["typed_cost_center"] = context.typed_cost_center
    if context.typed_account:
        facts["typed_account"] = context.typed_account
    for word in WORD_SEPARATORS.sub(" ", (context.item.po_number or "").lower()).split():
        if word.isalpha():
            facts[f"po_word={word}"] = 1
    return facts


def product_facts(context: ItemContext) -> Facts:
    """Return the product's category, ASIN, UNSPSC segment and family, brand and seller."""
    item = context.item
    facts: Facts = {}
    for name, value in (
        ("category", item.product_category),
        ("asin", item.asin),
        ("brand", item.brand),
        ("seller", item.seller),
    ):
        if value and value.strip():
            facts[name] = value.strip().lower()

    unspsc = (item.unspsc or "").strip()
    if len(unspsc) >= 4:
        facts["unspsc_segment"] = unspsc[:2]
        facts["unspsc_family"] = unspsc[:4]
    return facts


STEPS: dict[str, Callable[[ItemContext], Facts]] = {
    "requester": requester_facts,
    "amounts": amount_facts,
    "place": place_facts,
    "event": event_facts,
    "checkout": checkout_facts,
    "product": product_facts,
}


def context_features(context: ItemContext) -> Facts:
    """Return the facts of every step for one item, for reading and testing what the model sees."""
    facts: Facts = {}
    for step in STEPS.values():
        facts.update(step(context))
    return facts


def build_features() -> FeatureUnion:
    """Return a new, unfitted feature union for a list of ItemContext objects."""
    words = TfidfVectorizer(analyzer=title_terms, sublinear_tf=True)
    chars = Pipeline([
        ("select", FunctionTransformer(titles)),
        ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)),
    ])
    facts = [
        (name, Pipeline([("select", FunctionTransformer(partial(apply_step, name))), ("onehot", DictVectorizer())]))
        for name in STEPS
    ]
    return FeatureUnion([("words", words), ("chars", chars), *facts])


def titles(contexts: Sequence[ItemContext]) -> list[str]:
    return [context.item.title for context in contexts]


def apply_step(name: str, contexts: Sequence[ItemContext]) -> list[Facts]:
    """Return the facts of the step ``name`` for each item (the selector of its DictVectorizer)."""
    step = STEPS[name]
    return [step(context) for context in contexts]


def _event_payer(context: ItemContext) -> str:
    event = context.event
    if event is None:
        return ""
    if event.project:
        return f"project:{event.project}"
    if event.cost_center:
        return f"cost_center:{event.cost_center}"
    return "unknown"


def _event_day_bin(days: int) -> str:
    for limit, label in _EVENT_DAY_BINS:
        if days <= limit:
            return label
    return "61+"


def _log2_bin(value: float, steps_per_octave: int = 1) -> str:
    """Return the logarithmic band of a number.

    With one step per octave the bands are "0" below 1, "1" for 1, "2" for
    2 to 3, "3" for 4 to 7. Two steps per octave halve each band.
    """
    if value < 1:
        return "0"
    return str(int(math.log2(value) * steps_per_octave) + 1)
