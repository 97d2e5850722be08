"""Replay metrics in the JSON layout that ``allocbot evaluate --json`` writes.

An item is right when every scored field of the top suggestion equals the
truth. The curve point "after N" scores items N+1 to N+100 of the replay.
``auto_share`` is the share of those items that the policy would book
without asking anyone, and ``auto_precision`` the share of those that were
right (None when the policy would book none of them). Calibration error is
the expected calibration error of the top suggestion's confidence over ten
equal-width bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.nlp.calibration import calibration_error
from bot.nlp.replay import ReplayStep

CURVE_WINDOW = 100
_FIRST_POINTS = (50, 100, 200, 300, 500, 1000)
_LATER_STEP = 1000


def curve_points(items: int) -> list[int]:
    """Return the positions of the curve points that have a full window of CURVE_WINDOW items after them.

    They are 50, 100, 200, 300, 500, 1000 and every further 1000, as far
    as the replay reaches. A point with fewer items after it is left out,
    because a share of nine items would read like one of a hundred.
    """
    points = [point for point in _FIRST_POINTS if point + CURVE_WINDOW <= items]
    point = _FIRST_POINTS[-1] + _LATER_STEP
    while point + CURVE_WINDOW <= items:
        points.append(point)
        point += _LATER_STEP
    return points


def replay_metrics(steps: Sequence[ReplayStep]) -> dict[str, Any]:
    """Return the metrics of a whole replay, with its learning curve."""
    count = len(steps)
    scored = list(steps[0].fields_right) if steps else []

    return {
        "items": count,
        "accuracy": _share(steps, lambda step: step.right),
        "fields": {name: _share(steps, lambda step, name=name: step.fields_right[name]) for name in scored},
        "top3_accuracy": _share(steps, lambda step: step.top3_right),
        "calibration_error": round(calibration_error([(step.confidence, step.right) for step in steps]), 4),
        "questions_per_100": round(100 * (count - sum(step.auto for step in steps)) / count, 1) if count else 0.0,
        "learning_curve": [window_metrics(steps, after) for after in curve_points(count)],
    }


def window_metrics(steps: Sequence[ReplayStep], after: int) -> dict[str, Any]:
    """Return the curve point "after ``after``": items after+1 to after+CURVE_WINDOW of the replay."""
    window = steps[after:after + CURVE_WINDOW]
    booked = [step for step in window if step.auto]
    return {
        "after": after,
        "accuracy": _share(window, lambda step: step.right),
        "top3_accuracy": _share(window, lambda step: step.top3_right),
        "auto_share": _share(window, lambda step: step.auto),
        "auto_precision": _share(booked, lambda step: step.right) if booked else None,
    }


def _share(steps: Sequence[ReplayStep], predicate) -> float:
    if not steps:
        return 0.0
    return round(sum(1 for step in steps if predicate(step)) / len(steps), 4)
