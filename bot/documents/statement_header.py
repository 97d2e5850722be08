"""Find a statement's header row, and with it its layout, in the first rows of a file.

The header is recognized by its names, never by the file name, and may sit
below a title, the account number or the period. The first row, in file
order, that has every required column of some layout is the header. For
each row the layouts are tried in the order given, which puts configured
layouts before the built-in ones. A CSV line is tried with each separator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.documents.grid import Grid, HeaderCandidate
from bot.documents.statement_layout import StatementLayout
from bot.documents.table import ROW_LOCATIONS
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

# The rows searched for a header. American Express puts six rows above it,
# and SEB Kort's Swedish exports up to about 26.
HEADER_SEARCH_ROWS = 40

LAYOUT_FIX = N_("export the statement again in one of these layouts, "
                "or describe its layout under [[statement_layouts]] in the configuration")


@dataclass(frozen=True)
class HeaderMatch:
    """The header row found, the layout it belongs to, and the column of each role found."""

    layout: StatementLayout
    header: HeaderCandidate
    columns: dict[str, int]


def find_header(grid: Grid, layouts: Sequence[StatementLayout]) -> HeaderMatch | None:
    """Return the first row of ``grid`` that is the header of one of ``layouts``, or None.

    Raises `InputError` when the header found names one column twice.
    """
    for candidate in grid.candidates(HEADER_SEARCH_ROWS):
        for layout in layouts:
            if not _delimiter_fits(layout, candidate):
                continue
            columns = layout.match(candidate.cells)
            if columns is None:
                continue

            _check_duplicates(grid, layout, candidate)
            log.info("%s: %s %d is the header of layout %r (%s, delimiter %r)", grid.source, grid.row_label,
                     candidate.number, layout.name, grid.kind, candidate.delimiter)
            return HeaderMatch(layout, candidate, columns)
    return None


def find_near_miss(grid: Grid, layouts: Sequence[StatementLayout]) -> InputError | None:
    """Return the error for a row that lacks exactly one required column of a layout, if any.

    The row must have at least three of the layout's required columns,
    because two such as "Dato" and "Beløp" are in many layouts. The row and
    layout with the most of them win.
    """
    best: tuple[int, HeaderCandidate, StatementLayout, list[str]] | None = None
    for candidate in grid.candidates(HEADER_SEARCH_ROWS):
        for layout in layouts:
            if not _delimiter_fits(layout, candidate):
                continue
            missing = layout.missing(candidate.cells)
            found = len(layout.required) - len(missing)
            if len(missing) != 1 or found < 3:
                continue
            if best is None or found > best[0]:
                best = (found, candidate, layout, missing)
    if best is None:
        return None

    _, candidate, layout, missing = best
    return InputError(
        grid.source,
        N_("the header looks like a {layout} statement but lacks the column(s) {columns}"),
        location=ROW_LOCATIONS[grid.row_label],
        fix=N_("export the statement with the columns {expected}"),
        row=candidate.number,
        layout=layout.name,
        columns=", ".join(repr(name) for name in missing),
        expected=", ".join(names[0] for role, names in layout.columns.items() if role in layout.required),
    )


def unknown_layout_error(grid: Grid, layouts: Sequence[StatementLayout]) -> InputError:
    """Build the error for a file with no known header: the likeliest header row found, and the known layouts."""
    near_miss = find_near_miss(grid, layouts)
    if near_miss is not None:
        return near_miss

    known = ", ".join(layout.name for layout in layouts)
    candidates = list(grid.candidates(HEADER_SEARCH_ROWS))
    if not candidates:
        return InputError(grid.source, N_("file has no rows; the known statement layouts are {layouts}"),
                          fix=LAYOUT_FIX, layouts=known)

    # The row split into the most non-empty cells is the likeliest header.
    likeliest = max(candidates, key=lambda candidate: sum(1 for cell in candidate.cells if cell))
    return InputError(
        grid.source,
        N_("no header of a known statement layout in the first {count} rows; the likeliest header has "
           "{columns}, and the known layouts are {layouts}"),
        location=ROW_LOCATIONS[grid.row_label],
        fix=LAYOUT_FIX,
        row=likeliest.number,
        count=HEADER_SEARCH_ROWS,
        columns=", ".join(repr(cell) for cell in likeliest.cells[:10] if cell),
        layouts=known,
    )


def _delimiter_fits(layout: StatementLayout, candidate: HeaderCandidate) -> bool:
    return layout.delimiter is None or candidate.delimiter is None or layout.delimiter == candidate.delimiter


def _check_duplicates(grid: Grid, layout: StatementLayout, candidate: HeaderCandidate) -> None:
    duplicate = layout.duplicates(candidate.cells)
    if duplicate is None:
        return

    role, first, second = duplicate
    raise InputError(
        grid.source,
        N_("columns '{first}' and '{second}' both contain '{column}'"),
        location=ROW_LOCATIONS[grid.row_label],
        fix=N_("remove one of the two columns"),
        row=candidate.number,
        first=candidate.cells[first],
        second=candidate.cells[second],
        column=role,
    )
