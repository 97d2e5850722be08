"""Recognize what a document is from its content, never from its file name.

Controllers rename files and mail clients mangle names, so the header row of
a table and the text of a PDF's first page decide.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from bot.documents.amazon_report import is_order_report_header
from bot.documents.pdf_text import read_pdf_lines
from bot.documents.statement_pdf import SUM_LABEL
from bot.documents.statement_table import is_statement_header
from bot.documents.table import read_table
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

DocumentKind = Literal["order_report", "statement"]

PDF_MAGIC = b"%PDF-"

# Texts that mark a PDF as a card statement when found on its first page.
STATEMENT_PDF_MARKERS = ("Kontoutskrift", "Beløpet gjelder", SUM_LABEL)


def is_pdf(path: Path) -> bool:
    """Return whether the file starts with the PDF signature."""
    try:
        with path.open("rb") as file:
            return file.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError as error:
        raise InputError(path.name, N_("file cannot be read: {reason}"), reason=error.strerror) from None


def detect_kind(path: Path) -> DocumentKind:
    """Return whether a file is an Amazon Business order report or a card statement.

    Raises `InputError` when it is neither, or cannot be read.
    """
    if is_pdf(path):
        first_page = "\n".join(read_pdf_lines(path, max_pages=1)[0])
        if any(marker in first_page for marker in STATEMENT_PDF_MARKERS):
            return "statement"
        raise InputError(
            path.name,
            N_("PDF is not a card statement: its first page has none of the texts {markers}"),
            fix=N_("send the card statement PDF, or the statement or order report as CSV or XLSX"),
            markers=", ".join(repr(marker) for marker in STATEMENT_PDF_MARKERS),
        )

    table = read_table(path)
    if is_order_report_header(table.header):
        kind: DocumentKind = "order_report"
    elif is_statement_header(table.header):
        kind = "statement"
    elif path.suffix.lower() == ".pdf":
        raise InputError(path.name, N_("file is named .pdf but is not a PDF (it does not start with %PDF-)"),
                         fix=N_("send the statement PDF as the bank produced it"))
    else:
        if table.header:
            message = N_("file is neither an Amazon Business order report nor a card statement; "
                         "its header row has {columns}")
        else:
            message = N_("file is neither an Amazon Business order report nor a card statement; "
                         "its header row is empty")
        raise InputError(
            path.name,
            message,
            location=table.header_location,
            fix=N_("send the order report (Order Date, Order ID, Title, …) "
                   "or the statement (Dato, Beløpet gjelder, Inn, Ut)"),
            row=table.header_number,
            columns=", ".join(repr(name) for name in table.header[:8]),
        )

    log.debug("detected %s as %s", path.name, kind)
    return kind
