"""The report's chart: its figures over the last months, as a PNG of fixed size.

Four small panels share the month axis: items (all and booked
automatically), the two shares, questions (asked and answered) with the
median answer time, and the hours saved.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from bot.i18n import Translator
from bot.report.stats import MonthFigures
from bot.report.text import month_name, short_month_name

# 1000 × 700 pixels, whatever the data; no tight bounding box, which would change the size.
FIGURE_INCHES = (10, 7)
DPI = 100
MONTHS_SHOWN = 12


def render_plot(history: Sequence[MonthFigures], translator: Translator) -> bytes:
    """Draw ``history`` (oldest month first) and return the PNG's bytes."""
    # The Agg backend renders without a display, as on a server.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _ = translator
    labels = [short_month_name(figures.month, translator) for figures in history]
    positions = list(range(len(history)))

    figure, axes = plt.subplots(2, 2, figsize=FIGURE_INCHES, dpi=DPI, sharex=True)
    # Fixed margins leave room for the rotated month names and the right-hand axis.
    # A layout engine would measure every text first, which doubles the drawing time.
    figure.subplots_adjust(left=0.06, right=0.95, bottom=0.1, top=0.9, wspace=0.25, hspace=0.3)
    items, shares, questions, saved = axes.flat

    items.bar(positions, [f.items for f in history], color="#9ecae1", label=_("Items processed"))
    items.bar(positions, [f.booked_automatically for f in history], color="#3182bd", width=0.5,
              label=_("Booked automatically"))
    items.set_title(_("Items"))
    items.legend(loc="upper left", fontsize="small")

    shares.plot(positions, [_percent(f.automatic_share) for f in history], marker="o",
                label=_("Booked automatically"))
    shares.plot(positions, [_percent(f.unchanged_share) for f in history], marker="s",
                label=_("Suggestions accepted unchanged"))
    shares.set_ylim(0, 105)
    shares.set_title(_("Share in percent"))
    shares.legend(loc="lower left", fontsize="small")

    width = 0.4
    questions.bar([p - width / 2 for p in positions], [f.questions_asked for f in history], width,
                  color="#fdae6b", label=_("Questions asked"))
    questions.bar([p + width / 2 for p in positions], [f.questions_answered for f in history], width,
                  color="#e6550d", label=_("Questions answered"))
    questions.set_title(_("Questions"))
    questions.legend(loc="upper left", fontsize="small")
    hours = questions.twinx()
    medians = [_hours(f.median_answer_seconds) for f in history]
    hours.plot(positions, medians, color="#31a354", marker="o", label=_("Median answer time"))
    hours.set_ylabel(_("Median answer time in hours"))
    # The line keeps to the lower part of the panel, below the legend of the bars.
    highest = max((value for value in medians if not math.isnan(value)), default=0.0)
    hours.set_ylim(0, highest * 1.8 or 1.0)

    saved.bar(positions, [f.hours_saved for f in history], color="#74c476")
    saved.set_title(_("Hours saved"))

    # Headroom above the highest bar or point keeps the legends clear of the data. Counts start at zero,
    # and a panel of zeros gets a scale to 1 instead of fractions of an item.
    for panel in axes.flat:
        panel.margins(y=0.35)
    for panel in (items, questions, saved):
        panel.set_ylim(0, max(panel.get_ylim()[1], 1))
    for panel in axes.flat:
        panel.grid(True, axis="y", alpha=0.3)
        panel.set_xticks(positions, labels, rotation=45, ha="right", fontsize="small")
    if history:
        figure.suptitle(_("allocbot: monthly report for {month}", month=month_name(history[-1].month, translator)))

    buffer = io.BytesIO()
    # No Software entry, so that the file does not depend on the matplotlib version.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _percent(value: float | None) -> float:
    # A month without a share is a gap in the line, not a drop to zero.
    return float("nan") if value is None else value * 100


def _hours(seconds: float | None) -> float:
    return float("nan") if seconds is None else seconds / 3600
