"""Replay the generated companies through the allocation model, its alternatives and three baselines.

    python bench/bench_model.py [--company nordlys|havrekorn|both] [--models NAME ...] [--quick]
                                [--targets 0.98 0.95] [--havrekorn-items N] [--json OUT] [--workdir DIR]

Every learner runs through the same ``Replay`` that ``allocbot evaluate``
uses, with the default settings: no configured rules, a refit after 25
new items and the policy's default review threshold. Each run is scored twice:
against the file's labels, which is the official metric, and against the
labels without the controller's slips (see ``companies``), with the same
predictions and the same automatic bookings. The auto-booking threshold
depends on ``policy.target_precision``, so each target gets its own replay.
The predictions do not depend on it, and the script checks that they agree.

The learners:

- logistic, knn, svm: the product's classifier with each estimator of
  ``bot.nlp.model.ESTIMATORS`` (logistic is the product's default),
- complement-nb: the same classifier with complement naive Bayes heads,
- most-frequent, title-svm, rules-only: the baselines in ``baselines``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.config import PolicySettings
from bot.masterdata import MasterData
from bot.nlp.classifier import Classifier
from bot.nlp.metrics import replay_metrics
from bot.nlp.replay import Learner, Replay, ReplayStep
from bot.rates import approximate_nok
from bot.records import Allocation

# bench/ is not a package: running a script as `python bench/NAME.py` puts this folder on sys.path.
from baselines import MostFrequentPerRequester, RulesOnly, TitleSvm
from companies import COMPANIES, HAVREKORN_ITEMS, BenchCompany, load_company
from environment import describe_code, describe_machine

log = logging.getLogger("bench_model")

REPO_ROOT = Path(__file__).resolve().parent.parent

BASELINES = ("most-frequent", "title-svm", "rules-only")
MODELS = ("logistic", "knn", "svm", "complement-nb", *BASELINES)
QUICK_MODELS = ("logistic", *BASELINES)
TARGET_PRECISIONS = (0.98, 0.95)

# The curve points the tables show, and the ones with automatic bookings.
ACCURACY_POINTS = (100, 300, 500, 1000)
AUTO_POINTS = (300, 500)

# Categories listed in the error breakdown, most errors first.
TOP_CATEGORIES = 8

@dataclass(frozen=True)
class LearnerSpec:
    """How to build one learner, and the estimator of its model heads when it is the product's classifier."""

    build: Callable[[MasterData], Learner]
    estimator: str | None = None


LEARNERS = {
    "logistic": LearnerSpec(Classifier, "logistic"),
    "knn": LearnerSpec(Classifier, "knn"),
    "svm": LearnerSpec(Classifier, "svm"),
    "complement-nb": LearnerSpec(Classifier, "complement_nb"),
    "most-frequent": LearnerSpec(MostFrequentPerRequester),
    "title-svm": LearnerSpec(TitleSvm),
    "rules-only": LearnerSpec(RulesOnly),
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_arguments(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    models = args.models or (QUICK_MODELS if args.quick else MODELS)
    companies = COMPANIES if args.company == "both" else (args.company,)

    results: dict[str, Any] = {
        "machine": describe_machine(),
        "code": describe_code(REPO_ROOT),
        "command": " ".join(["python", "bench/bench_model.py", *(argv if argv is not None else sys.argv[1:])]),
        "companies": {},
    }
    with tempfile.TemporaryDirectory(prefix="allocbot-bench-model-", dir=args.workdir) as workdir:
        for name in companies:
            company = load_company(name, Path(workdir), items=args.havrekorn_items)
            results["companies"][name] = bench_company(company, models, args.targets)
            print_company(name, results["companies"][name], args.targets)

    results["machine"]["load_average_at_end"] = describe_machine()["load_average"]
    results["code_at_end"] = describe_code(REPO_ROOT)
    if results["code_at_end"]["bot_digest"] != results["code"]["bot_digest"]:
        log.warning("bot/ changed during the run; the results may mix two versions of the code")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


def bench_company(company: BenchCompany, models: Sequence[str], targets: Sequence[float]) -> dict[str, Any]:
    """Replay every model once per target precision, and return their metrics against both label sets."""
    slips = company.slips()
    result: dict[str, Any] = {
        "items": len(company.items),
        "scored_fields": list(company.scored),
        "slips": slips,
        # A learner that reproduced the company's rules exactly would score this against the file's labels.
        "noise_ceiling": round(1 - slips / len(company.items), 4),
        "models": {},
    }
    for model in models:
        runs = {}
        first_tops: list[Allocation | None] | None = None
        for target in targets:
            steps, seconds = replay(company, model, target)
            tops = [step.suggestions[0].allocation if step.suggestions else None for step in steps]
            if first_tops is not None and tops != first_tops:
                log.warning("%s on %s: predictions differ between target precisions", model, company.name)
            first_tops = first_tops or tops
            clean_steps = rescore(steps, company.clean)
            runs[str(target)] = {
                "seconds": round(seconds, 1),
                "file_labels": replay_metrics(steps),
                "clean_labels": replay_metrics(clean_steps),
            }
            if target == targets[0]:
                runs["errors_against_clean_labels"] = error_breakdown(clean_steps)
            log.info("%s, %s, target %.2f: %.0f s, accuracy %.3f", company.name, model, target, seconds,
                     runs[str(target)]["file_labels"]["accuracy"])
        result["models"][model] = runs
    return result


def replay(company: BenchCompany, model: str, target_precision: float) -> tuple[list[ReplayStep], float]:
    """Replay the company's items through a new learner, and return the steps and the seconds taken."""
    spec = LEARNERS[model]
    policy = PolicySettings(target_precision=target_precision)
    started = time.perf_counter()
    learner = Classifier(company.master, estimator=spec.estimator) if spec.estimator else spec.build(company.master)
    steps = Replay(learner, company.master, policy, amount_in_nok=approximate_nok,
                   scored=company.scored).run(company.examples)
    return steps, time.perf_counter() - started


def rescore(steps: Sequence[ReplayStep], truths: dict[str, Allocation]) -> list[ReplayStep]:
    """Return the steps scored against other truths (by item key), with the same suggestions and bookings."""
    rescored = []
    for step in steps:
        truth = truths[step.item.key]
        top = step.suggestions[0].allocation if step.suggestions else None
        fields_right = {name: top is not None and getattr(top, name) == getattr(truth, name)
                        for name in step.fields_right}
        rescored.append(replace(step, truth=truth, fields_right=fields_right))
    return rescored


def error_breakdown(steps: Sequence[ReplayStep]) -> dict[str, Any]:
    """Count wrong items by the fields they got wrong, by the top suggestion's source and by product category."""
    wrong = [step for step in steps if not step.right]
    by_fields = Counter("+".join(name for name, right in step.fields_right.items() if not right) for step in wrong)
    by_source = Counter(step.suggestions[0].source if step.suggestions else "none" for step in wrong)
    by_category = Counter(step.item.product_category or "(none)" for step in wrong)
    items_by_source = Counter(step.suggestions[0].source if step.suggestions else "none" for step in steps)
    return {
        "items_wrong": len(wrong),
        "by_fields": dict(by_fields.most_common()),
        "by_source": {source: {"wrong": by_source[source], "items": count}
                      for source, count in items_by_source.most_common()},
        "by_category": dict(by_category.most_common(TOP_CATEGORIES)),
    }


def print_company(name: str, result: dict[str, Any], targets: Sequence[float]) -> None:
    """Print one company's results as Markdown tables: one per label set, then the margins to the baselines."""
    print(f"\n## {name}: {result['items']} items, {result['slips']} slips "
          f"(noise ceiling {result['noise_ceiling']:.1%} against the file's labels)")
    for labels in ("file_labels", "clean_labels"):
        print(f"\n### against {labels.replace('_', ' ')}\n")
        auto_headers = [f"{kind}@{point} ({target})" for target in targets for point in AUTO_POINTS
                        for kind in ("auto", "prec")]
        headers = ["model", "acc", *(f"@{point}" for point in ACCURACY_POINTS), "top3", "ECE", *auto_headers, "s"]
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for model, runs in result["models"].items():
            metrics = runs[str(targets[0])][labels]
            curve = {point["after"]: point for point in metrics["learning_curve"]}
            cells = [model, _percent(metrics["accuracy"])]
            cells += [_percent(curve[point]["accuracy"]) if point in curve else "–" for point in ACCURACY_POINTS]
            cells += [_percent(metrics["top3_accuracy"]), f"{metrics['calibration_error']:.3f}"]
            for target in targets:
                target_curve = {point["after"]: point for point in runs[str(target)][labels]["learning_curve"]}
                for point in AUTO_POINTS:
                    window = target_curve.get(point, {})
                    cells += [_percent(window.get("auto_share")), _percent(window.get("auto_precision"))]
            cells.append(f"{runs[str(targets[0])]['seconds']:.0f}")
            print("| " + " | ".join(cells) + " |")

    print_margins(result, targets[0])


def print_margins(result: dict[str, Any], target: float) -> None:
    """Print each non-baseline model's accuracy after 100 items minus the best baseline's, in points."""
    def after_100(model: str) -> float | None:
        curve = result["models"][model][str(target)]["file_labels"]["learning_curve"]
        return next((point["accuracy"] for point in curve if point["after"] == 100), None)

    baselines = {model: after_100(model) for model in result["models"] if model in BASELINES}
    known = {model: value for model, value in baselines.items() if value is not None}
    if not known:
        return
    best = max(known, key=known.get)
    print(f"\nbest baseline after 100 items (file labels): {best} {known[best]:.1%}")
    for model in result["models"]:
        value = after_100(model)
        if model not in BASELINES and value is not None:
            print(f"  {model}: {value:.1%}, {100 * (value - known[best]):+.1f} points")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--company", choices=(*COMPANIES, "both"), default="both", help="company to replay")
    parser.add_argument("--models", nargs="+", choices=MODELS, help=f"learners to replay (default: all of {MODELS})")
    parser.add_argument("--quick", action="store_true",
                        help=f"replay only {', '.join(QUICK_MODELS)} unless --models is given")
    parser.add_argument("--targets", nargs="+", type=float, default=list(TARGET_PRECISIONS),
                        help="policy.target_precision values, one replay each; the first is the headline "
                             "(default: 0.98 0.95)")
    parser.add_argument("--havrekorn-items", type=int, default=HAVREKORN_ITEMS,
                        help=f"items in Havrekorn's generated report (default: {HAVREKORN_ITEMS})")
    parser.add_argument("--json", type=Path, help="file to write all results to as JSON")
    parser.add_argument("--workdir", type=Path, help="folder for the generated files (default: the system's "
                                                     "temporary folder); they are deleted at the end")
    parser.add_argument("--verbose", action="store_true", help="log the replays' progress")
    args = parser.parse_args(argv)
    for target in args.targets:
        if not 0 < target <= 1:
            parser.error(f"--targets must be in (0, 1], got {target}")
    if args.havrekorn_items < 1:
        parser.error(f"--havrekorn-items must be at least 1, got {args.havrekorn_items}")
    return args


if __name__ == "__main__":
    sys.exit(main())
