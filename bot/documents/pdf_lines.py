"""Text lines of a PDF page, built from positioned words, with table cells kept apart.

Both ways of reading a page end here: the words of a text layer and the
words that OCR finds on a rendered page. Coordinates are PDF points
measured from the top left corner of the page as it is read, so the
tolerances below apply to both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CELL_SEPARATOR = "\t"


@dataclass(frozen=True)
class Cell:
    """The text of one table cell, or of one run of words, and where it starts and ends."""

    text: str
    x0: float
    x1: float


@dataclass(frozen=True)
class TextLine:
    """One line of a page: its cells from left to right and its vertical extent.

    ``ruled`` marks a row of a table drawn with ruling lines. Its cells are
    the table's cells in column order, empty ones included, and a cell whose
    text wraps inside the table is joined into one line. ``ocr`` marks a
    line read from an image, whose letters may be misread.
    """

    cells: tuple[Cell, ...]
    top: float
    bottom: float
    ruled: bool = False
    ocr: bool = False

    @property
    def text(self) -> str:
        """Return the non-empty cells joined with a tab."""
        return CELL_SEPARATOR.join(cell.text for cell in self.cells if cell.text)

    @property
    def x0(self) -> float:
        return min(cell.x0 for cell in self.cells if cell.text)


def group_lines(words: Iterable[Mapping], *, cell_gap: float, ocr: bool = False) -> list[TextLine]:
    """Group words (dicts with ``text``, ``x0``, ``x1``, ``top``, ``bottom``) into lines, top to bottom.

    A word belongs to the line above when its vertical middle lies within
    that line's extent. Comparing middles rather than tops keeps a dash or a
    comma, whose OCR box is small and sits low, on the line of its words.
    Neighbouring words of a line that are at most ``cell_gap`` points apart
    are joined with a space into one cell, and a wider gap starts a new cell.
    A ``cell_gap`` of 0 keeps apart every two words that do not touch, for
    words that already contain their spaces.
    """
    clusters: list[list[Mapping]] = []
    bottom = float("-inf")  # of the last line
    for word in sorted(words, key=_middle):
        if clusters and _middle(word) <= bottom:
            clusters[-1].append(word)
            bottom = max(bottom, word["bottom"])
        else:
            clusters.append([word])
            bottom = word["bottom"]

    lines = []
    for cluster in clusters:
        cells = _join_close_words(sorted(cluster, key=lambda word: word["x0"]), cell_gap)
        if cells:
            line_top = min(word["top"] for word in cluster)
            line_bottom = max(word["bottom"] for word in cluster)
            lines.append(TextLine(cells=tuple(cells), top=line_top, bottom=line_bottom, ocr=ocr))
    return lines


def _middle(word: Mapping) -> float:
    return (word["top"] + word["bottom"]) / 2


def _join_close_words(words: list[Mapping], cell_gap: float) -> list[Cell]:
    cells: list[Cell] = []
    for word in words:
        text = word["text"].strip()
        if not text:
            continue
        if cells and word["x0"] - cells[-1].x1 <= cell_gap:
            previous = cells.pop()
            cells.append(Cell(f"{previous.text} {text}", previous.x0, word["x1"]))
        else:
            cells.append(Cell(text, word["x0"], word["x1"]))
    return cells
