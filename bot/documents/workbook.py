"""Read the worksheets of an XLSX, XLS or ODS file with python-calamine.

Values come as the parsers expect them: text as str, numbers as int or
float, dates as `date` (at midnight) or `datetime`, times as `time`,
durations as `timedelta`, and booleans as bool. calamine reads XLSX and
ODS numbers as floats, so the reader turns a whole number into an int,
which keeps an id such as 4821 from reading as "4821.0". A formula cell
gives the result that the writing program cached. openpyxl caches none,
so its formulas read as empty. An empty cell, a cell of only spaces and
an error value such as #N/A are None, because python-calamine returns
error values as empty text. Rows are numbered as the spreadsheet program
shows them, from 1, and cells start at column A.

calamine stores a sheet as a dense grid over the bounding box of its
cells. For a file with one cell at A1 and one at XFD1048576 it allocates
512 GiB, and for a 3 MB XLSX whose sheet inflates to 64 million cells
several GiB. When an allocation fails, Rust aborts the process (seen with
python-calamine 0.9.1, which bundles calamine 0.37). So the file is read
by `bot.documents.workbook_reader` in a child process whose address space
is capped at `MEMORY_LIMIT_BYTES`, and a child that runs out of memory
becomes an `InputError`.
"""

from __future__ import annotations

import io
import logging
import pickle
import signal
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

SheetValue = str | int | float | bool | date | datetime | time | timedelta | None
SheetRow = tuple[int, tuple[SheetValue, ...]]  # the row number and the cells of a row

ZIP_MAGIC = b"PK\x03\x04"  # XLSX and ODS files are ZIP archives
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an XLS file is an OLE2 compound file
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# calamine picks its reader by the file name's extension.
EXTENSIONS = {"XLSX": ".xlsx", "XLS": ".xls", "ODS": ".ods"}

READER_PROGRAM = Path(__file__).with_name("workbook_reader.py")

# The reader of a 5.7 MB XLSX of 20 000 rows and 72 columns (1.4 million
# cells) fit in a 200 MiB address space. An XLSX of 70 000 such rows, 20.9
# MB and so just under the default attachment limit of 20 MiB, needed 600
# to 800 MiB.
# NOTE: not configurable: a higher mailbox.max_attachment_mb may need a
# higher limit.
MEMORY_LIMIT_BYTES = 2 * 1024**3

# A deflate bomb can also inflate to gigabytes of XML without cells: a
# 1.5 MB XLSX with 1 GiB of empty <row/> elements kept calamine busy for
# 27 s. The 70 000-row XLSX above took 7 to 9 s to read on the machine of
# docs/benchmarks.md, so this limit leaves a slower machine ample time.
READ_TIMEOUT_SECONDS = 120

# Exit codes of a child that ran out of memory: Rust aborts when an
# allocation fails, and the kernel's out-of-memory killer sends SIGKILL.
_OUT_OF_MEMORY_EXITS = (-signal.SIGABRT, -signal.SIGKILL)

SHORTER_FILE_FIX = N_("export a shorter period, or send the file as CSV")


@dataclass(frozen=True)
class Sheet:
    """The non-empty rows of one worksheet, in order, with trailing empty cells dropped."""

    name: str
    rows: tuple[SheetRow, ...]


def workbook_format(data: bytes) -> str | None:
    """Return "XLSX", "XLS" or "ODS" for a workbook's bytes, or None for any other file.

    Any ZIP archive other than an ODS file counts as XLSX, so a damaged
    XLSX file still reaches the reader and is reported as one.
    """
    if data.startswith(OLE2_MAGIC):
        return "XLS"
    if not data.startswith(ZIP_MAGIC):
        return None

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            mimetype = archive.read("mimetype") if "mimetype" in archive.namelist() else b""
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return "XLSX"
    return "ODS" if mimetype.strip() == ODS_MIMETYPE else "XLSX"


def read_sheets(
    source: str, data: bytes, file_format: str, *, first_only: bool = False, max_rows: int | None = None
) -> tuple[Sheet, ...]:
    """Read the worksheets of a workbook, or only the first with ``first_only``.

    ``file_format`` is what `workbook_format` returned for ``data``.
    ``max_rows`` stops each sheet after that many non-empty rows. Chart
    sheets are left out, hidden sheets are not. Raises `InputError` naming
    ``source`` when the file cannot be read, needs more memory than
    `MEMORY_LIMIT_BYTES` or takes longer than `READ_TIMEOUT_SECONDS`.
    """
    with tempfile.TemporaryDirectory(prefix="allocbot-workbook-") as folder:
        path = Path(folder) / f"workbook{EXTENSIONS[file_format]}"
        path.write_bytes(data)
        completed = _run_reader(source, file_format, path, first_only, max_rows)

    # The output is a pickle that this module's own program wrote.
    outcome = pickle.loads(completed.stdout) if completed.returncode == 0 and completed.stdout else None
    if outcome is not None and outcome[0] == "sheets":
        sheets = tuple(Sheet(name, tuple(rows)) for name, rows in outcome[1])
        log.debug("read %s (%s): %d sheet(s), %s rows", source, file_format, len(sheets),
                  [len(sheet.rows) for sheet in sheets])
        return sheets

    raise _read_error(source, file_format, outcome, completed)


def _run_reader(source: str, file_format: str, path: Path, first_only: bool,
                max_rows: int | None) -> subprocess.CompletedProcess[bytes]:
    """Run `bot.documents.workbook_reader` on ``path``, raising `InputError` when it takes too long."""
    # -I keeps the reader's folder off sys.path, because its numbers.py
    # has the name of a standard module, and ignores PYTHON* variables.
    command = [sys.executable, "-I", str(READER_PROGRAM), str(path), str(MEMORY_LIMIT_BYTES)]
    if first_only:
        command.append("--first-only")
    if max_rows is not None:
        command += ["--max-rows", str(max_rows)]

    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False,
                              timeout=READ_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("reading %s as %s timed out after %s s", source, file_format, READ_TIMEOUT_SECONDS)
        raise InputError(
            source,
            N_("cannot be read as {format}: reading it took longer than {seconds} s"),
            fix=SHORTER_FILE_FIX,
            format=file_format,
            seconds=READ_TIMEOUT_SECONDS,
        ) from None


def _read_error(source: str, file_format: str, outcome: tuple | None,
                completed: subprocess.CompletedProcess[bytes]) -> InputError:
    """Build the `InputError` for a reader that reported an error, or that ended without output."""
    if outcome is not None:
        kind, reason = outcome[1], outcome[2]
    else:
        kind = "memory" if completed.returncode in _OUT_OF_MEMORY_EXITS else "invalid"
        reason = f"the reader process exited with status {completed.returncode}"
    error_output = completed.stderr.decode(errors="replace").strip()
    log.warning("reading %s as %s failed (%s): %s; reader error output: %s", source, file_format, kind, reason,
                error_output.splitlines()[0] if error_output else "none")

    if kind == "memory":
        return InputError(
            source,
            N_("cannot be read as {format}: reading it needs more than {limit} MiB of memory"),
            fix=SHORTER_FILE_FIX,
            format=file_format,
            limit=MEMORY_LIMIT_BYTES // 2**20,
        )
    if kind == "password":
        fix = N_("save the file without a password and send it again")
    else:
        fix = N_("export the file again")
    return InputError(source, N_("cannot be read as {format}: {reason}"), fix=fix, format=file_format,
                      reason=reason)
