"""Parse a bank or card statement exported as CSV or XLSX, in any known layout.

The layout is recognized from the header row (see `statement_header`),
which may sit below a title, the account or card number and the period.
The rows below it are read by `statement_rows`. Reserved rows, the previous
balance and payments of the card invoice are left out and counted in the
`Statement`.

Sign convention of `CardCharge.amount`: a purchase (money out) is positive
and a refund (money in) negative, whatever the layout writes. The original
amount of a foreign purchase is its size, and the direction is in the NOK
amount.

Sums: every undated row whose first text is a total label, such as "Sum"
or "Totalt", must equal the lines since the previous sum (the section), or
all lines so far (a grand total). Lines here include the skipped balance and
payment lines but not reserved ones. `Statement.stated_total` is the last
grand total, else the sum of the section totals, else None when the file
prints no sum.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.documents.dates import find_period
from bot.documents.grid import Grid, read_grid
from bot.documents.numbers import format_decimal_comma
from bot.documents.statement_header import HeaderMatch, find_header, unknown_layout_error
from bot.documents.statement_layout import StatementLayout
from bot.documents.statement_layouts import with_built_ins
from bot.documents.statement_lines import has_card_number
from bot.documents.statement_rows import ReadRow, RowReader
from bot.documents.table import ROW_LOCATIONS
from bot.errors import InputError
from bot.i18n import N_
from bot.records import CardCharge, Statement

log = logging.getLogger(__name__)

CENT = Decimal("0.01")


@dataclass
class _Tally:
    """The running sums and counts of one statement's rows, in file order."""

    charges: list[CardCharge] = field(default_factory=list)
    skipped_days: list[date] = field(default_factory=list)
    pending: int = 0
    notes: int = 0
    since_total: Decimal = Decimal(0)
    all_lines: Decimal = Decimal(0)
    section_totals: Decimal | None = None
    grand_total: Decimal | None = None

    @property
    def stated_total(self) -> Decimal | None:
        return self.grand_total if self.grand_total is not None else self.section_totals


def parse_statement_table(path: Path, *, layouts: Sequence[StatementLayout] = ()) -> Statement:
    """Parse a statement CSV or XLSX into its purchase and refund lines, in file order.

    ``layouts`` are the configured layouts, tried before the built-in ones.
    Raises `InputError` naming the file, row and column for anything that
    cannot be read, and for a sum that differs from its lines.
    """
    grid = read_grid(path)
    candidates = with_built_ins(layouts)
    match = find_header(grid, candidates)
    if match is None:
        raise unknown_layout_error(grid, candidates)

    period, card = _read_preamble(grid, match)
    reader = RowReader(grid.source, grid.row_label, match)
    tally = _Tally()
    rows = 0
    for row in grid.rows_after(match.header):
        read = reader.read(row, card)
        rows += read.kind in ("line", "skipped", "pending", "total")
        if read.kind == "card":
            card = read.label
            log.debug("%s, %s %d: lines below are of card %r", grid.source, grid.row_label, row.number, card)
        _count(grid, tally, read)

    if not rows:
        raise InputError(grid.source, N_("card statement has a header but no transaction rows"),
                         fix=N_("export the period again"))

    statement = _statement(grid, match, tally, period)
    log.info("parsed statement %s (%s): %d charges, %d reserved and %d balance or payment lines left out, "
             "%d notes, stated total %s", grid.source, statement.layout, len(statement.charges), statement.pending,
             statement.skipped, tally.notes, statement.stated_total)
    return statement


def is_statement_header(header: tuple[str, ...], *, layouts: Sequence[StatementLayout] = ()) -> bool:
    """Return whether a header row has the required columns of a configured or built-in layout."""
    return any(layout.match(header) is not None for layout in with_built_ins(layouts))


def _count(grid: Grid, tally: _Tally, read: ReadRow) -> None:
    if read.kind == "line":
        tally.charges.append(read.charge)
    elif read.kind == "skipped":
        tally.skipped_days.append(read.day)
    elif read.kind == "pending":
        tally.pending += 1
        log.debug("%s, %s %d: left out a reserved row", grid.source, grid.row_label, read.number)
    elif read.kind == "total":
        _check_total(grid, tally, read)
    elif read.kind in ("footer", "note"):
        tally.notes += 1
        log.debug("%s, %s %d: left out %s %r", grid.source, grid.row_label, read.number, read.kind, read.label)

    if read.kind in ("line", "skipped"):
        tally.since_total += read.amount
        tally.all_lines += read.amount


def _check_total(grid: Grid, tally: _Tally, read: ReadRow) -> None:
    """Check a sum row against the lines since the previous sum, or against all lines."""
    stated = read.amount.quantize(CENT)
    if stated == tally.since_total.quantize(CENT):
        tally.section_totals = (tally.section_totals or Decimal(0)) + stated
    elif stated == tally.all_lines.quantize(CENT):
        tally.grand_total = stated
    else:
        raise InputError(
            grid.source,
            N_("'{label}' states {stated} but the lines above it sum to {total}, a difference of {difference}"),
            location=ROW_LOCATIONS[grid.row_label],
            fix=N_("check that the file is the bank's complete and unchanged export; purchases count as positive "
                   "and refunds and payments as negative"),
            row=read.number,
            label=read.label,
            stated=format_decimal_comma(stated),
            total=format_decimal_comma(tally.since_total),
            difference=format_decimal_comma(stated - tally.since_total),
        )
    tally.since_total = Decimal(0)


def _read_preamble(grid: Grid, match: HeaderMatch) -> tuple[tuple[date, date] | None, str | None]:
    """Return the period and the card that the rows above the header print, if they do."""
    period = None
    card = None
    for cells in grid.preamble(match.header):
        text = " ".join(cell for cell in cells if cell)
        if period is None:
            period = find_period(text)
        if has_card_number(text):
            card = text
    return period, card


def _statement(grid: Grid, match: HeaderMatch, tally: _Tally, period: tuple[date, date] | None) -> Statement:
    if period is None:
        days = [charge.date for charge in tally.charges] or tally.skipped_days
        period = (min(days), max(days)) if days else None

    return Statement(
        source=grid.source,
        charges=tuple(tally.charges),
        stated_total=tally.stated_total,
        layout=f"{match.layout.name} ({grid.kind})",
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        pending=tally.pending,
        skipped=len(tally.skipped_days),
    )
