"""Voucher export to a CSV file that accounting systems and spreadsheets import.

Layout: UTF-8 with BOM (so spreadsheet programs detect the encoding), ``;``
as separator, one row per voucher line, ISO dates and a decimal point, with
the columns in ``COLUMNS``. Debit lines are positive and the card account's
credit line is negative, so each voucher's rows sum to zero.

The file is written to a temporary name and renamed, so a reader never sees
half a file. A voucher already present in an earlier file of the folder,
with the same number and the same lines, is not written again, so a retry
after a crash (the file written, the posting not yet recorded) books
nothing twice. The same number with other lines means the folder belongs to
another database, and the export stops with ExportError. A lock file
serialises concurrent exports to one folder.
"""

from __future__ import annotations

import csv
import fcntl
import logging
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from bot.errors import InputError
from bot.i18n import N_
from bot.ports import Voucher

log = logging.getLogger(__name__)

CENT = Decimal("0.01")

COLUMNS = ("voucher_number", "date", "account", "cost_center", "project", "tax_code",
           "amount", "currency", "description", "reference")


class FileExporter:
    """Write each batch of vouchers to a new CSV file in ``directory``."""

    name = "file"

    def __init__(self, directory: Path, *, clock=datetime.now):
        self.directory = directory
        self.clock = clock
        self.written: list[Path] = []

    def post(self, vouchers: Sequence[Voucher]) -> list[str]:
        """Write the vouchers not exported before to one new file.

        The external id is ``<file name>#<voucher number>``, naming the
        earlier file for a voucher that was already there.
        """
        if not vouchers:
            return []
        for voucher in vouchers:
            if voucher.balance() != 0:
                raise ValueError(f"voucher {voucher.number} does not balance: {voucher.balance()}")
            # The file has two decimals, so a fraction of an øre would be
            # rounded away and could unbalance the written voucher.
            for line in voucher.lines:
                if line.amount != line.amount.quantize(CENT):
                    raise ValueError(f"voucher {voucher.number}, account {line.account}: "
                                     f"amount {line.amount} is not a whole number of øre")

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(self.directory, N_("cannot create the export folder: {reason}"),
                              fix=N_("set export.export_dir to a folder allocbot may write to"),
                              reason=exc.strerror) from None

        with (self.directory / ".export.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            exported = self._exported_vouchers()
            for voucher in vouchers:
                self._check_same(voucher, exported)
            new = [voucher for voucher in vouchers if voucher.number not in exported]
            if new:
                path = self._write(new)
                exported.update({voucher.number: (path.name, _rows(voucher)) for voucher in new})
        skipped = len(vouchers) - len(new)
        if skipped:
            log.warning("skipped %d vouchers exported before to %s", skipped, self.directory)
        return [f"{exported[voucher.number][0]}#{voucher.number}" for voucher in vouchers]

    def _exported_vouchers(self) -> dict[str, tuple[str, list[list[str]]]]:
        """Map each voucher number in the folder's earlier files to its file name and rows."""
        vouchers: dict[str, tuple[str, list[list[str]]]] = {}
        for path in sorted(self.directory.glob("vouchers-*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle, delimiter=";"):
                    name, rows = vouchers.setdefault(row["voucher_number"], (path.name, []))
                    if name == path.name:
                        rows.append([row[column] for column in COLUMNS])
        return vouchers

    def _check_same(self, voucher: Voucher, exported: dict[str, tuple[str, list[list[str]]]]) -> None:
        if voucher.number not in exported:
            return
        name, rows = exported[voucher.number]
        if rows != _rows(voucher):
            raise ExportError(self.directory / name, N_("voucher {number} is already there with other lines"),
                              fix=N_("the export folder holds another database's vouchers; "
                                     "set export.export_dir to a folder of this database's own"),
                              number=voucher.number)

    def _write(self, vouchers: Sequence[Voucher]) -> Path:
        path = self._new_path()
        temporary = path.with_suffix(".tmp")
        try:
            with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
                writer.writerow(COLUMNS)
                for voucher in vouchers:
                    writer.writerows(_rows(voucher))
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

        self.written.append(path)
        log.info("exported %d vouchers to %s", len(vouchers), path)
        return path

    def _new_path(self) -> Path:
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"vouchers-{stamp}.csv"
        counter = 1
        while path.exists():
            counter += 1
            path = self.directory / f"vouchers-{stamp}-{counter}.csv"
        return path


class ExportError(InputError):
    """The export folder cannot take the vouchers; nothing was written."""


def _rows(voucher: Voucher) -> list[list[str]]:
    """Return the voucher's CSV rows, one per line, as strings in COLUMNS order."""
    return [
        [voucher.number, voucher.date.isoformat(), line.account,
         line.cost_center or "", line.project or "", line.tax_code or "",
         f"{line.amount:.2f}", "NOK", line.description, voucher.reference]
        for line in voucher.lines
    ]


def exported_files(external_ids: Sequence[str]) -> list[str]:
    """Return the file names, sorted and once each, behind this connector's external ids."""
    return sorted({external_id.split("#", 1)[0] for external_id in external_ids})
