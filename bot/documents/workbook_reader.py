"""Read a workbook file with python-calamine and write its rows, pickled, to standard output.

`bot.documents.workbook` runs this file as a program in a child process,
so that a file that exhausts memory ends the child and not the bot::

    python -I workbook_reader.py PATH MEMORY_LIMIT_BYTES [--first-only] [--max-rows N]

It imports nothing of the bot, so the child starts in a few tens of
milliseconds. The output is ``("sheets", [(name, rows), ...])``, with each
row a ``(number, cells)`` tuple, or ``("error", kind, reason)``, where
``kind`` is "password", "memory" or "invalid". The file name must end in
.xlsx, .xls or .ods, because calamine picks its reader by the extension.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import sys
from collections.abc import Sequence

import python_calamine


def main(argv: Sequence[str] | None = None) -> int:
    """Read the workbook named in ``argv`` and write the pickled outcome; return 0, because the outcome names any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the workbook file")
    parser.add_argument("memory_limit", type=int, help="maximum address space of this process, in bytes")
    parser.add_argument("--first-only", action="store_true", help="read only the first worksheet")
    parser.add_argument("--max-rows", type=int, help="stop each sheet after this many non-empty rows")
    args = parser.parse_args(argv)

    limit_address_space(args.memory_limit)
    try:
        sheets = read_workbook_file(args.path, args.first_only, args.max_rows)
        output = pickle.dumps(("sheets", sheets), protocol=pickle.HIGHEST_PROTOCOL)
    except python_calamine.PasswordError as error:
        output = pickle.dumps(("error", "password", str(error)))
    except MemoryError:
        output = pickle.dumps(("error", "memory", "out of memory"))
    # A Rust panic inside calamine arrives as pyo3's PanicException, which
    # derives from BaseException. This program exists to report what went
    # wrong, so it reports that too.
    except BaseException as error:  # noqa: BLE001
        output = pickle.dumps(("error", "invalid", str(error) or type(error).__name__))

    sys.stdout.buffer.write(output)
    return 0


def limit_address_space(limit: int) -> None:
    """Cap this process's address space, so that a failed allocation ends it before the machine runs out of memory."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def read_workbook_file(path: str, first_only: bool, max_rows: int | None) -> list[tuple[str, list[tuple]]]:
    """Return the name and non-empty rows of each worksheet, leaving out chart sheets."""
    with python_calamine.CalamineWorkbook.from_path(path) as workbook:
        indexes = [index for index, metadata in enumerate(workbook.sheets_metadata)
                   if metadata.typ == python_calamine.SheetTypeEnum.WorkSheet]
        if first_only:
            indexes = indexes[:1]

        sheets = []
        for index in indexes:
            sheet = workbook.get_sheet_by_index(index)
            sheets.append((sheet.name, sheet_rows(sheet, max_rows)))
        return sheets


def sheet_rows(sheet: python_calamine.CalamineSheet, max_rows: int | None) -> list[tuple]:
    """Return the non-empty rows of a sheet, numbered from 1 and padded to start at column A."""
    if sheet.start is None:
        return []

    # iter_rows yields the empty rows above the first cell, but starts
    # every row at the leftmost column that has a cell.
    padding = (None,) * sheet.start[1]
    rows = []
    for number, values in enumerate(sheet.iter_rows(), start=1):
        cells = row_cells(values)
        if not cells:
            continue
        rows.append((number, padding + cells))
        if len(rows) == max_rows:
            break
    return rows


def row_cells(values: Sequence[object]) -> tuple:
    """Return a row's values with empty cells as None and whole numbers as int, trailing empty cells dropped."""
    cells = [_cell(value) for value in values]
    while cells and cells[-1] is None:
        cells.pop()
    return tuple(cells)


def _cell(value: object) -> object:
    # calamine gives an empty cell, and an error value such as #N/A, as "".
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


if __name__ == "__main__":
    sys.exit(main())
