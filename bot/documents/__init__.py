"""Parsers that turn attachments into records: order reports, Amazon invoices and card statements.

`parse_document` is the entry point: it recognizes the document by its
content and returns the items of a report or invoice, or the parsed
statement. Every parser raises `bot.errors.InputError` naming the file, the
line, row or page, the column, and the fix; no row is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    "ReadDocument",
    "detect_kind",
    "parse_document",
    "read_document",
    "parse_order_report",
    "parse_statement_pdf",
    "parse_statement_table",
]


@dataclass(frozen=True)
class ReadDocument:
    """A parsed document and the kind detection found: the items of a report or invoice, or a statement."""

    kind: DocumentKind
    content: list[ReportItem] | Statement


def read_document(
    path: Path,
    *,
    layouts: Sequence[StatementLayout] = (),
    progress: Callable[[int, int], None] | None = None,
) -> ReadDocument:
    """Recognize a document by its content and parse it.

    ``layouts`` are the statement layouts of the configuration, tried
    before the built-in ones. ``progress`` is called with the pages read
    and the page count while a PDF statement is read.
    """
    kind = detect_kind(path, layouts=layouts)
    if kind == "order_report":
        content: list[ReportItem] | Statement = parse_order_report(path)
    elif kind == "amazon_invoice":
        content = parse_amazon_invoice(path)
    elif is_pdf(path):
        content = parse_statement_pdf(path, progress=progress)
    else:
        content = parse_statement_table(path, layouts=layouts)
    return ReadDocument(kind, content)


def parse_document(path: Path, *, layouts: Sequence[StatementLayout] = ()) -> list[ReportItem] | Statement:
    """Parse an order report or Amazon invoice (a list of items) or a card statement, recognized by content."""
    return read_document(path, layouts=layouts).content
