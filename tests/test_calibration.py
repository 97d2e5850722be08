"""Calibration of confidences, the derived auto-booking threshold and the expected calibration error."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.masterdata import parse_master_data
from bot.nlp.classifier import CONFIDENCE_CAPS, Classifier
from bot.nlp.calibration import (
    MAX_CONFIDENCE,
    MIN_AUTO_SUPPORT,
    MIN_CONFIDENCE,
    MIN_PAIRS,
    MIN_PAIRS_PER_SOURCE,
    NEVER,
    Calibrator,
    Outcome,
    best_precision,
    calibration_error,
    derive_threshold,
)
from bot.records import ReportItem


def candidates(*groups: tuple[int, float, bool]) -> list[tuple[float, bool]]:
    """Expand (count, confidence, right) groups into (confidence, right) candidates."""
    return [(confidence, right) for count, confidence, right in groups for _ in range(count)]


# --- derive_threshold -------------------------------------------------------------


def test_threshold_lowest_qualifying():
    # Booking from 0.9 gives 20/20 right, from 0.8 gives 20/22 (0.909), from 0.5 gives 20/27 (0.741).
    ranked = candidates((20, 0.9, True), (2, 0.8, False), (5, 0.5, False))

    assert derive_threshold(ranked, 0.9) == 0.8


def test_threshold_order_of_input_irrelevant():
    ranked = candidates((20, 0.9, True), (2, 0.8, False), (5, 0.5, False))
    random.Random(7).shuffle(ranked)

    assert derive_threshold(ranked, 0.9) == 0.8


def test_threshold_target_reached_exactly():
    # From 0.8 on, 49 of 50 are right: exactly 0.98.
    ranked = candidates((49, 0.9, True), (1, 0.8, False), (10, 0.4, False))

    assert derive_threshold(ranked, 0.98) == 0.8


def test_threshold_ties_booked_together():
    # At 0.7 one right item comes before three wrong ones. Cutting inside the
    # tie would give 21/21 right at 0.7, but booking from 0.7 books all four: 21/24 = 0.875.
    ranked = candidates((20, 0.9, True), (1, 0.7, True), (3, 0.7, False))

    assert derive_threshold(ranked, 0.9) == 0.9


def test_threshold_needs_min_support():
    # The 19 right items at 0.95 alone would qualify, but they are too few to judge by.
    # From 0.6 on, 19 of 22 are right (0.864).
    ranked = candidates((MIN_AUTO_SUPPORT - 1, 0.95, True), (3, 0.6, False))

    assert derive_threshold(ranked, 0.95) == NEVER


def test_threshold_support_counts_ties():
    # The 20 items at 0.9 reach the support together, and all are right.
    ranked = candidates((10, 0.95, True), (10, 0.9, True), (5, 0.3, False))

    assert derive_threshold(ranked, 0.98) == 0.9


def test_threshold_unreachable_is_never():
    ranked = candidates((15, 0.9, True), (15, 0.9, False), (10, 0.6, True), (10, 0.6, False))

    assert derive_threshold(ranked, 0.98) == NEVER


def test_threshold_too_few_is_none():
    ranked = candidates((MIN_AUTO_SUPPORT - 1, 0.9, True))

    assert derive_threshold(ranked, 0.9) is None


def test_threshold_min_support_is_enough():
    ranked = candidates((MIN_AUTO_SUPPORT, 0.9, True))

    assert derive_threshold(ranked, 0.9) == 0.9


def test_threshold_empty_is_none():
    assert derive_threshold([], 0.9) is None


# --- calibration_error ------------------------------------------------------------


def test_ece_empty_is_zero():
    assert calibration_error([]) == 0.0


def test_ece_calibrated_bin_is_zero():
    pairs = candidates((8, 0.8, True), (2, 0.8, False))

    assert calibration_error(pairs) == pytest.approx(0.0, abs=1e-12)


def test_ece_overconfident_bin():
    pairs = candidates((5, 0.9, True), (5, 0.9, False))

    assert calibration_error(pairs) == pytest.approx(0.4)


def test_ece_weighs_bins_by_share():
    # 2 of 10 pairs at 0.95 are all right (gap 0.05), and 8 at 0.15 all wrong (gap 0.15).
    pairs = candidates((2, 0.95, True), (8, 0.15, False))

    assert calibration_error(pairs) == pytest.approx(0.2 * 0.05 + 0.8 * 0.15)


def test_ece_averages_within_bin():
    # Both fall into [0.8, 0.9): mean confidence 0.85, accuracy 0.5.
    pairs = [(0.81, True), (0.89, False)]

    assert calibration_error(pairs) == pytest.approx(0.35)


def test_ece_confidence_one_in_last_bin():
    # 1.0 shares the bin [0.9, 1.0] with 0.9: mean 0.95, accuracy 0.5.
    pairs = [(1.0, False), (0.9, True)]

    assert calibration_error(pairs) == pytest.approx(0.45)


def test_ece_bin_count():
    # With 2 bins, 0.2 and 0.4 share [0, 0.5): mean 0.3, accuracy 0.5.
    pairs = [(0.2, True), (0.4, False)]

    assert calibration_error(pairs, bins=2) == pytest.approx(0.2)


# --- Calibrator -------------------------------------------------------------------


def outcomes(source: str, count: int, confidence: float, right: int) -> list[Outcome]:
    """Return ``count`` outcomes at ``confidence``, the first ``right`` of them right."""
    return [Outcome(source, confidence, index < right) for index in range(count)]


def test_calibrator_unfitted_passes_through():
    calibrator = Calibrator()

    assert not calibrator.fitted
    assert calibrator.apply("model", 0.37) == 0.37


def test_calibrator_too_few_pairs_unfitted():
    calibrator = Calibrator().fit(outcomes("model", MIN_PAIRS - 1, 0.9, 0))

    assert not calibrator.fitted
    assert calibrator.apply("model", 0.9) == 0.9


def test_calibrator_maps_to_accuracy():
    # 12 of 40 right at 0.3 and 28 of 40 right at 0.7.
    calibrator = Calibrator().fit(outcomes("model", 40, 0.3, 12) + outcomes("model", 40, 0.7, 28))

    assert calibrator.fitted
    assert calibrator.apply("model", 0.3) == pytest.approx(0.3)
    assert calibrator.apply("model", 0.7) == pytest.approx(0.7)
    assert calibrator.apply("model", 0.5) == pytest.approx(0.5)


def test_calibrator_monotone():
    rng = random.Random(2026)
    noisy = []
    for _ in range(400):
        confidence = rng.random()
        noisy.append(Outcome("model", confidence, rng.random() < confidence ** 2))
    calibrator = Calibrator().fit(noisy)

    values = [calibrator.apply("model", step / 200) for step in range(201)]
    for lower, higher in zip(values, values[1:]):
        assert lower <= higher


def test_calibrator_source_below_min_uses_shared_map():
    # "memory" has 60 pairs, all right. "model" has 49, all wrong, one short of its own map.
    pooled = outcomes("memory", 60, 0.9, 60) + outcomes("model", MIN_PAIRS_PER_SOURCE - 1, 0.9, 0)
    calibrator = Calibrator().fit(pooled)

    assert calibrator.apply("memory", 0.9) == MAX_CONFIDENCE
    assert calibrator.apply("model", 0.9) == pytest.approx(60 / 109)


def test_calibrator_source_at_min_gets_own_map():
    pooled = outcomes("memory", 60, 0.9, 60) + outcomes("model", MIN_PAIRS_PER_SOURCE, 0.9, 0)
    calibrator = Calibrator().fit(pooled)

    assert calibrator.apply("model", 0.9) == MIN_CONFIDENCE


def test_calibrator_unknown_source_uses_shared_map():
    pooled = outcomes("memory", 60, 0.9, 60) + outcomes("model", 40, 0.9, 0)
    calibrator = Calibrator().fit(pooled)

    assert calibrator.apply("rule", 0.9) == pytest.approx(0.6)


def test_calibrator_bounds():
    always_right = Calibrator().fit(outcomes("model", 40, 0.5, 40))
    always_wrong = Calibrator().fit(outcomes("model", 40, 0.5, 0))

    assert always_right.apply("model", 0.5) == MAX_CONFIDENCE
    assert always_wrong.apply("model", 0.5) == MIN_CONFIDENCE


def test_calibrator_clips_outside_fitted_range():
    calibrator = Calibrator().fit(outcomes("model", 40, 0.3, 12) + outcomes("model", 40, 0.7, 28))

    assert calibrator.apply("model", 0.0) == pytest.approx(0.3)
    assert calibrator.apply("model", 1.0) == pytest.approx(0.7)


def test_calibrator_refit_replaces_maps():
    calibrator = Calibrator().fit(outcomes("model", 40, 0.5, 0))

    calibrator.fit(outcomes("model", MIN_PAIRS - 1, 0.5, 0))

    assert not calibrator.fitted
    assert calibrator.apply("model", 0.5) == 0.5


# --- calibrated suggestions of the classifier --------------------------------------

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "100", "name": "Administrasjon", "description": "Kontorrekvisita, møter og administrasjon"},
            {"code": "400", "name": "IT", "description": "IT-utstyr, programvare og lisenser"},
        ],
        "accounts": [
            {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        ],
        "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25}],
        "employees": [{"email": "lise.dahl@example.no", "name": "Lise Dahl", "cost_center": "100"}],
    },
    Path("test.toml"),
)

ITEM = ReportItem(
    source="report.csv", line=2, order_id="302-0000000-0000002", order_date=date(2026, 10, 1), currency="NOK",
    title="Kontorrekvisita-sett med hullemaskin", quantity=1, unit_price=Decimal("249.00"),
    net_total=Decimal("249.00"), account_user_email="lise.dahl@example.no",
)


def test_suggestions_uncalibrated_have_no_raw():
    suggestions = Classifier(MASTER).suggest(ITEM)

    assert suggestions
    assert all(suggestion.raw_confidence is None for suggestion in suggestions)


def test_suggestions_carry_raw_confidence():
    raw = Classifier(MASTER).suggest(ITEM)
    classifier = Classifier(MASTER)
    classifier.calibrator = Calibrator().fit(outcomes("cold_start", 40, 0.3, 0))

    calibrated = classifier.suggest(ITEM)

    assert calibrated[0].allocation == raw[0].allocation
    assert calibrated[0].raw_confidence == raw[0].confidence
    assert calibrated[0].confidence == MIN_CONFIDENCE


def test_calibrated_suggestions_sum_at_most_one():
    classifier = Classifier(MASTER)
    # Every cold-start suggestion calibrates to its cap, which three of them cannot all keep.
    classifier.calibrator = Calibrator().fit(outcomes("cold_start", 40, 0.3, 40))

    suggestions = classifier.suggest(ITEM)

    assert len(suggestions) > 1
    assert sum(suggestion.confidence for suggestion in suggestions) <= 1.0 + 1e-9


def test_cold_start_stays_capped_after_calibration():
    classifier = Classifier(MASTER)
    classifier.calibrator = Calibrator().fit(outcomes("cold_start", 40, 0.3, 40))

    suggestions = classifier.suggest(ITEM)

    assert suggestions[0].source == "cold_start"
    assert suggestions[0].confidence == CONFIDENCE_CAPS["cold_start"]


def test_best_precision_over_thresholds():
    # 20 right at 0.9, then 5 wrong at 0.8: 1.0 at 0.9 with 20 items, 0.8 at 0.8 with 25.
    candidates = [(0.9, True)] * 20 + [(0.8, False)] * 5

    assert best_precision(candidates) == 1.0


def test_best_precision_needs_support():
    assert best_precision([(0.9, True)] * 19) is None
