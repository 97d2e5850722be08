"""Calibrated confidences and the auto-booking threshold, both learned from a replay.

The classifier's raw confidences come from different sources (memory,
rules, the model, the cold start) whose scores mean different things. A
replay of the company's history predicts each item before learning it,
which gives one (raw confidence, right or wrong) pair per suggestion. An
isotonic regression per source maps raw confidences to the share of
suggestions that were right at that level, so that "0.9" means nine in ten.
The auto-booking threshold is then the lowest calibrated confidence at which
the items the policy would book reached the target precision.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression

logger = logging.getLogger(__name__)

# Pairs a source needs before it gets its own mapping; with fewer, the
# mapping fitted on all sources together applies.
MIN_PAIRS_PER_SOURCE = 50

# Pairs needed before any mapping is fitted at all.
MIN_PAIRS = 30

# Calibrated confidences stay inside these bounds, so that no suggestion
# claims certainty even where every replayed suggestion of its level was right.
MIN_CONFIDENCE = 0.001
MAX_CONFIDENCE = 0.995

# Automatically booked items needed at a threshold before its precision is
# trusted; a threshold that only a handful of items passed proves nothing.
MIN_AUTO_SUPPORT = 20

# Equal-width bins of the expected calibration error.
CALIBRATION_BINS = 10

# The threshold that books nothing: calibrated confidences stay below it.
NEVER = 1.0

_ALL_SOURCES = "*"


@dataclass(frozen=True)
class Outcome:
    """One replayed suggestion: where it came from, its raw confidence, and whether it was the truth."""

    source: str
    confidence: float
    right: bool


@dataclass
class Calibrator:
    """Monotone maps from raw to calibrated confidence, per suggestion source.

    An unfitted calibrator returns raw confidences unchanged.
    """

    # Per source, the breakpoints (raw, calibrated) of the fitted isotonic step function.
    _maps: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def fitted(self) -> bool:
        return bool(self._maps)

    def fit(self, outcomes: Sequence[Outcome]) -> Calibrator:
        """Fit one map on all outcomes and one per source with at least MIN_PAIRS_PER_SOURCE of them."""
        self._maps = {}
        if len(outcomes) < MIN_PAIRS:
            logger.info("calibration skipped: %d replayed suggestions, at least %d needed", len(outcomes), MIN_PAIRS)
            return self

        by_source: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            by_source[outcome.source].append(outcome)

        self._maps[_ALL_SOURCES] = _fit_map(outcomes)
        for source, group in by_source.items():
            if len(group) >= MIN_PAIRS_PER_SOURCE:
                self._maps[source] = _fit_map(group)
        logger.debug("calibrated on %d replayed suggestions; own maps for %s", len(outcomes),
                    ", ".join(sorted(set(self._maps) - {_ALL_SOURCES})) or "no source")
        return self

    def apply(self, source: str, confidence: float) -> float:
        """Return the calibrated confidence of a suggestion from ``source``."""
        mapping = self._maps.get(source) or self._maps.get(_ALL_SOURCES)
        if mapping is None:
            return confidence
        # The same linear interpolation between breakpoints as IsotonicRegression.predict,
        # without its input validation, which cost more than the suggestion itself.
        raw, calibrated_values = mapping
        calibrated = float(np.interp(confidence, raw, calibrated_values))
        return min(max(calibrated, MIN_CONFIDENCE), MAX_CONFIDENCE)


def _fit_map(outcomes: Sequence[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    mapping = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    mapping.fit([outcome.confidence for outcome in outcomes], [float(outcome.right) for outcome in outcomes])
    return mapping.X_thresholds_, mapping.y_thresholds_


def derive_threshold(candidates: Sequence[tuple[float, bool]], target_precision: float) -> float | None:
    """Return the lowest confidence at which the items booked from there on reach ``target_precision``.

    ``candidates`` are (calibrated confidence of the top suggestion, right)
    for the replayed items that the policy would book at a confident
    suggestion, which leaves out items that always need an approval. A
    threshold counts only with at least MIN_AUTO_SUPPORT items at or above
    it. Returns NEVER when no threshold reaches the target, and None when
    there are fewer than MIN_AUTO_SUPPORT candidates to judge by.
    """
    if len(candidates) < MIN_AUTO_SUPPORT:
        return None

    ranked = sorted(candidates, key=lambda candidate: candidate[0], reverse=True)
    best = NEVER
    best_precision = 0.0
    right = 0
    for count, (confidence, is_right) in enumerate(ranked, start=1):
        right += is_right
        # Only the last of equal confidences is a threshold, since a threshold books all of them.
        if count < len(ranked) and ranked[count][0] == confidence:
            continue
        if count >= MIN_AUTO_SUPPORT:
            best_precision = max(best_precision, right / count)
            if right / count >= target_precision:
                best = confidence
    logger.debug("threshold %.3f for a precision of %.3f on %d replayed items (best precision %.3f)",
                 best, target_precision, len(ranked), best_precision)
    return best


def best_precision(candidates: Sequence[tuple[float, bool]]) -> float | None:
    """Return the highest precision any threshold reaches with at least MIN_AUTO_SUPPORT items, or None."""
    ranked = sorted(candidates, key=lambda candidate: candidate[0], reverse=True)
    best = None
    right = 0
    for count, (confidence, is_right) in enumerate(ranked, start=1):
        right += is_right
        if count < len(ranked) and ranked[count][0] == confidence:
            continue
        if count >= MIN_AUTO_SUPPORT:
            best = max(best or 0.0, right / count)
    return best


def calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = CALIBRATION_BINS) -> float:
    """Return the expected calibration error of (confidence, right) pairs over equal-width bins.

    It is the mean gap between confidence and accuracy per bin, weighted by
    the bin's share of the pairs, and 0.0 for no pairs.
    """
    if not pairs:
        return 0.0
    confidences = np.array([confidence for confidence, _ in pairs])
    rights = np.array([float(right) for _, right in pairs])
    indices = np.minimum((confidences * bins).astype(int), bins - 1)

    error = 0.0
    for index in range(bins):
        members = indices == index
        if members.any():
            error += members.sum() / len(pairs) * abs(confidences[members].mean() - rights[members].mean())
    return float(error)
