"""The learned model: shared features and one classifier head per field.

Cost center, project, account and VAT code are predicted by separate
classifiers on the same sparse features. One joint label per combination
would split the history into classes too small to learn. Coherence joins
the heads' probabilities afterwards.

The heads are multinomial logistic regressions. ``ESTIMATORS`` also offers
the alternatives that ``bench/bench_model.py`` compares them with: k nearest
neighbours by cosine similarity, a linear SVM whose scores are calibrated
by Platt scaling, and complement naive Bayes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from scipy.sparse import hstack, spmatrix
from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from bot.nlp.coherence import NO_PROJECT, FieldProbabilities
from bot.nlp.context import ItemContext
from bot.nlp.features import build_features
from bot.records import Allocation

logger = logging.getLogger(__name__)

FIELDS = ("cost_center", "project", "account", "tax_code")

# Feature steps that read the title and nothing else.
TITLE_STEPS = ("words", "chars")

# Inverse regularization strength of every head, and the solver's tolerance.
# In a replay of the sample company's 1 565 items, C=3 with tol=1e-3 was as
# accurate as C=10 with the default 1e-4 (84.0 % both) and refit in 40 % of
# the time.
REGULARIZATION_C = 3.0
TOLERANCE = 1e-3

# Neighbours of the kNN alternative; the folds of the SVM's Platt scaling.
NEIGHBOURS = 10
CALIBRATION_FOLDS = 3


def _logistic() -> ClassifierMixin:
    # Newton-CG converges in about ten iterations on these sparse features:
    # 0.2 s against 0.6 s for lbfgs on the account head of 1 565 sample items.
    return LogisticRegression(C=REGULARIZATION_C, solver="newton-cg", max_iter=200, tol=TOLERANCE)


def _knn() -> ClassifierMixin:
    return KNeighborsClassifier(n_neighbors=NEIGHBOURS, metric="cosine", weights="distance", algorithm="brute")


def _svm() -> ClassifierMixin:
    return CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=CALIBRATION_FOLDS)


def _complement_nb() -> ClassifierMixin:
    return ComplementNB(alpha=1.0)


ESTIMATORS = {"logistic": _logistic, "knn": _knn, "svm": _svm, "complement_nb": _complement_nb}


class Head:
    """A classifier for one field.

    A field with a single value in the history gets a constant head whose
    probability follows Laplace's rule of succession, (n + 1) / (n + 2) after
    n examples, instead of a certain 1.0.
    """

    def __init__(self, name: str, estimator: str = "logistic") -> None:
        self.name = name
        self.estimator = estimator
        self._model: ClassifierMixin | None = None
        self._constant: tuple[str, float] | None = None

    def fit(self, features: spmatrix, labels: Sequence[str], weights: Sequence[float] | None = None) -> None:
        values = sorted(set(labels))
        if len(values) == 1:
            count = len(labels)
            self._constant = (values[0], (count + 1) / (count + 2))
            self._model = None
            return

        self._model = ESTIMATORS[self.estimator]()
        if self.estimator == "knn":
            # Neighbours vote by distance only; a person's weight shows in the memory instead.
            self._model.fit(features, list(labels))
        elif self.estimator == "svm" and min(labels.count(value) for value in values) < CALIBRATION_FOLDS:
            # Platt scaling needs every class in every fold; rare classes fall back to the logistic head.
            self._model = _logistic()
            self._model.fit(features, list(labels), sample_weight=weights)
        else:
            self._model.fit(features, list(labels), sample_weight=weights)
        self._constant = None

    def probabilities(self, features: spmatrix) -> list[dict[str, float]]:
        """Return, per row, each known value of the field with its probability."""
        if self._constant is not None:
            value, probability = self._constant
            return [{value: probability} for _ in range(features.shape[0])]
        if self._model is None:
            raise RuntimeError(f"head {self.name} is not fitted; call fit() first")

        classes = [str(value) for value in self._model.classes_]
        if isinstance(self._model, LogisticRegression):
            rows = _logistic_probabilities(self._model, features)
        else:
            rows = self._model.predict_proba(features)
        return [dict(zip(classes, row.tolist())) for row in rows]


class Model:
    """Features and the four heads, fitted together on decided items."""

    def __init__(self, estimator: str = "logistic") -> None:
        self.features = build_features()
        self.heads = {name: Head(name, estimator) for name in FIELDS}

    def fit(self, contexts: Sequence[ItemContext], allocations: Sequence[Allocation],
            weights: Sequence[float] | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        """Fit features and heads, each item weighed by ``weights`` (default 1).

        ``progress`` gets (steps done, 5): features, then one step per head.
        """
        steps = 1 + len(self.heads)
        matrix = self.features.fit_transform(list(contexts))
        logger.debug("feature matrix %d x %d, %d non-zero", matrix.shape[0], matrix.shape[1], matrix.nnz)
        if progress:
            progress(1, steps)

        for done, (name, head) in enumerate(self.heads.items(), start=2):
            head.fit(matrix, [_field_value(allocation, name) for allocation in allocations], weights)
            if progress:
                progress(done, steps)

    def predict(self, contexts: Sequence[ItemContext]) -> list[FieldProbabilities]:
        """Return the field probabilities for each item, in order."""
        # The same columns as self.features.transform, without FeatureUnion's
        # per-call overhead, which took longer than the heads for one item.
        # The title steps run once per distinct title, because bulk orders
        # repeat products and the character n-grams are the costliest step.
        contexts = list(contexts)
        first_with_title: dict[str, int] = {}
        distinct: list[ItemContext] = []
        rows = []
        for context in contexts:
            title = context.item.title
            if title not in first_with_title:
                first_with_title[title] = len(distinct)
                distinct.append(context)
            rows.append(first_with_title[title])

        blocks = []
        for name, step in self.features.transformer_list:
            if name in TITLE_STEPS:
                blocks.append(step.transform(distinct)[rows])
            else:
                blocks.append(step.transform(contexts))
        matrix = hstack(blocks).tocsr()
        per_head = {name: head.probabilities(matrix) for name, head in self.heads.items()}
        return [
            FieldProbabilities(
                cost_center=per_head["cost_center"][row],
                project=per_head["project"][row],
                account=per_head["account"][row],
                tax_code=per_head["tax_code"][row],
            )
            for row in range(len(contexts))
        ]


def _logistic_probabilities(model: LogisticRegression, features: spmatrix) -> np.ndarray:
    """Return what ``model.predict_proba`` returns, without its input validation.

    A binary model has one row of coefficients and a logistic link; a
    multinomial one has a row per class and a softmax.
    """
    scores = features @ model.coef_.T + model.intercept_
    if scores.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    scores -= scores.max(axis=1, keepdims=True)
    exponentials = np.exp(scores)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _field_value(allocation: Allocation, name: str) -> str:
    if name == "project":
        return allocation.project or NO_PROJECT
    return getattr(allocation, name)
