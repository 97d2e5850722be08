"""Recognize what a document is from its content, never from its file name.

Controllers rename files and mail clients mangle names, so the header row of
a table and the text of a PDF's first page decide.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from bot.documents.amazon_invoice import is_amazon_invoice
from bot.documents.amazon_report import is_order_report_header
from bot.documents.grid import Grid, read_grid
from bot.documents.pdf_text import read_pdf_lines
from bot.documents.statement_header import HEADER_SEARCH_ROWS, find_header, find_near_miss
from bot.documents.statement_layout import StatementLayout
from bot.documents.statement_layouts import with_built_ins
from bot.documents.pdf_layouts import LAYOUTS as PDF_LAYOUTS
from bot.documents.statement_pdf import is_statement_pdf
from bot.documents.table import ROW_LOCATIONS
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

DocumentKind = Literal["order_report", "amazon_invoice", "statement"]

PDF_MAGIC = b"%PDF-"


def is_pdf(path: Path) -> bool:
    """Return whether the file starts with the PDF signature."""
    try:
        with path.open("rb") as file:
            return file.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError as error:
        raise InputError(path.name, N_("file cannot be read: {reason}"), reason=error.strerror) from None


def detect_kind(path: Path, *, layouts: Sequence[StatementLayout] = ()) -> DocumentKind:
    """Return whether a file is an Amazon Business order report, an Amazon invoice PDF or a card statement.

    ``layouts`` are the configured statement layouts, tried before the
    built-in ones. Raises `InputError` when the file is neither, or cannot be read.
    """
    if is_pdf(path):
        first_page = "\n".join(read_pdf_lines(path, max_pages=1)[0])
        if is_amazon_invoice(first_page):
            return "amazon_invoice"
        if is_statement_pdf(first_page):
            return "statement"
        markers = [marker for layout in PDF_LAYOUTS for marker in layout.markers]
        raise InputError(
            path.name,
            N_("PDF is neither an Amazon invoice nor a card statement: its first page has none of the texts "
               "{markers}"),
            fix=N_("send the card statement or Amazon invoice PDF, or the statement or order report as CSV or XLSX"),
            markers=", ".join(repr(marker) for marker in markers),
        )

    # An order report's header is its first row, but a statement's may be further down.
    grid = read_grid(path, max_rows=HEADER_SEARCH_ROWS)
    statement_layouts = with_built_ins(layouts)
    first_row = grid.first_row()
    if is_order_report_header(first_row):
        kind: DocumentKind = "order_report"
    elif find_header(grid, statement_layouts) is not None:
        kind = "statement"
    elif path.suffix.lower() == ".pdf":
        raise InputError(path.name, N_("file is named .pdf but is not a PDF (it does not start with %PDF-)"),
                         fix=N_("send the statement PDF as the bank produced it"))
    else:
        near_miss = find_near_miss(grid, statement_layouts)
        if near_miss is not None:
            raise near_miss
        if first_row:
            message = N_("file is neither an Amazon Business order report nor a card statement; "
                         "its header row has {columns}")
        else:
            message = N_("file is neither an Amazon Business order report nor a card statement; "
                         "its header row is empty")
        raise InputError(
            path.name,
            message,
            location=ROW_LOCATIONS[grid.row_label],
            fix=N_("send the order report (Order Date, Order ID, Title, …), a statement in one of the layouts "
                   "{layouts}, or describe the statement's layout under [[statement_layouts]] in the configuration"),
            row=_first_row_number(grid),
            columns=", ".join(repr(name) for name in first_row[:8]),
            layouts=", ".join(layout.name for layout in statement_layouts),
        )

    log.debug("detected %s as %s", path.name, kind)
    return kind


def _first_row_number(grid: Grid) -> int:
    candidate = next(grid.candidates(1), None)
    return candidate.number if candidate is not None else 1
