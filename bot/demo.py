"""``allocbot demo``: the whole flow, offline, on a generated sample company.

The demo writes the sample company's files into a workspace folder and
learns from five labeled months. It then takes in the forwarded message with
November's order report and card statement from a local inbox folder, and
classifies and routes every item. It prints the questions instead of sending
them, posts the automatically booked items with the CSV connector (one
voucher per card statement), and scores the suggestions against the
generator's truth. The workspace stays on disk with a config.toml of its
own, so the export can be opened and commands such as ``allocbot post``
run on it afterwards. ``run_demo(..., post=False)`` leaves the approved
allocations unposted in the workspace's store for ``allocbot post``.
"""

from __future__ import annotations

import csv
import json
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from bot.commands import build_pipeline, ingest_inbox, print_training, written_files
from bot.config import ExportSettings, MailSettings, ModelSettings, Settings, StoreSettings
from bot.console import PrintingAsker, ProgressPrinter, print_run
from bot.errors import UsageError
from bot.i18n import N_, Translator
from bot.masterdata import load_master_data
from bot.pipeline import ItemOutcome
from bot.posting.run import PostingResult
from bot.records import Allocation
from bot.sample import generate
from connectors import build_poster

TruthKey = tuple[str, str, str]

# The sample's history books about 3 % of its items differently from the
# company's own rules, as hurried controllers do (48 of 1 565 with seed 2026).
# Measured against such labels the most confident items of the training
# replay were right 94 to 96 % of the time, so a target of 98 % or even 95 %
# books nothing, and the demo asks for 93 %.
DEMO_TARGET_PRECISION = 0.93


_NOT_POSTED = N_("Nothing is posted yet. allocbot --config {config} post --dry-run shows the vouchers, "
                 "and allocbot --config {config} post writes them.")


def run_demo(settings: Settings, *, language: str | None, workspace: Path | None, seed: int, post: bool = True,
             out: TextIO | None = None) -> int:
    """Run the demo in ``workspace`` (a new temporary folder when None) and return the exit status.

    With ``post`` False, the approved allocations stay unposted, and the
    output ends with the commands that show and post their vouchers.
    """
    started = time.monotonic()
    out = out or sys.stdout
    translator = Translator(language or settings.language)
    _ = translator

    if workspace is not None and workspace.exists() and (not workspace.is_dir() or any(workspace.iterdir())):
        # A store left by an earlier run would make every item a duplicate and the demo empty.
        raise UsageError(workspace, N_("the demo workspace must be a new or empty folder"),
                         location=N_("option {option}"),
                         fix=N_("name a folder that does not exist yet, or leave --workspace out"),
                         option="--workspace")
    workspace = workspace or Path(tempfile.mkdtemp(prefix="allocbot-demo-"))
    workspace.mkdir(parents=True, exist_ok=True)
    out.write(_("Workspace: {path}", path=workspace) + "\n")
    sample = generate(workspace / "sample", seed=seed)

    inbox = workspace / "inbox"
    inbox.mkdir(exist_ok=True)
    shutil.copy(sample.eml, inbox / sample.eml.name)

    demo_settings = settings.model_copy(update={
        "language": translator.language,
        "master_data": sample.master_data,
        "store": StoreSettings(url=f"sqlite:///{workspace / 'allocbot.db'}"),
        "mail": MailSettings(inbox_dir=inbox, documents_dir=workspace / "documents"),
        # The CSV connector with one voucher per card statement, whatever the settings name.
        "export": ExportSettings(connector="csv", grouping="statement", export_dir=workspace / "export"),
        "model": ModelSettings(dir=workspace / "models"),
        "policy": settings.policy.model_copy(update={"target_precision": DEMO_TARGET_PRECISION}),
    })
    master = load_master_data(sample.master_data)
    progress = ProgressPrinter(translator)
    pipeline = build_pipeline(demo_settings, translator=translator, progress=progress,
                              asker=PrintingAsker(master, translator, out), poster=build_poster(demo_settings))
    asker = pipeline.asker

    pipeline.learn(list(sample.history))
    result = pipeline.train()
    print_training(result, pipeline.classifier.version, demo_settings.policy, translator, out)

    report = ingest_inbox(pipeline, inbox)
    pipeline.process(report)
    # An empty result stands for the posting run that is left out, so the summary counts no vouchers.
    posting = pipeline.post() if post else PostingResult(pipeline.poster.name)

    print_run(report, pipeline.master, translator, posting=posting, files=written_files(pipeline.poster, posting),
              out=out, asker=asker)
    truth = _read_truth(sample.truth)
    for line in _accuracy_lines(report.outcomes, truth, translator):
        out.write(line + "\n")
    config = _write_workspace_settings(workspace / "config.toml", demo_settings)
    if post:
        out.write(_("Settings of this workspace, for commands such as allocbot post --dry-run: {path}",
                    path=config) + "\n")
    else:
        out.write(_(_NOT_POSTED, config=shlex.quote(str(config))) + "\n")
    out.write(_("Finished in {seconds} s.", seconds=translator.number(time.monotonic() - started)) + "\n")
    return 0


def _write_workspace_settings(path: Path, settings: Settings) -> Path:
    """Write the demo's own settings as a TOML file, so that later commands can work on the workspace."""
    # JSON strings are valid TOML basic strings, with the same escapes for quotes and backslashes.
    def text(value: object) -> str:
        return json.dumps(str(value), ensure_ascii=False)

    lines = [
        "# Settings of an allocbot demo workspace, written by allocbot demo.",
        f"language = {text(settings.language)}",
        f"master_data = {text(settings.master_data)}",
        "[store]", f"url = {text(settings.store.url)}",
        "[mail]", f"inbox_dir = {text(settings.mail.inbox_dir)}",
        f"documents_dir = {text(settings.mail.documents_dir)}",
        "[model]", f"dir = {text(settings.model.dir)}",
        "[export]", f"connector = {text(settings.export.connector)}", f"grouping = {text(settings.export.grouping)}",
        f"export_dir = {text(settings.export.export_dir)}",
        "[policy]", f"target_precision = {settings.policy.target_precision}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read_truth(path: Path) -> dict[TruthKey, Allocation]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["Order ID"], row["Payment Reference ID"], row["ASIN"]):
                Allocation(row["Cost Center"], row["Project Code"] or None, row["GL Code"], row["Tax Code"])
            for row in csv.DictReader(handle)
        }


def _accuracy_lines(outcomes: list[ItemOutcome], truth: dict[TruthKey, Allocation],
                    translator: Translator) -> list[str]:
    """Score the top suggestion of every item, and of the automatically booked ones alone."""
    _ = translator
    scored = right = booked = booked_right = 0
    for outcome in outcomes:
        item = outcome.item
        expected = truth.get((item.order_id, item.payment_reference or "", item.asin or ""))
        if expected is None or not outcome.suggestions:
            continue
        correct = outcome.suggestions[0].allocation == expected
        scored += 1
        right += correct
        if outcome.decision.action == "book":
            booked += 1
            booked_right += correct

    def share(part: int, whole: int) -> str:
        return translator.percent(part / whole) if whole else "-"

    return [
        _("Accuracy against the generator's truth: {share} ({right} of {scored} items right)",
          share=share(right, scored), right=right, scored=scored),
        _("Accuracy of the automatically booked items: {share} ({right} of {booked})",
          share=share(booked_right, booked), right=booked_right, booked=booked),
    ]
