"""Which suggestions become buttons in a Slack question."""

from __future__ import annotations

from bot.handlers.assemble import _offered
from bot.store.models import SuggestionRow


def suggestion(rank: int, account: str, tax_code: str, confidence: float) -> SuggestionRow:
    return SuggestionRow(item_id=1, rank=rank, cost_center="400", project=None, account=account,
                         tax_code=tax_code, confidence=confidence, source="model", model_version="test")


def test_offered_drops_vat_only_variant():
    rows = [suggestion(1, "6551", "1", 0.6), suggestion(2, "6551", "14", 0.3), suggestion(3, "6800", "1", 0.1)]

    assert [row.rank for row in _offered(rows)] == [1, 3]


def test_offered_drops_unlikely_alternatives():
    rows = [suggestion(1, "6551", "1", 0.995), suggestion(2, "6800", "1", 0.004)]

    assert [row.rank for row in _offered(rows)] == [1]


def test_offered_keeps_best_however_unlikely():
    rows = [suggestion(1, "6551", "1", 0.002)]

    assert [row.rank for row in _offered(rows)] == [1]
