"""``allocbot evaluate``: replay labeled history and report how well the bot would have done.

The replay starts from an empty classifier with the configured rules, so the
numbers show what a new installation learns from the file alone. Amounts in
other currencies are converted to NOK at the reference rates of
``bot.rates``, which decide only which items count as above the review
threshold. ``--rate`` overrides them.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.console import ProgressPrinter
from bot.errors import InputError, UsageError
from bot.history import labeled_fields, read_labeled_history
from bot.i18n import N_, Translator
from bot.masterdata import load_master_data
from bot.nlp.calibration import NEVER
from bot.nlp.metrics import CURVE_WINDOW
from bot.rates import REFERENCE_RATES, approximate_nok
from bot.records import ReportItem, occurrence_keys

log = logging.getLogger(__name__)


def parse_rate(text: str) -> tuple[str, Decimal]:
    """Parse a ``--rate`` value such as ``EUR=11.52`` into a currency code and NOK per unit."""
    currency, _, value = text.partition("=")
    try:
        rate = Decimal(value.replace(",", "."))
    except InvalidOperation:
        rate = Decimal("-1")
    # "nan" and "inf" parse as Decimals too, and NaN cannot even be compared with 0.
    code = currency.strip().upper()
    # NOK is the unit of the rates, so its own rate is 1 by definition.
    if not rate.is_finite() or rate <= 0 or len(code) != 3 or not code.isalpha() or code == "NOK":
        raise UsageError("--rate", N_("invalid exchange rate {value}"), fix=N_("write it as EUR=11.52 (NOK per unit)"),
                         value=repr(text))
    return code, rate


def evaluate(settings: Settings, files: Sequence[Path], master_path: Path, *, json_path: Path | None = None,
             plot_path: Path | None = None, rates: Mapping[str, Decimal] | None = None,
             out: TextIO | None = None) -> int:
    """Replay ``files`` against the master data; print the learning curve and write the JSON and plot asked for."""
    out = out or sys.stdout
    translator = Translator(settings.language)
    master = load_master_data(master_path)
    rates = {**REFERENCE_RATES, **(rates or {})}

    items: list[ReportItem] = []
    seen: set[str] = set()
    repeated = 0
    scored: set[str] | None = None
    for path in files:
        report = read_labeled_history(path, master)
        # Overlapping exports repeat items, which would be scored twice and the second time from memory.
        for item, key in zip(report, occurrence_keys(report)):
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            items.append(item)
        fields = set(labeled_fields(path))
        scored = fields if scored is None else scored & fields
    _check_currencies(items, rates)
    if repeated:
        print(translator("{count} rows repeat an item of an earlier file and are replayed once.", count=repeated),
              file=out)

    # Imported here because spaCy and scikit-learn take seconds to load.
    from bot.commands import configured_rules
    from bot.nlp.classifier import Classifier
    from bot.nlp.metrics import replay_metrics
    from bot.nlp.replay import SCORED_FIELDS, Replay

    classifier = Classifier(master, configured_rules(settings, master))
    replay = Replay(classifier, master, settings.policy,
                    amount_in_nok=lambda item: approximate_nok(item, rates),
                    scored=[name for name in SCORED_FIELDS if name in (scored or ())],
                    retrain_after=settings.model.retrain_after_answers)
    progress = ProgressPrinter(translator)
    examples = [(item, item.labels) for item in items]
    steps = replay.run(examples, progress=lambda done, total: progress("replay", done, total))
    metrics = replay_metrics(steps)
    log.info("evaluated %d items from %s: accuracy %.3f", len(steps), ", ".join(p.name for p in files),
             metrics["accuracy"])

    print_metrics(metrics, translator, out, target_precision=settings.policy.target_precision,
                  threshold=classifier.threshold)
    if json_path:
        write_json(metrics, json_path)
        print(translator("Metrics written to {path}", path=json_path), file=out)
    if plot_path:
        from bot.plot import plot_learning_curve

        plot_learning_curve(steps, plot_path, translator)
        print(translator("Plot written to {path}", path=plot_path), file=out)
    return 0


def print_metrics(metrics: dict[str, Any], translator: Translator, out: TextIO, *,
                  target_precision: float | None = None, threshold: float | None = None) -> None:
    """Print the learning curve as a table, then the totals of the whole replay and the threshold reached."""
    _ = translator
    if metrics["learning_curve"]:
        print(_("Each row scores the {count} items after the number of items seen.", count=CURVE_WINDOW), file=out)
        headers = (_("after"), _("accuracy"), _("top 3"), _("booked automatically"), _("of those right"))
        print("  ".join(f"{header:>20}" for header in headers), file=out)
    else:
        print(_("Too few items for a learning curve: its first point scores items 51 to 150."), file=out)
    for point in metrics["learning_curve"]:
        cells = (str(point["after"]), _percent(point["accuracy"], _), _percent(point["top3_accuracy"], _),
                 _percent(point["auto_share"], _), _percent(point["auto_precision"], _))
        print("  ".join(f"{cell:>20}" for cell in cells), file=out)

    print(file=out)
    print(_("Items replayed: {count}", count=translator.number(metrics["items"], digits=0)), file=out)
    print(_("Accuracy (all fields right): {value}", value=_percent(metrics["accuracy"], _)), file=out)
    names = {"cost_center": N_("cost center"), "project": N_("project"), "account": N_("account"),
             "tax_code": N_("VAT code")}
    for name, value in metrics["fields"].items():
        print(_("  {field}: {value}", field=_(names[name]), value=_percent(value, _)), file=out)
    print(_("Right among the top 3: {value}", value=_percent(metrics["top3_accuracy"], _)), file=out)
    print(_("Calibration error (0 is perfect): {value}",
            value=translator.number(metrics["calibration_error"], digits=3)), file=out)
    print(_("Questions per 100 items: {value}", value=translator.number(metrics["questions_per_100"])), file=out)
    if target_precision is None:
        return
    if threshold is None:
        print(_("Target precision {target}: too few items to derive a threshold.",
                target=translator.percent(target_precision)), file=out)
    elif threshold >= NEVER:
        print(_("Target precision {target}: not reached at the end of the replay, so nothing would be booked "
                "automatically.", target=translator.percent(target_precision)), file=out)
    else:
        print(_("Target precision {target}: at the end of the replay items from a confidence of {threshold} "
                "would be booked automatically.", target=translator.percent(target_precision),
                threshold=translator.percent(threshold)), file=out)


def write_json(metrics: dict[str, Any], path: Path) -> None:
    """Write the metrics as JSON through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     delete=False) as handle:
        json.dump(metrics, handle, indent=2)
        handle.write("\n")
    os.replace(handle.name, path)


def _percent(value: float | None, translator: Translator) -> str:
    return "–" if value is None else translator.percent(value)


def _check_currencies(items: Sequence[ReportItem], rates: Mapping[str, Decimal]) -> None:
    for item in items:
        if item.currency not in rates:
            raise InputError(item.source, N_("no exchange rate for currency {currency}"), location=N_("line {row}"),
                             fix=N_("pass its rate to NOK, e.g. --rate {currency}=1.50"),
                             currency=item.currency, row=item.line)
