"""Rows of the tables that a PDF page draws with ruling lines, read with pdfplumber's table finder.

A ruled table gives what text lines cannot: the column of every cell, empty
cells included, and the whole text of a cell that wraps over several lines.
pdfplumber finds a table only where ruling lines cross, so a table with
horizontal lines alone, or none, is read as text lines.
"""

from __future__ import annotations

from collections.abc import Callable

import pdfplumber

from bot.documents.pdf_lines import Cell, TextLine

BoundingBox = tuple[float, float, float, float]


def ruled_rows(page: pdfplumber.page.Page) -> tuple[list[TextLine], list[BoundingBox]]:
    """Return the rows of the page's ruled tables as lines, and the tables' bounding boxes.

    A cell's wrapped lines are joined with a space. Cells that a table merges
    across columns come back as one cell followed by empty ones.
    """
    if not page.edges:
        return [], []

    rows = []
    boxes = []
    for table in page.find_tables():
        boxes.append(table.bbox)
        for row, texts in zip(table.rows, table.extract()):
            cells = []
            for box, text in zip(row.cells, texts):
                if box is None:
                    # A position that a merged cell to its left covers.
                    edge = cells[-1].x1 if cells else row.bbox[0]
                    cells.append(Cell("", edge, edge))
                else:
                    cells.append(Cell(" ".join((text or "").split()), box[0], box[2]))
            if any(cell.text for cell in cells):
                rows.append(TextLine(cells=tuple(cells), top=row.bbox[1], bottom=row.bbox[3], ruled=True))
    return rows, boxes


def outside(boxes: list[BoundingBox]) -> Callable[[dict], bool]:
    """Return a filter for `pdfplumber.page.Page.filter` that keeps objects outside every box."""

    def keep(obj: dict) -> bool:
        center_x = (obj["x0"] + obj["x1"]) / 2
        center_y = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= center_x <= x1 and top <= center_y <= bottom for x0, top, x1, bottom in boxes)

    return keep
