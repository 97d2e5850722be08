"""Time each stage of the flow on the sample company and report peak memory.

    python bench/bench_flow.py [--store-url URL] [--seed N] [--repeat N]

Stages: generate the sample, import five labeled months, train, take in
the forwarded November message, reconcile+classify+route, export. Each
repeat runs in a fresh temporary folder and a fresh SQLite file (or the
given, empty, database). Peak memory is the process's maximum resident set
size, so it covers the spaCy pipelines and the fitted model.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bot.commands import build_pipeline
from bot.config import ExportSettings, MailSettings, ModelSettings, PolicySettings, Settings, StoreSettings
from bot.demo import DEMO_TARGET_PRECISION
from bot.ports import QuestionRequest
from bot.sample import generate


class SilentAsker:
    def ask(self, questions: list[QuestionRequest]) -> None:
        self.count = len(questions)


def run_once(workspace: Path, store_url: str | None, seed: int) -> dict[str, float]:
    timings: dict[str, float] = {}

    def timed(stage: str, action):
        started = time.perf_counter()
        result = action()
        timings[stage] = time.perf_counter() - started
        return result

    sample = timed("generate sample", lambda: generate(workspace / "sample", seed=seed))
    settings = Settings(
        master_data=sample.master_data,
        store=StoreSettings(url=store_url or f"sqlite:///{workspace / 'allocbot.db'}"),
        mail=MailSettings(documents_dir=workspace / "documents"),
        export=ExportSettings(export_dir=workspace / "export"),
        model=ModelSettings(dir=workspace / "models"),
        policy=PolicySettings(target_precision=DEMO_TARGET_PRECISION),
    )
    pipeline = timed("open store, load master data", lambda: build_pipeline(settings, asker=SilentAsker()))
    timed("import history (5 months)", lambda: pipeline.learn(list(sample.history)))
    timed("train (replay and fit)", pipeline.train)
    report = timed("take in forwarded message", lambda: pipeline.ingest_mail(sample.eml))
    timed("reconcile, classify, route", lambda: pipeline.process(report))
    timed("export vouchers", pipeline.post)
    timings["items classified"] = len(report.outcomes)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-url", help="an empty database to use instead of a new SQLite file")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="allocbot-bench-") as folder:
            runs.append(run_once(Path(folder), args.store_url, args.seed))
        if args.store_url:
            break  # the given database now contains the first run's data

    print(f"python {platform.python_version()}, {platform.machine()}, {_cpu_name()}")
    print(f"{'stage':32} {'median s':>9} {'min s':>7} {'max s':>7}")
    for stage in runs[0]:
        if stage == "items classified":
            continue
        values = [run[stage] for run in runs]
        print(f"{stage:32} {statistics.median(values):9.2f} {min(values):7.2f} {max(values):7.2f}")
    totals = [sum(v for k, v in run.items() if k != "items classified") for run in runs]
    print(f"{'total':32} {statistics.median(totals):9.2f} {min(totals):7.2f} {max(totals):7.2f}")
    print(f"items classified per run: {int(runs[0]['items classified'])}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
