"""Parse a PDF card statement in one of the layouts of `pdf_layouts`.

The layout is recognised from the first page that carries one of its
markers. Then every text line of every page is one of these, in this order:

- a balance line (``Inngående saldo``, ``Overført fra forrige side``, …)
  or a printed total, checked against the rows above it (see `pdf_totals`);
- a card holder heading, which sets `CardCharge.card` for the rows below;
- the period (``Periode 01.11.2026 - 30.11.2026``);
- a row, which starts with a date and must parse (see `pdf_rows`);
- the continuation of a wrapped description: a line without a date, just
  below the row, that starts right of the row's date and left of its amount;
- anything else (title, header, footer), which is ignored.

`CardCharge.amount` keeps the statement's sign: purchases positive, refunds
negative. Balance and payment rows are skipped (see `statement_lines`) but
count towards the carried balances. `CardCharge.line` counts text lines
through the whole document, so it orders rows across pages; errors name
the page and the line on that page.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import date
from pathlib import Path

from bot.documents.numbers import parse_norwegian_date
from bot.documents.pdf_layouts import (
    BALANCE_KINDS,
    DNB_BEDRIFTSKORT,
    FIELD_PATTERNS,
    LAYOUTS,
    Field,
    LineKind,
    PdfLayout,
    find_label,
    select_layout,
)
from bot.documents.pdf_rows import SourceLine, read_row
from bot.documents.pdf_text import PdfPage, Progress, read_pdf_pages
from bot.documents.pdf_totals import Totals
from bot.documents.statement_lines import is_balance_or_payment
from bot.errors import InputError, InvalidValueError
from bot.i18n import N_
from bot.records import CardCharge, Statement

log = logging.getLogger(__name__)

SUM_LABEL = DNB_BEDRIFTSKORT.sum_label

_STARTS_WITH_DATE = re.compile(rf"{FIELD_PATTERNS[Field.DATE]}\b")
_LEADING_DATE = re.compile(rf"{FIELD_PATTERNS[Field.DATE]}\s+")
_PERIOD = re.compile(rf"(?P<start>{FIELD_PATTERNS[Field.DATE]})\s*[-\u2013]\s*(?P<end>{FIELD_PATTERNS[Field.DATE]})")

# A wrapped description starts at least this many points right of its
# row's first cell, and at most one line height below the line above it.
CONTINUATION_INDENT = 2.0


def is_statement_pdf(first_page_text: str) -> bool:
    """Return whether a PDF's first page (its text lines joined) carries the marker of a supported layout."""
    return any(layout.matches(first_page_text) for layout in LAYOUTS)


def parse_statement_pdf(path: Path, *, progress: Progress | None = None) -> Statement:
    """Parse a PDF statement and check its rows against every total it prints.

    ``progress`` is called after each page with the number of pages read so
    far and the number of pages, for a progress display.
    """
    started = time.perf_counter()
    pages = read_pdf_pages(path, tables=True, progress=progress)
    layout = select_layout(["\n".join(line.text for line in page.lines) for page in pages])
    if layout is None:
        raise InputError(
            path.name,
            N_("PDF is not a card statement in a known layout: no page has any of the texts {markers}"),
            fix=N_("send the card statement PDF from the bank, or the statement as CSV or XLSX"),
            markers=", ".join(repr(marker) for layout in LAYOUTS for marker in layout.markers),
        )
    log.info("parsing %s as %s", path.name, layout.name)

    reader = _StatementReader(path.name, layout, ocr=any(page.ocr for page in pages))
    for line in _source_lines(path.name, pages):
        reader.read(line)
    statement = reader.finish()

    log.info("parsed statement %s (%s): %d charges, %d balance or payment rows skipped, in %.1f s",
             path.name, layout.name, len(statement.charges), statement.skipped, time.perf_counter() - started)
    return statement


def _source_lines(source: str, pages: list[PdfPage]) -> list[SourceLine]:
    lines = []
    index = 0
    for page in pages:
        for number, line in enumerate(page.lines, start=1):
            index += 1
            lines.append(SourceLine(source, page.number, number, index, line))
    return lines


class _StatementReader:
    """Read a statement's lines in order, keeping the row being read and the card section it is in."""

    def __init__(self, source: str, layout: PdfLayout, *, ocr: bool):
        self.source = source
        self.layout = layout
        self.totals = Totals(layout, ocr=ocr)
        self.charges: list[CardCharge] = []
        self.skipped = 0
        self.card: str | None = None
        self.period: tuple[date, date] | None = None
        # The lines of the row being read: the row, then the lines its description wraps onto.
        self.row_lines: list[SourceLine] = []

    def read(self, line: SourceLine) -> None:
        found = self._label(line)
        if found is None:
            self._read_other(line)
            return

        self._finish_row()
        kind, label, rest = found
        if kind in BALANCE_KINDS:
            self.totals.check_balance(line, kind, label, rest)
        elif kind == LineKind.PURCHASE_TOTAL:
            self.totals.record_sum(line, label, rest)
        elif kind == LineKind.CARD_TOTAL:
            self.totals.check_card_sum(line, label, rest)
        elif kind == LineKind.CARD:
            self.card = rest
            self.totals.start_card(rest)
        elif kind == LineKind.PERIOD:
            self._read_period(line, rest)

    def finish(self) -> Statement:
        self._finish_row()
        if not self.charges and self.totals.sum_line is None and not self.skipped:
            raise InputError(
                self.source,
                N_("no statement rows found in the PDF"),
                fix=N_("send the card statement PDF with the table {columns}"),
                columns=self.layout.header,
            )
        if self.totals.sum_line is None:
            log.warning("statement %s has no '%s' line; its purchase rows cannot be checked against a total",
                        self.source, self.layout.sum_label)
        self.totals.check_sum()

        start, end = self.period or self._row_period()
        return Statement(
            source=self.source,
            charges=tuple(self.charges),
            stated_total=self.totals.stated_total,
            layout=self.layout.name,
            period_start=start,
            period_end=end,
            skipped=self.skipped,
        )

    def _read_other(self, line: SourceLine) -> None:
        """Start a row at a line with a date, continue the row's description, or ignore the line."""
        if _STARTS_WITH_DATE.match(line.text):
            self._finish_row()
            self.row_lines = [line]
        elif self._continues(line):
            self.row_lines.append(line)
        else:
            self._finish_row()
            log.debug("%s, page %d, line %d: ignored %r", line.source, line.page, line.number, line.text)

    def _label(self, line: SourceLine) -> tuple[LineKind, str, str] | None:
        """Return the kind of line, label and text after the label of a line that starts with a layout label.

        A balance line may start with a date, such as the closing date
        before ``Utgående saldo``.
        """
        labels = self.layout.labels
        found = find_label(line.text, labels, ocr=line.line.ocr)
        dated = _LEADING_DATE.match(line.text)
        if found is None and dated is not None:
            balance_labels = [label for label, kind in labels.items() if kind in BALANCE_KINDS]
            found = find_label(line.text[dated.end():], balance_labels, ocr=line.line.ocr)
        if found is None:
            return None
        label, rest = found
        return labels[label], label, rest

    def _continues(self, line: SourceLine) -> bool:
        """Return whether the line contains more of the description of the row being read."""
        if not self.row_lines:
            return False
        row = self.row_lines[0]
        above = self.row_lines[-1]
        if line.page != row.page or line.line.ruled or row.line.ruled:
            return False

        # NOTE: this expects the other cells on the row's first line. A layout
        # that prints them on the last line of a wrapped row fails to parse.
        indented = line.line.x0 > row.line.x0 + CONTINUATION_INDENT
        left_of_amount = line.line.x0 < row.line.cells[-1].x0
        close = line.line.top - above.line.bottom <= above.line.bottom - above.line.top
        return indented and left_of_amount and close

    def _finish_row(self) -> None:
        if not self.row_lines:
            return
        row, *continuation = self.row_lines
        self.row_lines = []

        wrapped = [" ".join(cell.text for cell in line.line.cells if cell.text) for line in continuation]
        charge = read_row(self.layout, row, wrapped, self.card)
        skipped = is_balance_or_payment(charge.description)
        self.totals.add(charge, skipped=skipped)
        if skipped:
            self.skipped += 1
            log.debug("%s, page %d, line %d: skipped %r", row.source, row.page, row.number, charge.description)
        else:
            self.charges.append(charge)

    def _read_period(self, line: SourceLine, text: str) -> None:
        match = _PERIOD.fullmatch(text)
        if match is None or self.period is not None:
            return
        try:
            self.period = (parse_norwegian_date(match["start"]), parse_norwegian_date(match["end"]))
        except InvalidValueError as error:
            raise line.error((N_("period line {row}"), error.message),
                             fix=N_("the period must be two dates like 01.11.2026 - 30.11.2026"),
                             **error.params) from None

    def _row_period(self) -> tuple[date | None, date | None]:
        dates = [charge.date for charge in self.charges]
        return (min(dates), max(dates)) if dates else (None, None)
