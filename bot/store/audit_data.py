"""The ``data`` of the audit events that record an item's steps, built in one place so each step records the same fields.

The data contains ids, codes, amounts and the reasons' message ids, never
titles or free text from documents. People are named only by the email
address the rest of the store uses: the reason parameters that hold a
person's full name (``PERSON_NAME_PARAMS``) are left out, because audit
events cannot be erased or pseudonymised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.records import Suggestion
from bot.store.models import AmazonItem, Document


def parsed_data(document: Document, item: AmazonItem) -> dict[str, Any]:
    """Data of ``item_parsed``: where the item was read, and its amount in its own currency."""
    return {"document": document.id, "file": document.filename, "line": item.line,
            "amount": item.net_total, "currency": item.currency}


# Reason parameters that hold a person's full name, such as the requester in bot.nlp.reasons.
PERSON_NAME_PARAMS = frozenset({"requester"})


def suggestions_data(suggestions: Sequence[Suggestion]) -> list[dict[str, Any]]:
    """Return the ranked suggestions with their calibrated confidence, their source and the classifier's reasons.

    A reason's parameters leave out ``PERSON_NAME_PARAMS``; ``allocbot audit
    show`` reads the requester there as "the requester".
    """
    return [
        {
            "rank": rank,
            "allocation": suggestion.allocation.label(),
            "confidence": round(suggestion.confidence, 4),
            "source": suggestion.source,
            "reasons": [{"template": reason.template, "params": _without_names(reason.params)}
                        for reason in suggestion.reasons],
        }
        for rank, suggestion in enumerate(suggestions, start=1)
    ]


def _without_names(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key not in PERSON_NAME_PARAMS}
