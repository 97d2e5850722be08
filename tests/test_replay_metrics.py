"""The replay's schedule and the metrics computed from its steps, on hand-built steps and a stub classifier."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import PolicySettings
from bot.masterdata import parse_master_data
from bot.nlp.calibration import MAX_CONFIDENCE, Calibrator
from bot.nlp.metrics import curve_points, replay_metrics, window_metrics
from bot.nlp.replay import SCORED_FIELDS, Replay, ReplayStep
from bot.records import Allocation, ReportItem, Suggestion

TRUTH = Allocation("400", None, "6551", "1")
WRONG_ACCOUNT = Allocation("400", None, "6800", "1")
WRONG_COST_CENTER = Allocation("100", None, "6551", "1")
WRONG_TAX_CODE = Allocation("400", None, "6551", "14")

_lines = itertools.count(2)


def make_item(order_date: date = date(2026, 10, 1), **changes) -> ReportItem:
    line = next(_lines)
    values = dict(
        source="report.csv", line=line, order_id=f"302-0000000-{line:07d}", order_date=order_date,
        currency="NOK", title="Logitech MX Master 3S kabellose Maus", quantity=1, unit_price=Decimal("249.00"),
        net_total=Decimal("249.00"), account_user_email="ola.hansen@example.no", asin="B09HM94VDS",
    )
    values.update(changes)
    return ReportItem(**values)


def make_step(position: int, *suggested: Allocation, auto: bool = False, confidence: float = 0.9,
              scored: tuple[str, ...] = SCORED_FIELDS) -> ReplayStep:
    """Build the step of an item whose truth is TRUTH and whose suggestions are ``suggested``, best first."""
    suggestions = tuple(Suggestion(allocation, confidence if rank == 0 else 0.01)
                        for rank, allocation in enumerate(suggested))
    top = suggested[0] if suggested else None
    fields_right = {name: top is not None and getattr(top, name) == getattr(TRUTH, name) for name in scored}
    return ReplayStep(position, make_item(), TRUTH, suggestions, auto, auto, fields_right, "m-test")


def steps_of(kinds: str, auto: str = "") -> list[ReplayStep]:
    """Build steps from one letter per item: R right, T truth second, A wrong account, C wrong cost center.

    ``auto`` has one letter per item, "b" where the policy would book it.
    """
    suggested = {"R": (TRUTH,), "T": (WRONG_ACCOUNT, TRUTH), "A": (WRONG_ACCOUNT,), "C": (WRONG_COST_CENTER,)}
    auto = auto.ljust(len(kinds), "-")
    return [make_step(position, *suggested[kind], auto=auto[position - 1] == "b")
            for position, kind in enumerate(kinds, start=1)]


# --- curve_points -------------------------------------------------------------------


@pytest.mark.parametrize(("items", "points"), [
    (0, []),
    (149, []),
    (150, [50]),
    (199, [50]),
    (200, [50, 100]),
    (1099, [50, 100, 200, 300, 500]),
    (1100, [50, 100, 200, 300, 500, 1000]),
    (2500, [50, 100, 200, 300, 500, 1000, 2000]),
    (3100, [50, 100, 200, 300, 500, 1000, 2000, 3000]),
])
def test_curve_points(items, points):
    assert curve_points(items) == points


# --- replay_metrics -----------------------------------------------------------------


def test_metrics_accuracy():
    metrics = replay_metrics(steps_of("RRRRRRTTAC"))

    assert metrics["items"] == 10
    assert metrics["accuracy"] == 0.6


def test_metrics_per_field():
    fields = replay_metrics(steps_of("RRRRRRTTAC"))["fields"]

    assert fields == {"cost_center": 0.9, "project": 1.0, "account": 0.7, "tax_code": 1.0}


def test_metrics_top3():
    # T items have the truth second, A and C items not at all.
    assert replay_metrics(steps_of("RRRRRRTTAC"))["top3_accuracy"] == 0.8


def test_metrics_no_suggestion_wrong():
    metrics = replay_metrics([make_step(1, TRUTH), make_step(2)])

    assert metrics["accuracy"] == 0.5
    assert metrics["top3_accuracy"] == 0.5


def test_metrics_questions_per_100():
    # 3 of 8 items booked, so 5 of 8 needed someone.
    metrics = replay_metrics(steps_of("RRRRRRRR", auto="bb-b"))

    assert metrics["questions_per_100"] == 62.5


def test_metrics_calibration_error():
    steps = [make_step(position, TRUTH if position % 2 else WRONG_ACCOUNT, confidence=0.9)
             for position in range(1, 11)]

    assert replay_metrics(steps)["calibration_error"] == pytest.approx(0.4)


def test_metrics_unscored_field_ignored():
    scored = ("cost_center", "project", "account")
    steps = [make_step(1, WRONG_TAX_CODE, scored=scored), make_step(2, WRONG_ACCOUNT, scored=scored)]

    metrics = replay_metrics(steps)

    assert list(metrics["fields"]) == list(scored)
    assert metrics["accuracy"] == 0.5
    assert metrics["top3_accuracy"] == 0.5


def test_metrics_shares_rounded():
    assert replay_metrics(steps_of("RRA"))["accuracy"] == 0.6667


def test_metrics_empty_replay():
    metrics = replay_metrics([])

    assert metrics["items"] == 0
    assert metrics["accuracy"] == 0.0
    assert metrics["learning_curve"] == []


def test_window_scores_next_hundred():
    # Items 1-50 wrong, 51-150 right, 151-160 wrong.
    steps = steps_of("A" * 50 + "R" * 100 + "A" * 10)

    after_50 = window_metrics(steps, 50)
    after_100 = window_metrics(steps, 100)

    assert after_50["after"] == 50
    assert after_50["accuracy"] == 1.0
    assert after_100["accuracy"] == round(50 / 60, 4)


def test_window_auto_share_and_precision():
    # Of items 51-150, the policy would book 51-60, and 51-57 of those are right.
    kinds = "R" * 50 + "R" * 7 + "A" * 3 + "R" * 90
    auto = "-" * 50 + "b" * 10
    point = window_metrics(steps_of(kinds, auto), 50)

    assert point["auto_share"] == 0.1
    assert point["auto_precision"] == 0.7


def test_window_top3():
    point = window_metrics(steps_of("A" * 50 + "T" * 40 + "R" * 60), 50)

    assert point["accuracy"] == 0.6
    assert point["top3_accuracy"] == 1.0


def test_window_nothing_booked_precision_none():
    point = window_metrics(steps_of("R" * 160, auto="b" * 100), 100)

    assert point["auto_share"] == 0.0
    assert point["auto_precision"] is None


def test_metrics_curve_positions():
    curve = replay_metrics(steps_of("R" * 210))["learning_curve"]

    assert [point["after"] for point in curve] == [50, 100]


def test_metrics_json_keys():
    metrics = replay_metrics(steps_of("R" * 160, auto="b" * 60))

    assert set(metrics) == {"items", "accuracy", "fields", "top3_accuracy", "calibration_error",
                            "questions_per_100", "learning_curve"}
    assert set(metrics["learning_curve"][0]) == {"after", "accuracy", "top3_accuracy", "auto_share",
                                                 "auto_precision"}
    assert json.loads(json.dumps(metrics)) == metrics


# --- Replay with a stub classifier -------------------------------------------------

MASTER = parse_master_data(
    {
        "cost_centers": [
            {"code": "100", "name": "Administrasjon"},
            {"code": "400", "name": "IT"},
        ],
        "accounts": [
            {"number": "6551", "name": "Datautstyr", "default_tax_code": "1"},
            {"number": "6800", "name": "Kontorrekvisita", "default_tax_code": "1"},
        ],
        "tax_codes": [{"code": "1", "name": "Inngående mva, høy sats", "rate": 25},
                      {"code": "14", "name": "Inngående mva betalt ved innførsel", "rate": 25}],
        "employees": [{"email": "ola.hansen@example.no", "name": "Ola Hansen", "cost_center": "400"}],
    },
    Path("test.toml"),
)


class StubLearner:
    """A classifier that suggests fixed allocations and records what the replay does to it.

    With ``echo`` it suggests the allocation it learned last instead.
    """

    def __init__(self, *suggested: Allocation, echo: bool = False, confidence: float = 0.9) -> None:
        self.version = "stub-0"
        self.calibrator = Calibrator()
        self.threshold: float | None = None
        self.suggested = suggested
        self.echo = echo
        self.confidence = confidence
        self.remembered: list[str] = []
        self.recorded: list[str] = []
        self.refits_at: list[int] = []
        self.thresholds_seen: list[float | None] = []

    def suggest(self, item: ReportItem, top: int = 3) -> list[Suggestion]:
        self.thresholds_seen.append(self.threshold)
        return [Suggestion(allocation, self.confidence) for allocation in self.suggested[:top]]

    def remember(self, item: ReportItem, allocation: Allocation) -> None:
        self.remembered.append(item.key)
        self._learned(allocation)

    def record(self, item: ReportItem, allocation: Allocation) -> None:
        self.recorded.append(item.key)
        self._learned(allocation)

    def learn(self, examples) -> None:
        self.refits_at.append(len(self.remembered) + len(self.recorded))
        self.version = f"stub-{len(self.refits_at)}"

    def _learned(self, allocation: Allocation) -> None:
        if self.echo:
            self.suggested = (allocation,)


def replay(learner: StubLearner, **options) -> Replay:
    return Replay(learner, MASTER, PolicySettings(), amount_in_nok=lambda item: item.net_total, **options)


def dated(count: int, allocation: Allocation = TRUTH) -> list[tuple[ReportItem, Allocation]]:
    """Return ``count`` examples on consecutive days, oldest first."""
    return [(make_item(date(2026, 6, 1) + timedelta(days=index)), allocation) for index in range(count)]


def test_replay_orders_by_date():
    later, earlier, same_day = make_item(date(2026, 9, 2)), make_item(date(2026, 9, 1)), make_item(date(2026, 9, 2))
    examples = [(later, TRUTH), (earlier, TRUTH), (same_day, TRUTH)]

    steps = replay(StubLearner(TRUTH)).run(examples)

    assert [step.item for step in steps] == [earlier, later, same_day]
    assert [step.position for step in steps] == [1, 2, 3]


def test_replay_predicts_before_learning():
    # Each item is predicted from the one before it: right where the allocation repeats.
    truths = [TRUTH, TRUTH, WRONG_ACCOUNT, WRONG_ACCOUNT, WRONG_ACCOUNT, TRUTH]
    examples = [(make_item(date(2026, 6, day)), truth) for day, truth in enumerate(truths, start=1)]

    steps = replay(StubLearner(WRONG_COST_CENTER, echo=True)).run(examples)

    assert [step.right for step in steps] == [False, True, False, True, True, False]


def test_replay_answers_remembered_rest_recorded():
    examples = dated(4)
    answered = {examples[1][0].key, examples[3][0].key}
    learner = StubLearner(TRUTH)

    replay(learner).run(examples, answers=answered)

    assert set(learner.remembered) == answered
    assert learner.recorded == [examples[0][0].key, examples[2][0].key]


def test_replay_all_answers_by_default():
    learner = StubLearner(TRUTH)

    replay(learner).run(dated(3))

    assert len(learner.remembered) == 3
    assert learner.recorded == []


def test_replay_truth_gets_default_tax_code():
    steps = replay(StubLearner(TRUTH)).run([(make_item(), Allocation("400", None, "6551", ""))])

    assert steps[0].truth == TRUTH
    assert steps[0].right


def test_replay_scores_named_fields():
    steps = replay(StubLearner(WRONG_TAX_CODE), scored=("cost_center", "account")).run(dated(1))

    assert steps[0].fields_right == {"cost_center": True, "account": True}
    assert steps[0].right


def test_replay_top3_right():
    step = replay(StubLearner(WRONG_ACCOUNT, TRUTH)).run(dated(1))[0]

    assert not step.right
    assert step.top3_right


def test_replay_refit_schedule():
    # Every 25 items until 25 % of the items known at the last fit is more. So the
    # refit after 100 comes 25 later, after 125 it needs 32 (> 31.25), after 157 it needs 40 (> 39.25).
    learner = StubLearner(TRUTH)

    replay(learner, retrain_after=25).run(dated(200))

    assert learner.refits_at == [25, 50, 75, 100, 125, 157, 197]


def test_replay_finish_refits_on_all():
    learner = StubLearner(TRUTH)
    schedule = replay(learner, retrain_after=25)
    schedule.run(dated(60))

    schedule.finish()

    assert learner.refits_at == [25, 50, 60]


def test_replay_step_names_model_version():
    steps = replay(StubLearner(TRUTH), retrain_after=2).run(dated(3))

    assert [step.model_version for step in steps] == ["stub-0", "stub-0", "stub-1"]


def test_replay_threshold_schedule():
    # Calibration runs after every 25 items on the predictions after the first 50:
    # after item 75 there are 25 booked candidates (enough for a threshold, too few
    # to calibrate), after item 100 there are 50 (enough for both).
    learner = StubLearner(TRUTH, confidence=0.9)

    replay(learner, retrain_after=25).run(dated(110))

    assert set(learner.thresholds_seen[:75]) == {None}
    assert set(learner.thresholds_seen[75:100]) == {0.9}
    assert set(learner.thresholds_seen[100:]) == {MAX_CONFIDENCE}


def test_replay_warmup_not_calibrated():
    # The first 50 items are all wrong, but only the right ones after them are calibrated on.
    learner = StubLearner(TRUTH, confidence=0.9)
    examples = dated(50, WRONG_ACCOUNT) + [(make_item(date(2026, 9, 1) + timedelta(days=day)), TRUTH)
                                          for day in range(50)]

    replay(learner, retrain_after=25).run(examples)

    assert learner.calibrator.fitted
    assert learner.calibrator.apply("model", 0.9) == MAX_CONFIDENCE


def test_replay_auto_follows_threshold():
    # The stub does not calibrate its 0.9, so the threshold 0.995 from item 101 on books nothing.
    steps = replay(StubLearner(TRUTH, confidence=0.9), retrain_after=25).run(dated(110))

    assert all(step.auto for step in steps[:100])
    assert not any(step.auto for step in steps[100:])


def test_replay_approval_not_bookable():
    # At or above the review threshold (NOK 5 000) an item always needs an approval.
    expensive = make_item(net_total=Decimal("5000.00"), unit_price=Decimal("5000.00"))

    step = replay(StubLearner(TRUTH, confidence=0.9)).run([(expensive, TRUTH)])[0]

    assert not step.auto
    assert not step.bookable
