"""Training a model version: a replay of the decided items, then a final fit on all of them.

The replay is what makes a version trustworthy: it predicts every decided
item before learning it, which yields the replay metrics stored with the
version, the calibration of its confidences and the auto-booking threshold
that reaches ``policy.target_precision``. Its classifier has learned every
item by the end, so a last refit makes it the version the product uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.config import PolicySettings
from bot.nlp.calibration import NEVER, best_precision
from bot.nlp.classifier import Classifier
from bot.nlp.metrics import replay_metrics
from bot.nlp.replay import Replay
from bot.records import Allocation, ReportItem

logger = logging.getLogger(__name__)

# Label sources, as the store keeps them.
HISTORY = "history"
HUMAN = "human"


@dataclass(frozen=True)
class TrainingResult:
    """The outcome of a training run, for the saved version and the user."""

    training_size: int
    human_answers: int
    threshold: float | None
    metrics: dict[str, Any]
    seconds: float
    # The highest precision any threshold reached on the latest items of the replay.
    best_precision: float | None = None


def train_version(classifier: Classifier, examples: Sequence[tuple[ReportItem, Allocation, str]],
                  policy: PolicySettings, *, amount_in_nok: Callable[[ReportItem], Decimal],
                  retrain_after: int, progress: Callable[[int, int], None] | None = None) -> TrainingResult:
    """Replay ``examples`` (item, allocation, label source) through a new classifier and fit it on all of them.

    Human answers are replayed as answers and imported history as history.
    Raises TrainingDataError when the examples are empty or all have one
    allocation, because such a model would book everything the same way.
    """
    if classifier.known_items:
        raise ValueError("train_version needs a classifier that has learned nothing yet")
    started = time.perf_counter()

    answers = {item.key for item, _, source in examples if source == HUMAN}
    replay = Replay(classifier, classifier.master, policy, amount_in_nok=amount_in_nok, retrain_after=retrain_after)
    steps = replay.run([(item, allocation) for item, allocation, _ in examples], answers=answers, progress=progress)
    replay.finish()
    # finish() logs a refit it could not make; a version without a fitted model is not saved.
    classifier.check_trainable()

    result = TrainingResult(
        training_size=len(examples),
        human_answers=len(answers),
        threshold=classifier.threshold,
        metrics=replay_metrics(steps),
        seconds=time.perf_counter() - started,
        best_precision=best_precision(replay.threshold_candidates()),
    )
    if result.threshold is not None and result.threshold >= NEVER:
        logger.warning("model %s: no confidence threshold reached the target precision %.3f in the replay, "
                       "so nothing will be booked automatically", classifier.version, policy.target_precision)
    logger.info("trained model %s on %d items (%d human answers) in %.1f s: replay accuracy %.3f, threshold %s",
                classifier.version, result.training_size, result.human_answers, result.seconds,
                result.metrics["accuracy"], result.threshold)
    return result

