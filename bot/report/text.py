"""The report's words: its subject, the figures as labeled values, the audit hash, and the plain-text body.

Email, Slack and ``allocbot report monthly`` show the same labeled values,
so they read alike in every channel.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.config import ReportSettings
from bot.i18n import Translator
from bot.report.stats import MonthFigures

# Babel's locales for the bot's languages, as bot.i18n formats numbers.
BABEL_LOCALES = {"nb": "nb_NO", "en": "en_GB"}
NO_VALUE = "–"


def month_name(month: date, translator: Translator) -> str:
    """Return the month and year as a phrase, such as "november 2026" or "November 2026"."""
    return format_date(month, "LLLL y", locale=BABEL_LOCALES[translator.language])


def short_month_name(month: date, translator: Translator) -> str:
    """Return the month for an axis label, such as "nov 26"."""
    return format_date(month, "LLL yy", locale=BABEL_LOCALES[translator.language])


def subject(month: date, translator: Translator) -> str:
    return translator("allocbot: monthly report for {month}", month=month_name(month, translator))


def figure_rows(figures: MonthFigures, translator: Translator) -> list[tuple[str, str]]:
    """Return the figures as (label, value) pairs in the report's order."""
    _ = translator
    automatic = _("{count} ({share})", count=count(figures.booked_automatically, translator),
                  share=share(figures.automatic_share, translator))
    unchanged = _("{count} of {total} ({share})", count=count(figures.accepted_unchanged, translator),
                  total=count(figures.decided_with_suggestion, translator),
                  share=share(figures.unchanged_share, translator))
    saved = _("{hours} hours ({value})", hours=translator.number(figures.hours_saved, 1),
              value=translator.money(figures.value_saved))
    return [
        (_("Items processed"), count(figures.items, translator)),
        (_("Booked automatically"), automatic),
        (_("Suggestions accepted unchanged"), unchanged),
        (_("Questions asked"), count(figures.questions_asked, translator)),
        (_("Questions answered"), count(figures.questions_answered, translator)),
        (_("Median answer time"), duration(figures.median_answer_seconds, translator)),
        (_("Hours saved"), saved),
    ]


def formula_note(settings: ReportSettings, translator: Translator) -> str:
    """Return the sentences that say how the hours saved are counted."""
    return translator("Hours saved = items booked automatically × {minutes} minutes / 60, valued at {cost} an hour. "
                      "Items that a person decided are not counted, so the figure is a lower bound.",
                      minutes=translator.number(settings.minutes_per_item, 1), cost=translator.money(settings.hourly_cost))


def audit_note(figures: MonthFigures, translator: Translator) -> str | None:
    """Return the newest audit event's id and hash and how to compare them later; None for an empty log.

    The report is the copy of the hash kept outside the database, which the
    hash chain alone cannot replace (see ``bot.store.audit``).
    """
    if figures.newest_audit_event is None:
        return None
    event_id, event_hash = figures.newest_audit_event
    return translator("Audit log: the newest event is {id} with hash {hash}. Keep this message: "
                      "allocbot audit verify --expect {id}:{hash} checks later that the log still has it.",
                      id=event_id, hash=event_hash)


def report_text(figures: MonthFigures, settings: ReportSettings, translator: Translator) -> str:
    """Return the whole report as plain text: subject line, one line per figure, the formula and the audit hash."""
    rows = figure_rows(figures, translator)
    width = max(len(label) for label, _ in rows) + 1
    lines = [subject(figures.month, translator), ""]
    lines += [f"{label + ':':<{width}} {value}" for label, value in rows]
    lines += ["", formula_note(settings, translator)]
    note = audit_note(figures, translator)
    if note is not None:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def count(value: int, translator: Translator) -> str:
    """Format a count with the language's digit grouping, such as "1 234" or "1,234"."""
    return format_decimal(value, format="#,##0", locale=BABEL_LOCALES[translator.language])


def share(value: float | None, translator: Translator) -> str:
    return NO_VALUE if value is None else translator.percent(value)


def duration(seconds: float | None, translator: Translator) -> str:
    """Format an answer time in whole minutes below an hour, else in hours with one decimal."""
    if seconds is None:
        return NO_VALUE
    if seconds < 3600:
        return translator("{minutes} min", minutes=round(seconds / 60))
    return translator("{hours} hours", hours=translator.number(seconds / 3600, 1))
