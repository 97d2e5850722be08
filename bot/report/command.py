"""``allocbot report monthly``: print a month's figures, write the chart, or send the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.errors import UsageError
from bot.i18n import N_, Translator
from bot.report.monthly import build_report, deliver_monthly_report
from bot.report.months import previous_month
from bot.report.text import month_name, report_text
from bot.store.database import Store
from bot.store.models import utc_now

# Message ids of the outcome of each delivery, by status.
OUTCOME_TEXTS = {
    "sent": N_("{delivery}: sent"),
    "recorded": N_("{delivery}: sent before; pass --again to send it once more"),
    "skipped": N_("{delivery}: skipped, {detail}"),
    "failed": N_("{delivery}: failed: {detail}"),
}
DELIVERY_NAMES = {"email": N_("email"), "slack": N_("Slack message"), "slack_plot": N_("Slack chart")}


def report_monthly(settings: Settings, *, month: date | None, output: Path | None, send: bool, again: bool) -> int:
    """Print the figures of ``month`` (default: the month before today in Oslo time), or send the report.

    Returns 1 when a delivery failed, else 0.
    """
    from bot.commands import open_store

    if again and not send:
        raise UsageError("--again", N_("--again only applies when the report is sent"),
                         fix=N_("add --send, or leave out --again"))
    translator = Translator(settings.language)
    now = utc_now()
    month = month or previous_month(now)
    if send and month > previous_month(now):
        raise UsageError("--month", N_("{month} is not over yet, and a report that was sent is not sent again"),
                         fix=N_("send it after the month ends, or leave out --send to see the figures so far"),
                         month=month.strftime("%Y-%m"))
    store = open_store(settings, existing=True)
    try:
        if send:
            return _send(settings, store, month, again, translator)
        report = build_report(store, settings, month)
    finally:
        store.close()

    print(report_text(report.figures, settings.report, translator), end="")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(report.plot)
        print(translator("Chart written to {path}.", path=output))
    return 0


def _send(settings: Settings, store: Store, month: date, again: bool, translator: Translator) -> int:
    outcomes = deliver_monthly_report(settings, store, month, again=again)
    print(translator("Monthly report for {month}:", month=month_name(month, translator)))
    for outcome in outcomes:
        print(translator(OUTCOME_TEXTS[outcome.status], delivery=translator(DELIVERY_NAMES[outcome.delivery]),
                         detail=outcome.detail))
    return 1 if any(outcome.status == "failed" for outcome in outcomes) else 0
