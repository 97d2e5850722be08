"""Measure the allocation model's speed and memory on the second company's 10 000-item report.

    python bench/bench_speed.py [--items 10000] [--train-items 2000] [--trials 100] [--skip-evaluate]
                                [--json OUT] [--workdir DIR]

Three measurements:

1. Loading and suggesting: a classifier is trained on the first
   ``--train-items`` items as the product trains a version, by a replay
   and then a fit on all of them. It is saved with ``ModelVersions`` and
   loaded again, both in this process and in a new one, where the time
   includes the imports. The loaded classifier
   then suggests three allocations for every item of the report, the first
   ``--train-items`` of which it has learned.
2. Correction latency: ``remember`` a corrected allocation for one item,
   then ``suggest`` for a later item of the same product, requester and
   delivery address. The time of both calls together is the latency, and
   the correction counts as visible when it is the top suggestion. The
   memory recalls a decision only in the same situation (the next event
   among others), so a pair ordered weeks apart may rightly not show it.
3. ``allocbot evaluate`` on the whole report in a child process: wall
   time and peak resident memory, from ``/usr/bin/time -v`` where it exists.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import PolicySettings
from bot.nlp.classifier import Classifier
from bot.nlp.training import HISTORY, train_version
from bot.nlp.versions import ModelVersions, VersionInfo
from bot.rates import approximate_nok
from bot.records import Allocation, ReportItem

# bench/ is not a package: running a script as `python bench/NAME.py` puts this folder on sys.path.
from companies import BenchCompany, load_company
from environment import describe_code, describe_machine

REPO_ROOT = Path(__file__).resolve().parent.parent
TIME_COMMAND = Path("/usr/bin/time")

# The speed and memory targets that docs/benchmarks.md reports against.
SUGGEST_TARGET_SECONDS = 2.0
CORRECTION_TARGET_SECONDS = 0.1
EVALUATE_TARGET_SECONDS = 300.0
EVALUATE_TARGET_MIB = 1024.0

# Items whose single-item ``suggest`` is timed, for the per-item latency.
SINGLE_SUGGESTIONS = 500

# Run in a new process to time the imports and the load together. Its argument is the model folder.
_FRESH_LOAD = """
import sys
import time
from pathlib import Path

started = time.perf_counter()
from bot.nlp.versions import ModelVersions

ModelVersions(Path(sys.argv[1])).load()
print(time.perf_counter() - started)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_arguments(argv)
    results: dict[str, Any] = {
        "machine": describe_machine(),
        "code": describe_code(REPO_ROOT),
        "command": " ".join(["python", "bench/bench_speed.py", *(argv if argv is not None else sys.argv[1:])]),
    }

    with tempfile.TemporaryDirectory(prefix="allocbot-bench-speed-", dir=args.workdir) as folder:
        workdir = Path(folder)
        company = load_company("havrekorn", workdir, items=args.items, clean=False)
        ordered = sorted(company.items, key=lambda item: item.order_date)
        results["items"] = len(ordered)
        print(f"Havrekorn report: {len(ordered)} items; {describe_machine()}")

        classifier, results["load"] = train_save_load(company, ordered[:args.train_items], workdir / "models")
        _print_section("load", results["load"])
        results["suggest"] = time_suggestions(classifier, ordered)
        _print_section("suggest", results["suggest"])
        results["correction"] = time_corrections(classifier, ordered[args.train_items:], args.trials)
        _print_section("correction", results["correction"])
        if not args.skip_evaluate:
            results["evaluate"] = time_evaluate(company, workdir)
            _print_section("evaluate", results["evaluate"])

    results["machine"]["load_average_at_end"] = describe_machine()["load_average"]
    results["code_at_end"] = describe_code(REPO_ROOT)
    results["peak_rss_mib_this_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


def train_save_load(company: BenchCompany, training: Sequence[ReportItem],
                    folder: Path) -> tuple[Classifier, dict[str, Any]]:
    """Train and save a version on ``training``, load it, and return the loaded classifier and the timings."""
    started = time.perf_counter()
    classifier = Classifier(company.master)
    policy = PolicySettings()
    result = train_version(classifier, [(item, item.labels, HISTORY) for item in training], policy,
                           amount_in_nok=approximate_nok, retrain_after=25)
    trained = time.perf_counter() - started

    versions = ModelVersions(folder)
    info = VersionInfo.for_classifier(classifier, training_size=result.training_size,
                                      human_answers=result.human_answers, threshold=result.threshold,
                                      target_precision=policy.target_precision, metrics=result.metrics)
    versions.save(classifier, info)
    pickle_bytes = sum(path.stat().st_size for path in folder.glob("*.pkl"))

    started = time.perf_counter()
    loaded, _ = versions.load()
    load_seconds = time.perf_counter() - started

    fresh = subprocess.run([sys.executable, "-c", _FRESH_LOAD, str(folder)], check=True, capture_output=True,
                           text=True)
    return loaded, {
        "training_items": len(training),
        "train_seconds": round(trained, 2),
        "pickle_mib": round(pickle_bytes / 2**20, 1),
        "load_seconds_in_process": round(load_seconds, 3),
        "load_seconds_new_process_with_imports": round(float(fresh.stdout.strip().splitlines()[-1]), 2),
    }


def time_suggestions(classifier: Classifier, items: Sequence[ReportItem]) -> dict[str, Any]:
    """Time top-3 suggestions for all ``items`` in one call, and ``suggest`` item by item on a sample."""
    batch = getattr(classifier, "suggest_many", None)
    started = time.perf_counter()
    if batch is not None:
        suggestions = batch(items, top=3)
    else:
        suggestions = [classifier.suggest(item, top=3) for item in items]
    seconds = time.perf_counter() - started

    sample = items[-SINGLE_SUGGESTIONS:]
    started = time.perf_counter()
    for item in sample:
        classifier.suggest(item, top=3)
    single = (time.perf_counter() - started) / len(sample)

    return {
        "method": "suggest_many" if batch is not None else "suggest in a loop",
        "items": len(items),
        "items_with_suggestions": sum(1 for item_suggestions in suggestions if item_suggestions),
        "seconds": round(seconds, 2),
        "items_per_second": round(len(items) / seconds),
        "target_seconds": SUGGEST_TARGET_SECONDS,
        "met": seconds < SUGGEST_TARGET_SECONDS,
        "single_suggest_ms": round(1000 * single, 2),
    }


def time_corrections(classifier: Classifier, items: Sequence[ReportItem], trials: int) -> dict[str, Any]:
    """Correct one item of each of ``trials`` pairs and time until the next suggestion for its twin shows it."""
    pairs = correction_pairs(items, trials)
    latencies, suggest_only, visible = [], [], 0
    for first, second in pairs:
        before = classifier.suggest(second, top=3)[0].allocation
        # Another cost center, as when a person moves the item to the department that really pays.
        correction = replace(before, cost_center=_other_cost_center(classifier, before.cost_center, first, second),
                             project=None)

        started = time.perf_counter()
        classifier.remember(first, correction)
        remembered = time.perf_counter()
        top = classifier.suggest(second, top=3)[0]
        finished = time.perf_counter()

        latencies.append(finished - started)
        suggest_only.append(finished - remembered)
        visible += top.allocation == _resolved(classifier, correction)

    return {
        "trials": len(pairs),
        "median_ms": round(1000 * statistics.median(latencies), 2),
        "p95_ms": round(1000 * _percentile(latencies, 0.95), 2),
        "max_ms": round(1000 * max(latencies), 2),
        "suggest_median_ms": round(1000 * statistics.median(suggest_only), 2),
        "visible_in_top_suggestion": visible,
        "target_ms": 1000 * CORRECTION_TARGET_SECONDS,
        "latency_met": _percentile(latencies, 0.95) < CORRECTION_TARGET_SECONDS,
    }


def correction_pairs(items: Sequence[ReportItem], count: int) -> list[tuple[ReportItem, ReportItem]]:
    """Return up to ``count`` pairs of items with the same product, requester, address and checkout fields.

    Each pair has its own product and requester, so that no trial's
    correction is recalled in another.
    """
    first_by_product: dict[tuple, ReportItem] = {}
    paired: set[tuple[str | None, str]] = set()
    pairs = []
    for item in items:
        requester = (item.account_user_email or "").strip().lower()
        if len(pairs) == count:
            break
        if (item.asin, requester) in paired:
            continue
        product = (item.asin, requester, item.shipping_address, item.po_number,
                   tuple(sorted(item.custom_fields.items())))
        earlier = first_by_product.setdefault(product, item)
        if earlier is not item:
            pairs.append((earlier, item))
            paired.add((item.asin, requester))
    return pairs


def time_evaluate(company: BenchCompany, workdir: Path) -> dict[str, Any]:
    """Run ``allocbot evaluate`` on the report in a child process, and return its time, peak memory and accuracy."""
    metrics_path = workdir / "evaluate.json"
    command = [str(Path(sys.executable).with_name("allocbot")), "evaluate", *map(str, company.reports),
               "--master", str(company.master_path), "--json", str(metrics_path)]
    timed = TIME_COMMAND.exists()
    if timed:
        command = [str(TIME_COMMAND), "-v", *command]

    started = time.perf_counter()
    # The working folder has no config.toml, so evaluate runs with the built-in defaults.
    finished = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started

    if timed:
        peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", finished.stderr).group(1))
    else:
        # NOTE: the maximum over every child process so far, which is this one as long as it is the largest.
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    return {
        "items": metrics["items"],
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "peak_from": "/usr/bin/time -v" if timed else "getrusage(RUSAGE_CHILDREN)",
        "accuracy": metrics["accuracy"],
        "target_seconds": EVALUATE_TARGET_SECONDS,
        "target_mib": EVALUATE_TARGET_MIB,
        "met": seconds < EVALUATE_TARGET_SECONDS and peak_kib / 1024 < EVALUATE_TARGET_MIB,
    }


def _other_cost_center(classifier: Classifier, code: str, *items: ReportItem) -> str:
    """Return the next cost center after ``code``, in code order, that is open on the order dates of ``items``."""
    centers = sorted(classifier.master.cost_centers.values(), key=lambda center: center.code)
    codes = [center.code for center in centers]
    start = codes.index(code) + 1 if code in codes else 0
    for center in centers[start:] + centers[:start]:
        if center.code != code and all(center.active_on(item.order_date) for item in items):
            return center.code
    raise ValueError(f"no cost center other than {code} is open on the order dates of the pair")


def _resolved(classifier: Classifier, allocation: Allocation) -> Allocation:
    return classifier.master.with_default_tax_code(allocation)


def _percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _print_section(name: str, values: dict[str, Any]) -> None:
    print(f"\n{name}")
    for key, value in values.items():
        print(f"  {key}: {value}")


def _parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10000, help="items in the generated report (default: 10000)")
    parser.add_argument("--train-items", type=int, default=2000,
                        help="first items, by order date, that the saved version is trained on (default: 2000)")
    parser.add_argument("--trials", type=int, default=100, help="correction trials (default: 100)")
    parser.add_argument("--skip-evaluate", action="store_true", help="leave out the allocbot evaluate run")
    parser.add_argument("--json", type=Path, help="file to write the results to as JSON")
    parser.add_argument("--workdir", type=Path, help="folder for the generated files (default: the system's "
                                                     "temporary folder); they are deleted at the end")
    args = parser.parse_args(argv)
    if args.train_items < 1 or args.train_items >= args.items:
        parser.error(f"--train-items must be between 1 and --items - 1, got {args.train_items}")
    return args


if __name__ == "__main__":
    sys.exit(main())
