"""Time-ordered replay of labeled history: predict each item, then learn it.

A replay walks the items in order-date order. For each it asks the
classifier for suggestions as if the item were new, asks the policy whether
it would book the item without anyone, and then teaches the classifier the
true allocation: into the memory at once, and into the model at its next
refit. Nothing about an item is known to the classifier before its own
prediction. ``allocbot evaluate`` teaches every item as a person's answer
would; training in the product teaches imported history as history and
only people's decisions as answers, so the replay's classifier ends up the
one the product uses.

The model is refit once the answers since the last fit reach ``retrain_after``
or REFIT_SHARE of the items known by then, whichever is more. Every
``retrain_after`` items the calibration and the auto-booking threshold are
fitted again from the replay's own earlier predictions, which takes
milliseconds, so the confidences and the threshold an item meets were
learned without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from decimal import Decimal

from bot.config import PolicySettings
from bot.masterdata import MasterData
from bot.nlp.calibration import Calibrator, Outcome, derive_threshold
from bot.nlp.classifier import TrainingDataError
from bot.policy import route
from bot.records import Allocation, ReportItem, Suggestion

logger = logging.getLogger(__name__)

# The model is refit once the new answers reach this share of the items known at the last fit.
# In a replay of the sample company's 1 565 items, 0.25 was as accurate as 0.1 (84.0 %)
# with 16 refits instead of 29.
REFIT_SHARE = 0.25

# Items at the start of a replay whose predictions do not calibrate: they
# come from the cold start and a model of a few dozen items, unlike what
# the product meets once history is imported.
CALIBRATION_WARMUP = 50

# The calibration and the threshold are fitted on the latest predictions only,
# so that a bad period, such as the weeks after a reorganisation, is
# forgotten once the model has learned the new rules. Without the window a
# replay of Havrekorn Bakeri never booked automatically again after its
# cost center split. NOTE: sizes chosen by hand, about 1 000 items each.
CALIBRATION_WINDOW = 3000
THRESHOLD_WINDOW = 1000

SCORED_FIELDS = ("cost_center", "project", "account", "tax_code")


@dataclass(frozen=True)
class ReplayStep:
    """One replayed item: the truth, what the classifier suggested, and what the policy would do.

    ``auto`` is true when the policy would have booked the top suggestion
    without asking, ``bookable`` when it would have at any confidence (so not
    an approval case). ``fields_right`` scores each field that the file has.
    """

    position: int
    item: ReportItem
    truth: Allocation
    suggestions: tuple[Suggestion, ...]
    auto: bool
    bookable: bool
    fields_right: dict[str, bool]
    model_version: str

    @property
    def right(self) -> bool:
        return all(self.fields_right.values())

    @property
    def confidence(self) -> float:
        return self.suggestions[0].confidence if self.suggestions else 0.0

    @property
    def top3_right(self) -> bool:
        return any(_same(suggestion.allocation, self.truth, self.fields_right) for suggestion in self.suggestions)


class Learner(Protocol):
    """The classifier interface a replay uses, which ``bot.nlp.classifier.Classifier`` implements."""

    version: str
    calibrator: Calibrator
    threshold: float | None

    def suggest(self, item: ReportItem, top: int = 3) -> list[Suggestion]: ...
    def remember(self, item: ReportItem, allocation: Allocation) -> None: ...
    def record(self, item: ReportItem, allocation: Allocation) -> None: ...
    def learn(self, examples: Sequence[tuple[ReportItem, Allocation]]) -> None: ...


class Replay:
    """Replay labeled items through a classifier and the policy.

    ``amount_in_nok`` converts an item's net total to NOK for the policy's
    review threshold. ``scored`` names the fields the file has.
    """

    def __init__(self, classifier: Learner, master: MasterData, policy: PolicySettings, *,
                 amount_in_nok: Callable[[ReportItem], Decimal],
                 scored: Sequence[str] = SCORED_FIELDS, retrain_after: int = 25) -> None:
        self.classifier = classifier
        self.master = master
        self.policy = policy
        self.amount_in_nok = amount_in_nok
        self.scored = tuple(scored)
        self.retrain_after = retrain_after
        self.refits = 0

        self._outcomes: list[Outcome] = []
        self._bookable: list[Outcome] = []
        self._known = 0
        self._known_at_fit = 0
        self._known_at_calibration = 0

    def run(self, examples: Sequence[tuple[ReportItem, Allocation]], *,
            answers: Container[str] | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[ReplayStep]:
        """Replay decided items in order-date order (given order within a day); return one step per item.

        ``answers`` contains the ``ReportItem.key`` of the items to teach as a
        person's answer; the others are taught as imported history. None
        teaches every item as an answer.
        """
        ordered = sorted(examples, key=lambda example: example[0].order_date)
        started = time.perf_counter()
        steps = []
        for position, (item, allocation) in enumerate(ordered, start=1):
            as_answer = answers is None or item.key in answers
            steps.append(self._step(position, item, self.master.with_default_tax_code(allocation), as_answer))
            if progress:
                progress(position, len(ordered))
        logger.info("replayed %d items in %.1f s with %d refits", len(steps), time.perf_counter() - started,
                    self.refits)
        return steps

    def finish(self) -> None:
        """Refit on everything replayed, with the calibration and threshold from all its predictions."""
        self._refit()
        self._calibrate()

    def _step(self, position: int, item: ReportItem, truth: Allocation, as_answer: bool) -> ReplayStep:
        suggestions = tuple(self.classifier.suggest(item, top=3))
        version = self.classifier.version
        fields_right = _fields_right(suggestions[0].allocation if suggestions else None, truth, self.scored)

        auto, bookable = self._route(item, suggestions)
        step = ReplayStep(position, item, truth, suggestions, auto, bookable, fields_right, version)
        if position > CALIBRATION_WARMUP:
            outcomes = [Outcome(suggestion.source, _raw(suggestion), _same(suggestion.allocation, truth, fields_right))
                        for suggestion in suggestions]
            self._outcomes += outcomes
            if bookable:
                self._bookable.append(outcomes[0])

        if as_answer:
            self.classifier.remember(item, truth)
        else:
            self.classifier.record(item, truth)
        self._known += 1
        if self._known - self._known_at_fit >= max(self.retrain_after, REFIT_SHARE * self._known_at_fit):
            self._refit()
        if self._known - self._known_at_calibration >= self.retrain_after:
            self._calibrate()
        return step

    def _route(self, item: ReportItem, suggestions: Sequence[Suggestion]) -> tuple[bool, bool]:
        top = suggestions[0] if suggestions else None
        if top is None:
            return False, False
        top = replace(top, allocation=self.master.with_default_tax_code(top.allocation))
        amount = self.amount_in_nok(item)
        auto = route(item, amount, top, self.master, self.policy, threshold=self.classifier.threshold).action == "book"
        bookable = route(item, amount, top, self.master, self.policy, threshold=0.0).action == "book"
        return auto, bookable

    def _refit(self) -> None:
        try:
            self.classifier.learn([])
        except TrainingDataError as exc:
            logger.warning("refit at %d items skipped: %s", self._known, exc)
        self._known_at_fit = self._known
        self.refits += 1
        logger.debug("refit %d at %d items: model %s", self.refits, self._known, self.classifier.version)

    def threshold_candidates(self) -> list[tuple[float, bool]]:
        """Return the latest bookable items as (confidence calibrated as it would be now, right)."""
        return [(self.classifier.calibrator.apply(outcome.source, outcome.confidence), outcome.right)
                for outcome in self._bookable[-THRESHOLD_WINDOW:]]

    def _calibrate(self) -> None:
        self.classifier.calibrator = Calibrator().fit(self._outcomes[-CALIBRATION_WINDOW:])
        self.classifier.threshold = derive_threshold(self.threshold_candidates(), self.policy.target_precision)
        self._known_at_calibration = self._known


def _fields_right(top: Allocation | None, truth: Allocation, scored: Sequence[str]) -> dict[str, bool]:
    """Return, per scored field, whether the top suggestion has the true value (all false without one)."""
    return {name: top is not None and getattr(top, name) == getattr(truth, name) for name in scored}


def _same(allocation: Allocation, truth: Allocation, fields_right: dict[str, bool]) -> bool:
    """Tell whether an allocation equals the truth on the scored fields (the keys of ``fields_right``)."""
    return all(getattr(allocation, name) == getattr(truth, name) for name in fields_right)


def _raw(suggestion: Suggestion) -> float:
    return suggestion.confidence if suggestion.raw_confidence is None else suggestion.raw_confidence
