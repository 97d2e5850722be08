"""The classifier: ranked allocation suggestions for report items.

Three sources suggest allocations, in order of precedence:

1. memory: earlier decisions on the same product in the same situation,
   applied at once, without refitting (``source="memory"``);
2. rules: the most specific configured keyword or UNSPSC rule fixes the
   fields it sets, and the model fills in the rest (``source="rule"``);
3. the model, or before enough history exists the cold start from master
   data (``source="model"`` or ``"cold_start"``).

Their confidences are mixed so that each source claims its share of what
the sources before it left open: the memory keeps its own confidence, a rule
takes RULE_TRUST of the rest, and the model the remainder. An allocation
that several sources give adds up their shares and keeps the reasons and the
source of the strongest. Their confidences sum to at most 1.

Suggestions are ranked in tiers: a person's remembered decision, then a
rule, then everything learned. Within a tier they are ranked by confidence,
which a replay of the history calibrates per source once it has fitted
``calibrator``; ``threshold`` carries the auto-booking threshold derived in
the same replay (see ``bot.nlp.calibration``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.errors import InputError
from bot.i18n import N_
from bot.masterdata import MasterData
from bot.nlp.calibration import Calibrator
from bot.nlp.coherence import Coherence, FieldProbabilities
from bot.nlp.coldstart import ColdStart, ColdStartEstimate
from bot.nlp.context import ContextBuilder, ItemContext
from bot.nlp.evidence import ProjectClues
from bot.nlp.memory import MEMORY_CAP, Memory
from bot.nlp.model import ESTIMATORS, FIELDS, Model
from bot.nlp.reasons import MAX_REASONS, Explainer
from bot.nlp.rules import KeywordRule, check_rules, find_rule
from bot.records import Allocation, Reason, ReportItem, Suggestion

logger = logging.getLogger(__name__)

# Minimum number of decided items before the model replaces the cold start.
# Below this, a logistic regression has too few examples per class to beat
# master data.
MIN_TRAINING_EXAMPLES = 20

# Share of the open probability that a matching rule claims. The model keeps
# the rest, because a rule can be wrong for an item.
RULE_TRUST = 0.9

# Highest confidence per source, so that no suggestion claims certainty.
# The cold start's joint probabilities are also scaled by its cap.
CONFIDENCE_CAPS = {"memory": MEMORY_CAP, "rule": 0.95, "model": 0.95, "cold_start": 0.5}

_PRECEDENCE = ("memory", "rule", "model", "cold_start")

# Tiers that outrank any confidence: a person's decision on the same product
# in the same situation, then a configured rule, then everything learned.
PERSON_TIER, RULE_TIER, LEARNED_TIER = 0, 1, 2

TRAINING_DATA = N_("training data")

# Weight of a decision given to ``remember`` in the model's fit, against 1
# for imported history: a person answering today knows the current rules.
PERSON_WEIGHT = 2.0


class TrainingDataError(InputError):
    """The decided items cannot train a model: there are none, or they all have one allocation.

    Its source is the training data rather than a file, because the items
    may come from several imports and answers.
    """


@dataclass(frozen=True)
class _Example:
    context: ItemContext
    allocation: Allocation
    by_person: bool


@dataclass
class _Draft:
    confidence: float
    source: str
    tier: int
    reasons: list[Reason] = field(default_factory=list)


class Classifier:
    """Suggest allocations for report items and learn from decided ones.

    ``learn`` and ``remember`` both add decided items keyed by
    ``ReportItem.key``: an item passed again replaces its earlier decision
    instead of counting twice, so callers may pass the whole history on
    every ``learn``. An Allocation whose ``tax_code`` is "" stands for the
    account's default VAT code.
    """

    def __init__(self, master: MasterData, rules: Sequence[KeywordRule] = (), *, estimator: str = "logistic") -> None:
        """``estimator`` names the model heads' estimator in ``bot.nlp.model.ESTIMATORS``; the others are for benchmarks."""
        check_rules(rules, master)
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {estimator!r}; expected one of {', '.join(ESTIMATORS)}")
        self.master = master
        self.rules = tuple(rules)
        self.estimator = estimator
        self.version = "m-0-none"

        self._contexts = ContextBuilder(master)
        self._memory = Memory()
        self._cold_start = ColdStart(master)
        self._explainer = Explainer(master, self._memory)
        self._model: Model | None = None
        self._clues = ProjectClues()
        self._examples: dict[str, _Example] = {}
        self._learn_count = 0
        self.calibrator = Calibrator()
        self.threshold: float | None = None

    def learn(self, examples: Sequence[tuple[ReportItem, Allocation]],
              progress: Callable[[int, int], None] | None = None) -> None:
        """Add decided items and refit the model on every decided item known so far.

        ``progress`` gets (steps done, total steps): one step for reading the
        items, one for the features and one per model head. Raises
        TrainingDataError when no decided items are known or all have the
        same allocation; the model fitted before, if any, stays in use then.
        """
        started = time.perf_counter()
        total_steps = 2 + len(FIELDS)

        def report(done: int) -> None:
            if progress:
                progress(done, total_steps)

        for item, allocation in examples:
            self._add(item, allocation, by_person=False)
        report(1)
        self.check_trainable()

        stored = list(self._examples.values())
        contexts = [self._with_recent_projects(example.context) for example in stored]
        allocations = [example.allocation for example in stored]
        weights = [PERSON_WEIGHT if example.by_person else 1.0 for example in stored]
        if len(contexts) >= MIN_TRAINING_EXAMPLES:
            model = Model(self.estimator)
            model.fit(contexts, allocations, weights, lambda done, _: report(1 + done))
            self._model = model
            self._clues.fit(contexts, allocations)
        else:
            self._model = None
            logger.info("model not fitted: %d decided items, at least %d needed; using the cold start",
                        len(contexts), MIN_TRAINING_EXAMPLES)
            report(total_steps)

        self._learn_count += 1
        self.version = self._version()
        logger.info("learned %d new examples, %d decided items in total, in %.2f s; model %s",
                    len(examples), len(self._examples), time.perf_counter() - started, self.version)

    @property
    def known_items(self) -> int:
        """The number of decided items learned, remembered or recorded so far."""
        return len(self._examples)

    def check_trainable(self) -> None:
        """Raise TrainingDataError when no decided items are known or all have one allocation."""
        examples = list(self._examples.values())
        if not examples:
            raise TrainingDataError(TRAINING_DATA, N_("no decided items to learn from"),
                                    fix=N_("import labeled history with allocbot learn"))
        allocations = {example.allocation for example in examples}
        if len(allocations) == 1:
            raise TrainingDataError(TRAINING_DATA, N_("all {count} decided items have the allocation {allocation}, "
                                                      "so a model cannot learn to choose"),
                                    fix=N_("import history with more than one allocation"),
                                    count=len(examples), allocation=next(iter(allocations)).label())

    def remember(self, item: ReportItem, allocation: Allocation) -> None:
        """Store a human decision; it applies to the next suggestion at once, without refitting."""
        stored = self._add(item, allocation, by_person=True)
        logger.info("remembered %s for item %s", stored.label(), item.key)

    def record(self, item: ReportItem, allocation: Allocation) -> None:
        """Store a decided item of imported history; the model learns it at the next ``learn``."""
        self._add(item, allocation, by_person=False)

    def suggest(self, item: ReportItem, top: int = 3) -> list[Suggestion]:
        """Return up to ``top`` suggestions, ranked, with confidences in [0, 1] summing to at most 1."""
        return self.suggest_many([item], top)[0]

    def suggest_many(self, items: Sequence[ReportItem], top: int = 3) -> list[list[Suggestion]]:
        """Return the suggestions of ``suggest`` for each item, predicting all of them in one model call.

        One call for many items is several times faster than a loop over
        ``suggest``, because the sparse matrix and the heads' products are
        computed once.
        """
        contexts = [self._with_recent_projects(self._contexts.build(item)) for item in items]
        coherence = Coherence(self.master, self._memory.tax_history())
        estimates = self._estimate(contexts)
        return [self._suggest(context, probabilities, estimate, coherence, top)
                for context, (probabilities, estimate) in zip(contexts, estimates)]

    def _suggest(self, context: ItemContext, probabilities: FieldProbabilities, estimate: ColdStartEstimate | None,
                 coherence: Coherence, top: int) -> list[Suggestion]:
        drafts: dict[Allocation, _Draft] = {}
        open_share = 1.0

        recollection = self._memory.recall(context)
        # A remembered cost center closed by a reorganisation, or a project that has ended, is not repeated.
        if recollection and coherence.is_open(recollection.allocation, context):
            reasons = self._explainer.explain(recollection.allocation, context, recollection=recollection)
            tier = PERSON_TIER if recollection.by_person else LEARNED_TIER
            _add_draft(drafts, recollection.allocation, recollection.confidence, "memory", tier, reasons)
            open_share -= recollection.confidence

        base_source = "cold_start" if estimate else "model"
        rule = find_rule(self.rules, context)
        if rule:
            for allocation, probability in coherence.combine(probabilities, context, fixed=rule.rule, top=top):
                reasons = self._explainer.explain(allocation, context, rule=rule, estimate=estimate)
                _add_draft(drafts, allocation, open_share * RULE_TRUST * probability, "rule", RULE_TIER, reasons)
            open_share *= 1 - RULE_TRUST

        scale = CONFIDENCE_CAPS["cold_start"] if estimate else 1.0
        for allocation, probability in coherence.combine(probabilities, context, top=top):
            reasons = self._explainer.explain(allocation, context, estimate=estimate)
            _add_draft(drafts, allocation, open_share * scale * probability, base_source, LEARNED_TIER, reasons)

        suggestions = self._calibrated(_rank(drafts), top)
        logger.debug("item %s: %s", context.item.key,
                     ", ".join(f"{s.allocation.label()} {s.confidence:.2f} {s.source}" for s in suggestions))
        return suggestions

    def _estimate(self, contexts: list[ItemContext]) -> list[tuple[FieldProbabilities, ColdStartEstimate | None]]:
        """Return the field probabilities from the model, or from the cold start with its evidence, per item."""
        if self._model is None:
            estimates = [self._cold_start.estimate(context) for context in contexts]
            return [(estimate.probabilities, estimate) for estimate in estimates]

        predicted = self._model.predict(contexts) if contexts else []
        return [(replace(probabilities, project=self._clues.apply(probabilities.project, context)), None)
                for context, probabilities in zip(contexts, predicted)]

    def _add(self, item: ReportItem, allocation: Allocation, *, by_person: bool) -> Allocation:
        """Store a decided item and return its allocation with the VAT code resolved."""
        allocation = self._with_tax_code(allocation)
        context = self._contexts.build(item)
        old = self._examples.get(item.key)
        # Relearning a person's decision as history keeps its weight, as the memory does.
        by_person = by_person or (old is not None and old.by_person and old.allocation == allocation)
        self._examples[item.key] = _Example(context, allocation, by_person)
        self._memory.add(context, allocation, by_person=by_person)
        return allocation

    def _calibrated(self, ranked: list[tuple[int, Suggestion]], top: int) -> list[Suggestion]:
        """Map raw confidences to calibrated ones and keep the ``top`` best, tier first.

        Within a tier, calibrated suggestions are ranked by confidence alone,
        because the calibration measured how often each source was right at
        its level. So a memory of imported history that the replay found
        wrong as often as not no longer outranks a confident model. A person's
        decision and a rule keep their tiers above everything learned. The
        cold start stays capped, so it is always marked low confidence. The
        confidences sum to at most 1 and the first one keeps its value.
        """
        if not self.calibrator.fitted or not ranked:
            return [suggestion for _, suggestion in ranked[:top]]

        tiered = []
        for tier, suggestion in ranked:
            confidence = self.calibrator.apply(suggestion.source, suggestion.confidence)
            if suggestion.source == "cold_start":
                confidence = min(confidence, CONFIDENCE_CAPS["cold_start"])
            tiered.append((tier, replace(suggestion, raw_confidence=suggestion.confidence, confidence=confidence)))
        # sorted() is stable, so equal confidences keep the order of source precedence.
        tiered.sort(key=lambda entry: (entry[0], -entry[1].confidence))
        calibrated = [suggestion for _, suggestion in tiered[:top]]

        rest = sum(suggestion.confidence for suggestion in calibrated[1:])
        room = 1.0 - calibrated[0].confidence
        if rest > room:
            factor = room / rest
            calibrated[1:] = [replace(suggestion, confidence=suggestion.confidence * factor)
                              for suggestion in calibrated[1:]]
        return calibrated

    def _with_recent_projects(self, context: ItemContext) -> ItemContext:
        return replace(context, recent_projects=self._memory.recent_projects(context))

    def _with_tax_code(self, allocation: Allocation) -> Allocation:
        """Resolve an empty VAT code to the account's default, and a project of "" to None."""
        tax_code = allocation.tax_code
        if not tax_code:
            account = self.master.accounts.get(allocation.account)
            tax_code = (account.default_tax_code or "") if account else ""
        return Allocation(allocation.cost_center, allocation.project or None, allocation.account, tax_code)

    def _version(self) -> str:
        digest = hashlib.sha256(str(self._learn_count).encode())
        for key in sorted(self._examples):
            digest.update(f"\n{key}\t{self._examples[key].allocation.label()}".encode())
        return f"m-{len(self._examples)}-{digest.hexdigest()[:8]}"


def _add_draft(drafts: dict[Allocation, _Draft], allocation: Allocation, confidence: float, source: str,
               tier: int, reasons: list[Reason]) -> None:
    draft = drafts.get(allocation)
    if draft is None:
        drafts[allocation] = _Draft(confidence, source, tier, list(reasons))
        return

    draft.confidence += confidence
    draft.tier = min(draft.tier, tier)
    for reason in reasons:
        if reason not in draft.reasons:
            draft.reasons.append(reason)


def _rank(drafts: dict[Allocation, _Draft]) -> list[tuple[int, Suggestion]]:
    ranked = sorted(drafts.items(), key=lambda entry: (_PRECEDENCE.index(entry[1].source), -entry[1].confidence))
    return [
        (draft.tier, Suggestion(
            allocation=allocation,
            confidence=min(draft.confidence, CONFIDENCE_CAPS[draft.source]),
            reasons=tuple(draft.reasons[:MAX_REASONS]),
            source=draft.source,
        ))
        for allocation, draft in ranked
    ]
