"""Feature extraction: ItemContext objects to one sparse matrix.

Three small steps joined by a scikit-learn FeatureUnion:

- ``words``: TF-IDF over the title's lemmas, stems and unit terms,
- ``chars``: TF-IDF over character 3- to 5-grams of the title, which carry
  brands, model numbers and compound words ("Arbeitshandschuhe") that no
  lemma table splits,
- ``context``: one-hot facts about requester, delivery place, next event,
  checkout fields, amounts and product codes through a DictVectorizer.

Every step takes the same list of ItemContext objects, so the union is fit
and applied in one call. The selectors are module-level functions, so a
fitted pipeline can be pickled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from bot.nlp.context import ItemContext

_EVENT_DAY_BINS = ((0, "during"), (7, "1-7"), (14, "8-14"), (30, "15-30"), (60, "31-60"))


def title_terms(context: ItemContext) -> tuple[str, ...]:
    """Return the lemmas, stems and unit terms of the title (the ``words`` analyzer)."""
    return context.title.terms


def titles(contexts: Sequence[ItemContext]) -> list[str]:
    return [context.item.title for context in contexts]


def context_dicts(contexts: Sequence[ItemContext]) -> list[dict[str, str | int]]:
    return [context_features(context) for context in contexts]


def context_features(context: ItemContext) -> dict[str, str | int]:
    """Return the non-text facts of an item as DictVectorizer input.

    String values become one-hot columns ``name=value``. Missing facts are
    left out rather than encoded as a value of their own.
    """
    item = context.item
    features: dict[str, str | int] = {
        "currency": item.currency,
        "quantity_bin": _log2_bin(item.quantity),
        # Prices are binned per currency because the classifier has no
        # exchange rates. Half-octave bins separate prices around limits
        # such as the deductible gift limit per unit.
        "unit_price_bin": f"{item.currency}:{_log2_bin(float(item.unit_price), steps_per_octave=2)}",
        "place_kind": context.place.kind,
        "place": context.place.key,
    }

    if context.requester:
        features["requester"] = context.requester.email
        features["requester_cost_center"] = context.requester.cost_center
        features["role"] = context.requester.role
    features["leads_project"] = int(bool(context.led_projects))
    for code in context.led_projects:
        features[f"led_project={code}"] = 1

    for code in context.typed_projects:
        features[f"typed_project={code}"] = 1
    for code in context.recent_projects:
        features[f"recent_project={code}"] = 1

    if context.event:
        payer = _event_payer(context)
        days = _event_day_bin(context.event.days)
        features["event_days"] = days
        features["event_payer"] = payer
        features["event_days_payer"] = f"{days}|{payer}"
        features["requester_pays_event"] = int(context.requester_pays_event)
        if context.bought_for_event:
            features["bought_for_event_payer"] = payer

    for name, value in (
        ("category", item.product_category),
        ("brand", item.brand),
        ("seller", item.seller),
    ):
        if value:
            features[name] = value.strip().lower()

    unspsc = (item.unspsc or "").strip()
    if len(unspsc) >= 4:
        features["unspsc_segment"] = unspsc[:2]
        features["unspsc_family"] = unspsc[:4]
    return features


def build_features() -> FeatureUnion:
    """Return a new, unfitted feature union for a list of ItemContext objects."""
    words = TfidfVectorizer(analyzer=title_terms, sublinear_tf=True)
    chars = Pipeline([
        ("select", FunctionTransformer(titles)),
        ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)),
    ])
    context = Pipeline([
        ("select", FunctionTransformer(context_dicts)),
        ("onehot", DictVectorizer()),
    ])
    return FeatureUnion([("words", words), ("chars", chars), ("context", context)])


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
