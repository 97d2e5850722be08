"""The ``data`` of the audit events that record an item's steps, built in one place so each step records the same fields.

The data contains ids, codes, amounts and the reasons' message ids, never
titles or free text from documents. People are named by the email
address the rest of the store uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.records import Suggestion
from bot.store.models import AmazonItem, Document


def parsed_data(document: Document, item: AmazonItem) -> dict[str, Any]:
    """Data of ``item_parsed``: where the item was read, and its amount in its own currency."""
    return {"document": document.id, "file": document.filename, "line": item.line,
            "amount": item.net_total, "currency": item.currency}


def suggestions_data(suggestions: Sequence[Suggestion]) -> list[dict[str, Any]]:
    """Return the ranked suggestions with their calibrated confidence, their source and the classifier's reasons."""
    return [
        {
            "rank": rank,
            "allocation": suggestion.allocation.label(),
            "confidence": round(suggestion.confidence, 4),
            "source": suggestion.source,
            "reasons": [{"template": reason.template, "params": dict(reason.params)} for reason in suggestion.reasons],
        }
        for rank, suggestion in enumerate(suggestions, start=1)
    ]
