"""The shared part of the file connectors (CSV, JSON, DATEV): checks, atomic writes and exactly-once export.

Each batch of vouchers goes to one new file in the export folder (DATEV may
need one file per fiscal year). A file is written to a hidden temporary
name and renamed with ``os.replace``, so a reader never sees half a file,
and a lock file serialises the exports of all file connectors to one
folder, so two runs never interleave.

A voucher already in an earlier file of the same connector in the folder is
not written again, and ``post`` returns the earlier file as its id. So a
retry after a crash between writing the file and recording the posting
books nothing twice. The same number with other lines (another date,
account, amount, cost center, project or VAT code) means the folder
belongs to another database, and the export stops with ExportError.

A voucher that breaks a rule of the layout, such as DATEV's account
length, is returned as Rejected and the others are written. Raising
instead would leave the whole batch "sending", and the same voucher would
stop every later run.
"""

from __future__ import annotations

import fcntl
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Self

from bot.errors import InputError
from bot.i18n import N_
from bot.ports import Posted, Rejected, Voucher

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

LOCK_FILE = ".export.lock"

# The identity of a written voucher: one tuple of cell values per line, as they appear in the file.
VoucherKey = tuple[tuple[str | None, ...], ...]


class ExportError(InputError):
    """The export folder cannot take the vouchers, or contains a file that contradicts them; nothing was written."""


class UnwritableVoucher(Exception):
    """A voucher that breaks a rule of the file layout, which ``post`` returns as Rejected.

    ``message`` names the voucher, the value and the fix, and ``field`` the
    part of the voucher, such as ``line 2 account`` (lines count from 1).
    """

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class FileExporter(ABC):
    """Writes batches of vouchers to new files in ``directory``; a subclass supplies the layout.

    ``currency`` is the company currency that every voucher's amounts are
    in. ``clock`` returns the time-zone aware time that file names and
    creation stamps carry, in UTC.
    """

    name: str
    file_prefix: str
    file_suffix: str

    def __init__(self, directory: Path, *, currency: str = "NOK", clock: Callable[[], datetime] = utc_now):
        self.directory = Path(directory)
        self.currency = currency
        self.clock = clock
        self.written: list[Path] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        export = settings.export
        return cls(export.export_dir, currency=export.currency)

    def post(self, vouchers: Sequence[Voucher]) -> list[Posted | Rejected]:
        """Write the vouchers not exported before to new files and return one outcome per voucher, in order.

        A voucher found in an earlier file is Posted with that file and not
        checked again. A voucher that breaks a rule of the layout is
        Rejected, and the others are written. When all are rejected, no
        voucher file is written. The external id of a Posted voucher is
        ``<file name>#<voucher number>``.

        Raises ExportError when the folder cannot be written or belongs to
        another database, and ValueError for a batch that bot.posting.build
        never builds (see ``_check_built``). Both are raised before the
        first file is written. Only when writing the second file of a
        batch fails does the first one stay, and a retry then finds its
        vouchers.
        """
        if not vouchers:
            return []
        for voucher in vouchers:
            _check_built(voucher)
        _check_distinct_numbers(vouchers)
        log.info("%s export of %d vouchers to %s started", self.name, len(vouchers), self.directory)

        self._create_directory(vouchers)
        with self._locked(vouchers):
            exported = self._exported()
            for voucher in vouchers:
                self._check_same(voucher, exported)

            skipped = [voucher.number for voucher in vouchers if voucher.number in exported]
            rejected = self._rejections([voucher for voucher in vouchers if voucher.number not in exported])
            new = [voucher for voucher in vouchers if voucher.number not in exported and voucher.number not in rejected]
            if new:
                for group in self.split(new):
                    path = self._write(group)
                    exported.update({voucher.number: (path.name, self.key(voucher)) for voucher in group})

        if skipped:
            log.warning("%s export skipped %d vouchers already in %s: %s",
                        self.name, len(skipped), self.directory, ", ".join(skipped))
        log.info("%s export finished: %d new vouchers, %d already exported, %d rejected",
                 self.name, len(new), len(skipped), len(rejected))
        written = {voucher.number for voucher in new}
        return [rejected[voucher.number] if voucher.number in rejected
                else Posted(voucher.number, f"{exported[voucher.number][0]}#{voucher.number}",
                            note=self.note(voucher) if voucher.number in written else "")
                for voucher in vouchers]

    def note(self, voucher: Voucher) -> str:
        """Return what the controllers should know about a written voucher, such as a field left empty."""
        return ""

    def find(self, numbers: Sequence[str]) -> dict[str, str]:
        """Return ``{number: "<file name>#<number>"}`` for the numbers already in this connector's files."""
        if not self.directory.is_dir():
            return {}
        exported = self._exported()
        return {number: f"{exported[number][0]}#{number}" for number in numbers if number in exported}

    def split(self, vouchers: list[Voucher]) -> list[list[Voucher]]:
        """Group the vouchers into files; all in one file unless the layout needs more."""
        return [vouchers]

    def check(self, voucher: Voucher) -> None:
        """Raise UnwritableVoucher for a voucher this layout cannot represent; the default accepts all."""

    @abstractmethod
    def render(self, vouchers: Sequence[Voucher], created_at: datetime) -> bytes:
        """Return the whole content of one file that contains ``vouchers``."""

    @abstractmethod
    def read(self, path: Path) -> dict[str, VoucherKey]:
        """Return the key of each voucher in one of this connector's files, by number.

        Raises ExportError (through ``foreign_file``) for a file that this
        connector did not write.
        """

    @abstractmethod
    def key(self, voucher: Voucher) -> VoucherKey:
        """Return the cell values that ``read`` returns for this voucher once it is written."""

    def foreign_file(self, path: Path, reason: str) -> ExportError:
        """Return the error for a file in the folder that has this connector's name but not its layout."""
        log.error("%s export: %s is not a file of this connector: %s", self.name, path, reason)
        return ExportError(path, N_("not a file this connector writes: {reason}"),
                           fix=N_("move the file out of the export folder, or set export.export_dir "
                                  "to another folder"),
                           reason=reason)

    def _rejections(self, vouchers: Sequence[Voucher]) -> dict[str, Rejected]:
        """Return the Rejected outcome of each voucher that breaks a rule of the layout, by number."""
        rejected = {}
        for voucher in vouchers:
            try:
                if voucher.currency != self.currency:
                    raise UnwritableVoucher(f"voucher {voucher.number} is in {voucher.currency}, but the export "
                                            f"currency (export.currency) is {self.currency}; set export.currency "
                                            f"to {voucher.currency} to export it", "currency")
                self.check(voucher)
            except UnwritableVoucher as problem:
                log.warning("%s export: voucher %s rejected (%s): %s", self.name, voucher.number, problem.field,
                            problem.message)
                rejected[voucher.number] = Rejected(voucher.number, problem.message, field=problem.field)
        return rejected

    def _create_directory(self, vouchers: Sequence[Voucher]) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.error("%s export of %s: cannot create %s: %s",
                      self.name, _numbers(vouchers), self.directory, exc)
            raise ExportError(self.directory, N_("cannot create the export folder: {reason}"),
                              fix=N_("set export.export_dir to a folder allocbot may write to"),
                              reason=exc.strerror or str(exc)) from None

    @contextmanager
    def _locked(self, vouchers: Sequence[Voucher]) -> Iterator[None]:
        """Hold an exclusive flock on the folder's lock file; closing the file releases it."""
        try:
            handle = (self.directory / LOCK_FILE).open("w")
        except OSError as exc:
            raise self._unwritable(vouchers, exc) from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _exported(self) -> dict[str, tuple[str, VoucherKey]]:
        """Map each voucher number in the connector's files to the first file that contains it, and its key there."""
        exported: dict[str, tuple[str, VoucherKey]] = {}
        for path in sorted(self.directory.glob(f"{self.file_prefix}*{self.file_suffix}")):
            for number, key in self.read(path).items():
                exported.setdefault(number, (path.name, key))
        return exported

    def _check_same(self, voucher: Voucher, exported: dict[str, tuple[str, VoucherKey]]) -> None:
        if voucher.number not in exported:
            return
        name, key = exported[voucher.number]
        if key != self.key(voucher):
            log.error("%s export: voucher %s in %s has other lines than the voucher to export",
                      self.name, voucher.number, name)
            raise ExportError(self.directory / name, N_("voucher {number} is already there with other lines"),
                              fix=N_("the export folder holds another database's vouchers; "
                                     "set export.export_dir to a folder of this database's own"),
                              number=voucher.number)

    def _write(self, vouchers: Sequence[Voucher]) -> Path:
        created_at = self.clock().astimezone(timezone.utc)
        content = self.render(vouchers, created_at)

        path = self._new_path(created_at)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            temporary.write_bytes(content)
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise self._unwritable(vouchers, exc) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

        self.written.append(path)
        log.info("%s export wrote %d vouchers to %s: %s", self.name, len(vouchers), path, _numbers(vouchers))
        return path

    def _new_path(self, created_at: datetime) -> Path:
        # Called under the folder lock, so no other export takes the name between the check and the rename.
        stem = f"{self.file_prefix}{created_at:%Y%m%d-%H%M%S}"
        path = self.directory / f"{stem}{self.file_suffix}"
        counter = 1
        while path.exists():
            counter += 1
            path = self.directory / f"{stem}-{counter}{self.file_suffix}"
        return path

    def _unwritable(self, vouchers: Sequence[Voucher], exc: OSError) -> ExportError:
        log.error("%s export of %s: cannot write to %s: %s", self.name, _numbers(vouchers), self.directory, exc)
        return ExportError(self.directory, N_("cannot write to the export folder: {reason}"),
                           fix=N_("set export.export_dir to a folder allocbot may write to"),
                           reason=exc.strerror or str(exc))


def exported_files(external_ids: Sequence[str]) -> list[str]:
    """Return the file names, sorted and once each, behind the file connectors' external ids."""
    return sorted({external_id.split("#", 1)[0] for external_id in external_ids})


def check_encodable(voucher: Voucher, encoding: str) -> None:
    """Raise UnwritableVoucher naming the voucher and field for text that ``encoding`` cannot encode.

    UTF-8 encodes every character except a lone surrogate, which decoding
    a broken mail header with ``errors="surrogateescape"`` can leave behind.
    """
    texts = [("number", voucher.number), ("description", voucher.description), ("reference", voucher.reference)]
    for index, line in enumerate(voucher.lines, start=1):
        texts += [(f"line {index} {name}", getattr(line, name) or "")
                  for name in ("account", "description", "cost_center", "project", "tax_code")]
    for field, text in texts:
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            raise UnwritableVoucher(f"voucher {voucher.number}, {field}: {text!r} cannot be written in {encoding} "
                                    f"({exc.reason} at position {exc.start}); correct the text where it comes from, "
                                    "such as the item title, the card statement line or the file name",
                                    field) from None


def _check_built(voucher: Voucher) -> None:
    """Raise ValueError for a voucher without lines, one that does not balance, or an amount with a fraction of an øre.

    bot.posting.build builds only vouchers with lines that balance, from
    amounts the store keeps in whole øre, so these are programming errors
    rather than a voucher's content, and they stop the whole batch.
    """
    if not voucher.lines:
        raise ValueError(f"voucher {voucher.number} has no lines")
    if voucher.balance() != 0:
        raise ValueError(f"voucher {voucher.number} does not balance: {voucher.balance()}")
    for line in voucher.lines:
        # The files have two decimals, so a fraction of an øre would be
        # rounded away and could unbalance the written voucher.
        if not _whole_ore(line.amount):
            raise ValueError(f"voucher {voucher.number}, account {line.account}: "
                             f"amount {line.amount} is not a whole number of øre")


def _check_distinct_numbers(vouchers: Sequence[Voucher]) -> None:
    # The store gives each voucher its own number, so a number twice in a batch is a programming error too.
    seen: set[str] = set()
    for voucher in vouchers:
        if voucher.number in seen:
            raise ValueError(f"voucher {voucher.number} appears twice in one batch")
        seen.add(voucher.number)


def _whole_ore(amount: Decimal) -> bool:
    if not amount.is_finite():
        return False
    hundredths = amount * 100
    return hundredths == hundredths.to_integral_value()


def _numbers(vouchers: Sequence[Voucher]) -> str:
    return ", ".join(voucher.number for voucher in vouchers)
