"""Parsers that turn attachments into records: order reports and card statements.

`parse_document` is the entry point: it recognizes the document by its
content and returns the report's items or the parsed statement. Every parser
raises `bot.errors.InputError` naming the file, the line, row or page, the
column, and the fix; no row is dropped silently.
"""

from __future__ import annotations

from pathlib import Path

from bot.documents.amazon_report import parse_order_report
from bot.documents.detect import DocumentKind, detect_kind, is_pdf
from bot.documents.statement_pdf import parse_statement_pdf
from bot.documents.statement_table import parse_statement_table
from bot.records import ReportItem, Statement

__all__ = [
    "DocumentKind",
    "detect_kind",
    "parse_document",
    "parse_order_report",
    "parse_statement_pdf",
    "parse_statement_table",
]


def parse_document(path: Path) -> list[ReportItem] | Statement:
    """Parse an order report (a list of items) or a card statement, recognized by content."""
    if detect_kind(path) == "order_report":
        return parse_order_report(path)
    if is_pdf(path):
        return parse_statement_pdf(path)
    return parse_statement_table(path)
