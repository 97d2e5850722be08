"""The ``allocbot model`` commands: list the saved model versions, make an earlier one current, retrain now."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from bot.i18n import Translator
from bot.nlp.versions import ModelVersionError, ModelVersions, VersionInfo

CURRENT_MARKER = "*"


def model_list(settings: Settings) -> int:
    translator = Translator(settings.language)
    store = _model_versions(settings)
    versions = store.list()
    try:
        store.check_current()
    except ModelVersionError as exc:
        damage = exc
    else:
        damage = None
    if not versions and damage is None:
        print(translator("No model versions yet."))
        return 0

    _ = translator
    headers = ["", _("Version"), _("Created"), _("Training items"), _("Human answers"), _("Threshold"), _("Accuracy")]
    rows = [_version_row(info, translator) for info in versions]
    for line in _table_lines(headers, rows, right_aligned={3, 4, 5, 6}):
        print(line)
    print(_("{marker} current version", marker=CURRENT_MARKER))
    if damage is not None:
        # Listed last, so the damage is what the user reads before the prompt.
        print(_("The current model version is damaged: {error}", error=damage.describe(translator)))
        return 1
    return 0


def model_restore(settings: Settings, version: str) -> int:
    translator = Translator(settings.language)
    info = _model_versions(settings).restore(version)
    print(translator("Model version {version} is now current.", version=info.version))
    return 0


def model_retrain(settings: Settings) -> int:
    """Train a new model version on every training label in the store, as the scheduled retrain does."""
    from bot.commands import build_pipeline, print_training
    from bot.console import ProgressPrinter

    translator = Translator(settings.language)
    pipeline = build_pipeline(settings, translator=translator, progress=ProgressPrinter(translator))
    result = pipeline.train()
    print_training(result, pipeline.classifier.version, settings.policy, translator)
    return 0


def _model_versions(settings: Settings) -> ModelVersions:
    return ModelVersions(settings.model.dir, keep=settings.model.keep_versions)


def _version_row(info: VersionInfo, translator: Translator) -> list[str]:
    created = info.created.astimezone()
    accuracy = info.metrics.get("accuracy")
    return [
        CURRENT_MARKER if info.is_current else "",
        info.version,
        f"{translator.date(created.date())} {created:%H:%M}",
        str(info.training_size),
        str(info.human_answers),
        translator.percent(info.threshold) if info.threshold is not None else "-",
        translator.percent(accuracy) if isinstance(accuracy, (int, float)) else "-",
    ]


def _table_lines(headers: list[str], rows: Sequence[list[str]], right_aligned: set[int]) -> list[str]:
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]

    def line(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right_aligned else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    rule = line(["-" * width if header else "" for header, width in zip(headers, widths)])
    return [line(headers), rule, *(line(row) for row in rows)]
