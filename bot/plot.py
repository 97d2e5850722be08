"""The learning-curve plot of ``allocbot evaluate --plot``.

Accuracy and the share of items booked automatically are drawn against the
number of items seen, each as a moving average over the last CURVE_WINDOW
items, so the lines show what a controller would have seen at that point.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.i18n import Translator
from bot.nlp.metrics import CURVE_WINDOW
from bot.nlp.replay import ReplayStep


def plot_learning_curve(steps: Sequence[ReplayStep], path: Path, translator: Translator) -> None:
    """Draw the moving accuracy and auto-booked share of a replay into a PNG file."""
    # The Agg backend renders without a display, as on a server.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seen = list(range(1, len(steps) + 1))
    accuracy = _moving_share([step.right for step in steps])
    auto = _moving_share([step.auto for step in steps])

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    axes.plot(seen, accuracy, label=translator("accuracy"))
    axes.plot(seen, auto, label=translator("booked automatically"))
    axes.set_xlabel(translator("items seen"))
    axes.set_ylabel(translator("share of the last {count} items", count=CURVE_WINDOW))
    axes.set_ylim(0, 1.02)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)


def _moving_share(flags: Sequence[bool]) -> list[float]:
    shares = []
    total = 0
    for index, flag in enumerate(flags):
        total += flag
        if index >= CURVE_WINDOW:
            total -= flags[index - CURVE_WINDOW]
        shares.append(total / min(index + 1, CURVE_WINDOW))
    return shares
