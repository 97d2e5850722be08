"""Parsers that turn attachments into records: order reports, Amazon invoices and card statements.

`parse_document` is the entry point: it recognizes the document by its
content and returns the items of a report or invoice, or the parsed
statement. Every parser raises `bot.errors.InputError` naming the file, the
line, row or page, the column, and the fix; no row is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bot.documents.amazon_invoice import parse_amazon_invoice
from bot.documents.amazon_report import parse_order_report
from bot.documents.detect import DocumentKind, detect_kind, is_pdf
from bot.documents.statement_layout import StatementLayout
from bot.documents.statement_pdf import parse_statement_pdf
from bot.documents.statement_table import parse_statement_table
from bot.records import ReportItem, Statement

__all__ = [
    "DocumentKind",
    "StatementLayout",
    "detect_kind",
    "parse_document",
    "parse_order_report",
    "parse_statement_pdf",
    "parse_statement_table",
]


def parse_document(
    path: Path,
    *,
    layouts: Sequence[StatementLayout] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[ReportItem] | Statement:
    """Parse an order report or Amazon invoice (a list of items) or a card statement, recognized by content.

    ``layouts`` are the statement layouts of the configuration, tried
    before the built-in ones. ``progress`` is called with the pages read
    and the page count while a PDF statement is read.
    """
    kind = detect_kind(path, layouts=layouts)
    if kind == "order_report":
        return parse_order_report(path)
    if kind == "amazon_invoice":
        return parse_amazon_invoice(path)
    if is_pdf(path):
        return parse_statement_pdf(path, progress=progress)
    return parse_statement_table(path, layouts=layouts)
