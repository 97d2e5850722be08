"""Baseline learners that the allocation model is measured against.

Each implements the ``Learner`` protocol of ``bot.nlp.replay``, so ``Replay``
runs them exactly as it runs the product's ``Classifier``: it requests
suggestions before an item's allocation is known, teaches the allocation
afterwards, calls ``learn`` on its refit schedule and sets ``calibrator`` and
``threshold`` from the replay's own earlier predictions.

- ``MostFrequentPerRequester``: the allocation the requester got most often
  so far, or the most frequent one overall for an unknown requester.
- ``TitleSvm``: word 1- and 2-grams of the title (TF-IDF) and a linear SVM
  over the whole allocation as one label, the approach of open-source
  ledger importers such as smart_importer for beancount.
- ``RulesOnly``: the product's classifier that never learns, so every
  suggestion comes from the cold start on master data and the configured
  keyword rules.

The first two return suggestions with source "model" and map their raw
scores through the replay's calibrator, as the product's classifier does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.masterdata import MasterData
from bot.nlp.calibration import Calibrator
from bot.nlp.classifier import Classifier
from bot.records import Allocation, ReportItem, Suggestion

SOURCE = "model"

# Regularization of the title SVM: scikit-learn's default, not tuned, as an
# importer that ships one setting for every ledger would use it.
SVM_C = 1.0


class _CountingLearner:
    """Decided items keyed by ``ReportItem.key``, as the classifier keeps them.

    An item taught again replaces its earlier allocation. ``record`` and
    ``remember`` are the same here: the baselines do not weigh a person's
    answer above imported history.
    """

    name = "baseline"

    def __init__(self, master: MasterData) -> None:
        self.master = master
        self.version = f"{self.name}-0"
        self.calibrator = Calibrator()
        self.threshold: float | None = None
        self._examples: dict[str, tuple[ReportItem, Allocation]] = {}

    def remember(self, item: ReportItem, allocation: Allocation) -> None:
        self._add(item, allocation)

    def record(self, item: ReportItem, allocation: Allocation) -> None:
        self._add(item, allocation)

    def learn(self, examples: Sequence[tuple[ReportItem, Allocation]]) -> None:
        """Add ``examples``, then refit on every decided item known so far."""
        for item, allocation in examples:
            self._add(item, allocation)
        self._fit()
        self.version = f"{self.name}-{len(self._examples)}"

    def _add(self, item: ReportItem, allocation: Allocation) -> None:
        resolved = self.master.with_default_tax_code(allocation)
        resolved = Allocation(resolved.cost_center, resolved.project or None, resolved.account, resolved.tax_code)
        old = self._examples.get(item.key)
        self._examples[item.key] = (item, resolved)
        self._changed(item, old[1] if old else None, resolved)

    def _changed(self, item: ReportItem, old: Allocation | None, new: Allocation) -> None:
        """React to a decided item at once. Subclasses that learn only in ``_fit`` leave this empty."""

    def _fit(self) -> None:
        """Refit on ``self._examples``. Subclasses that count at once leave this empty."""

    def _suggestions(self, ranked: Sequence[tuple[Allocation, float]]) -> list[Suggestion]:
        """Turn (allocation, raw score) pairs, best first, into calibrated suggestions.

        As in the product's classifier, the top suggestion gets its
        calibrated confidence and the others are scaled down when needed, so
        that the confidences sum to at most 1.
        """
        suggestions = [Suggestion(allocation, score, source=SOURCE) for allocation, score in ranked]
        if not self.calibrator.fitted or not suggestions:
            return suggestions

        calibrated = [Suggestion(s.allocation, self.calibrator.apply(SOURCE, s.confidence), source=SOURCE,
                                 raw_confidence=s.confidence)
                      for s in suggestions]
        rest = sum(s.confidence for s in calibrated[1:])
        room = 1.0 - calibrated[0].confidence
        if rest > room:
            factor = room / rest
            calibrated[1:] = [Suggestion(s.allocation, s.confidence * factor, source=SOURCE,
                                         raw_confidence=s.raw_confidence)
                              for s in calibrated[1:]]
        return calibrated


class MostFrequentPerRequester(_CountingLearner):
    """Suggest the requester's most frequent allocations so far, with their share as the score.

    The counts change with every decided item, without waiting for
    ``learn``. A requester with no decided items gets the company-wide
    counts.
    """

    name = "most-frequent"

    def __init__(self, master: MasterData) -> None:
        super().__init__(master)
        self._overall: Counter[Allocation] = Counter()
        self._by_requester: dict[str, Counter[Allocation]] = {}

    def suggest(self, item: ReportItem, top: int = 3) -> list[Suggestion]:
        counts = self._by_requester.get(_requester(item)) or self._overall
        total = sum(counts.values())
        if not total:
            return []
        return self._suggestions([(allocation, count / total) for allocation, count in counts.most_common(top)])

    def _changed(self, item: ReportItem, old: Allocation | None, new: Allocation) -> None:
        counts = self._by_requester.setdefault(_requester(item), Counter())
        if old is not None:
            _decrement(counts, old)
            _decrement(self._overall, old)
        counts[new] += 1
        self._overall[new] += 1


class TitleSvm(_CountingLearner):
    """A linear SVM over title word 1- and 2-grams with the whole allocation as its label.

    It suggests nothing until the first ``learn`` with two or more distinct
    allocations. Raw scores are a softmax of the one-vs-rest decision
    values. Their scale is arbitrary, and only their order counts once the
    replay has fitted the calibrator. ``CalibratedClassifierCV`` is not
    used, because it needs every class in every fold, and most whole
    allocations occur only once or twice in the first few hundred items.
    """

    name = "title-svm"

    def __init__(self, master: MasterData) -> None:
        super().__init__(master)
        self._vectorizer: TfidfVectorizer | None = None
        self._svm: LinearSVC | None = None
        self._classes: list[Allocation] = []

    def suggest(self, item: ReportItem, top: int = 3) -> list[Suggestion]:
        if self._svm is None or self._vectorizer is None:
            return []
        scores = self._svm.decision_function(self._vectorizer.transform([item.title]))[0]
        if np.ndim(scores) == 0:
            # A binary SVM returns one score, positive for the second class.
            scores = np.array([-scores, scores])
        scores = np.asarray(scores, dtype=float)
        exponentials = np.exp(scores - scores.max())
        probabilities = exponentials / exponentials.sum()
        best = np.argsort(-probabilities)[:top]
        return self._suggestions([(self._classes[self._svm.classes_[index]], float(probabilities[index]))
                                  for index in best])

    def _fit(self) -> None:
        allocations = [allocation for _, allocation in self._examples.values()]
        classes = sorted(set(allocations), key=Allocation.label)
        if len(classes) < 2:
            return
        index = {allocation: position for position, allocation in enumerate(classes)}

        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        features = vectorizer.fit_transform([item.title for item, _ in self._examples.values()])
        # A fixed seed, because liblinear shuffles the examples and would make replays differ slightly.
        svm = LinearSVC(C=SVM_C, random_state=0)
        svm.fit(features, [index[allocation] for allocation in allocations])
        self._vectorizer, self._svm, self._classes = vectorizer, svm, classes


class RulesOnly(Classifier):
    """The product's classifier without memory or model: cold start and configured rules only.

    ``learn``, ``remember`` and ``record`` keep nothing, so every suggestion
    has the source "cold_start" or "rule", as a new installation gives
    before any history is imported.
    """

    def learn(self, examples: Sequence[tuple[ReportItem, Allocation]],
              progress: Callable[[int, int], None] | None = None) -> None:
        self.version = "rules-only"

    def remember(self, item: ReportItem, allocation: Allocation) -> None:
        pass

    def record(self, item: ReportItem, allocation: Allocation) -> None:
        pass


def _decrement(counts: Counter[Allocation], allocation: Allocation) -> None:
    """Count one fewer, dropping a count that reaches 0 so that ``most_common`` never ranks it."""
    counts[allocation] -= 1
    if counts[allocation] <= 0:
        del counts[allocation]


def _requester(item: ReportItem) -> str:
    return (item.account_user_email or "").strip().lower()
