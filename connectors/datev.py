"""Voucher export to DATEV EXTF "Buchungsstapel" files, which a German tax advisor imports into DATEV.

DATEV books an amount on an account against a counter-account. Each voucher
line other than the clearing line becomes one booking. Its Konto is the
line's account and its Gegenkonto the card's clearing account. Umsatz is
the absolute gross amount, and "S" (debit) or "H" (credit, such as a
refund) marks the side of Konto. The clearing lines are folded into these bookings, so
they get no row of their own, and a line of zero gets none either.

One file contains the vouchers of one fiscal year, because DATEV takes a
Belegdatum as day and month only and the year from the header's period.
The header's Datum vom and Datum bis span the vouchers' dates, widened to
their statement periods where these lie in the same fiscal year.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import DatevSettings
from bot.ports import Voucher
from connectors.datev_format import (
    ACCOUNT, AMOUNT, BOOKING_TEXT, BOOKING_TEXT_LENGTH, CONTRA_ACCOUNT, COST_CENTER_1, COST_CENTER_2,
    COST_CENTER_LENGTH, DEBIT_CREDIT, DOCUMENT_DATE, DOCUMENT_FIELD_1, DOCUMENT_FIELD_LENGTH, TAX_KEY,
    ExtfHeader, booking_line, header_line, heading_line, read_bookings,
)
from connectors.datev_text import ENCODING, encodable, text_field
from connectors.files import FileExporter, UnwritableVoucher, VoucherKey, utc_now
from connectors.spreadsheet import FORMULA_STARTS, amount_text

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

# Belegfeld 1 takes digits, the letters A-Z and a-z, and $ & % * + - /, as third-party writers quote
# DATEV's format description. Two of them strip other characters, and ameax/datev-extf checks nothing.
# NOTE: the set is not confirmed against DATEV's own description or its format checker.
# The voucher number is the key that `find` reads back, so a number outside this set is rejected, not
# changed. It must also start with a letter or digit, because a leading + or - would read as a formula
# in a spreadsheet, and the field has no room for the apostrophe that would neutralise it.
DOCUMENT_NUMBER = re.compile(rf"[A-Za-z0-9][A-Za-z0-9$&%*+\-/]{{0,{DOCUMENT_FIELD_LENGTH - 1}}}")

MAX_AMOUNT = Decimal("9999999999.99")    # Umsatz has at most 10 digits before the decimal comma

# The booking cells compared when a voucher number is found in an earlier file. The tax key and the
# text are left out, because they change with the settings and the text conversion, not the booking.
KEY_COLUMNS = (AMOUNT, DEBIT_CREDIT, ACCOUNT, CONTRA_ACCOUNT, DOCUMENT_DATE, COST_CENTER_1, COST_CENTER_2)


class DatevExporter(FileExporter):
    """Writes each batch to ``EXTF_Buchungsstapel_YYYYMMDD-HHMMSS[-N].csv`` files, one per fiscal year."""

    name = "datev"
    file_prefix = "EXTF_Buchungsstapel_"
    file_suffix = ".csv"

    def __init__(self, directory: Path, datev: DatevSettings | None = None, *, currency: str = "NOK",
                 clock: Callable[[], datetime] = utc_now):
        super().__init__(directory, currency=currency, clock=clock)
        self.datev = datev or DatevSettings()
        self.fiscal_month, self.fiscal_day = _month_day(self.datev.fiscal_year_start)

    @classmethod
    def from_settings(cls, settings: Settings) -> DatevExporter:
        export = settings.export
        return cls(export.export_dir, export.datev, currency=export.currency)

    def check(self, voucher: Voucher) -> None:
        if not DOCUMENT_NUMBER.fullmatch(voucher.number):
            raise UnwritableVoucher(
                f"voucher number {voucher.number!r} does not fit DATEV's Belegfeld 1, which takes at most "
                f"{DOCUMENT_FIELD_LENGTH} characters from A-Z, a-z, 0-9 and $ & % * + - / and starts with a "
                "letter or digit", "number")
        self._check_clearing(voucher)

        booked = [(index, line) for index, line in enumerate(voucher.lines, start=1)
                  if not line.clearing and line.amount != 0]
        if not booked:
            raise UnwritableVoucher(f"voucher {voucher.number} has no line with an amount besides the clearing "
                                    "line, so it has nothing to book in DATEV", "lines")
        for index, line in booked:
            self._check_account(voucher, index, line.account)
            if abs(line.amount) > MAX_AMOUNT:
                raise UnwritableVoucher(f"voucher {voucher.number}: amount {line.amount} on account {line.account} "
                                        f"exceeds {MAX_AMOUNT}, the maximum of DATEV's Umsatz; book it in DATEV "
                                        "by hand", f"line {index} amount")
            _check_code(voucher, f"line {index} cost_center", "cost center", "KOST1", line.cost_center)
            _check_code(voucher, f"line {index} project", "project", "KOST2", line.project)

    def split(self, vouchers: list[Voucher]) -> list[list[Voucher]]:
        years: dict[date, list[Voucher]] = {}
        for voucher in vouchers:
            years.setdefault(self.fiscal_year_start(voucher.date), []).append(voucher)
        return [years[start] for start in sorted(years)]

    def render(self, vouchers: Sequence[Voucher], created_at: datetime) -> bytes:
        fiscal_start = self.fiscal_year_start(vouchers[0].date)
        date_from, date_to = self.period(vouchers, fiscal_start)
        header = ExtfHeader(
            created_at=created_at, exported_by=self.datev.exported_by,
            consultant_number=self.datev.consultant_number, client_number=self.datev.client_number,
            fiscal_year_start=fiscal_start, account_length=self.datev.account_length,
            date_from=date_from, date_to=date_to, label=self.datev.batch_label,
            dictation_code=self.datev.dictation_code, currency=self.currency,
            chart_of_accounts=self.datev.chart_of_accounts,
        )

        lines = [header_line(header), heading_line()]
        for voucher in vouchers:
            lines += [booking_line(cells) for cells in self.bookings(voucher)]
        self._warn_unmapped_tax_codes(vouchers)
        return "".join(line + "\r\n" for line in lines).encode(ENCODING)

    def read(self, path: Path) -> dict[str, VoucherKey]:
        try:
            bookings = read_bookings(path)
        except (ValueError, csv.Error) as exc:
            raise self.foreign_file(path, str(exc)) from None

        keys: dict[str, list[tuple[str | None, ...]]] = {}
        for booking in bookings:
            keys.setdefault(booking[DOCUMENT_FIELD_1], []).append(tuple(booking[name] for name in KEY_COLUMNS))
        return {number: tuple(cells) for number, cells in keys.items()}

    def key(self, voucher: Voucher) -> VoucherKey:
        return tuple(tuple(cells.get(name, "") for name in KEY_COLUMNS) for cells in self.bookings(voucher))

    def bookings(self, voucher: Voucher) -> list[dict[str, str]]:
        """Return the voucher's booking rows as ``{column heading: value}``, before quoting.

        A voucher whose clearing lines are not on exactly one account, which
        ``check`` rejects, gets an empty Gegenkonto. So ``key`` still works
        for it and never matches a written booking.
        """
        accounts = {line.account for line in voucher.lines if line.clearing}
        contra = accounts.pop() if len(accounts) == 1 else ""
        rows = []
        for line in voucher.lines:
            if line.clearing or line.amount == 0:
                continue
            rows.append({
                AMOUNT: amount_text(abs(line.amount), decimal_separator=","),
                DEBIT_CREDIT: "S" if line.amount > 0 else "H",
                ACCOUNT: line.account,
                CONTRA_ACCOUNT: contra,
                TAX_KEY: self.datev.tax_keys.get(line.tax_code, "") if line.tax_code else "",
                DOCUMENT_DATE: f"{voucher.date:%d%m}",
                DOCUMENT_FIELD_1: voucher.number,
                BOOKING_TEXT: text_field(line.description, BOOKING_TEXT_LENGTH),
                COST_CENTER_1: line.cost_center or "",
                COST_CENTER_2: line.project or "",
            })
        return rows

    def fiscal_year_start(self, day: date) -> date:
        """Return the first day of the fiscal year that ``day`` falls in."""
        start = date(day.year, self.fiscal_month, self.fiscal_day)
        return start if start <= day else date(day.year - 1, self.fiscal_month, self.fiscal_day)

    def period(self, vouchers: Sequence[Voucher], fiscal_start: date) -> tuple[date, date]:
        """Return the header's Datum vom and Datum bis for vouchers of the fiscal year from ``fiscal_start``.

        The period spans every voucher date, widened to a voucher's
        statement period where its start or end lies in the same fiscal year.
        """
        fiscal_end = date(fiscal_start.year + 1, self.fiscal_month, self.fiscal_day) - timedelta(days=1)

        def in_year(day: date | None) -> bool:
            return day is not None and fiscal_start <= day <= fiscal_end

        starts = [voucher.date for voucher in vouchers]
        starts += [voucher.period_start for voucher in vouchers if in_year(voucher.period_start)]
        ends = [voucher.date for voucher in vouchers]
        ends += [voucher.period_end for voucher in vouchers if in_year(voucher.period_end)]
        return min(starts), max(ends)

    def _check_clearing(self, voucher: Voucher) -> None:
        """Reject a voucher whose clearing lines are not on one account of DATEV's account length."""
        clearing = [(index, line) for index, line in enumerate(voucher.lines, start=1) if line.clearing]
        accounts = sorted({line.account for _, line in clearing})
        if len(accounts) != 1:
            raise UnwritableVoucher(
                f"voucher {voucher.number}: DATEV books every line against one clearing account as Gegenkonto, "
                f"but the clearing lines are on {', '.join(accounts) or 'none'}; book the voucher in DATEV by hand",
                "clearing")
        index, line = clearing[0]
        self._check_account(voucher, index, line.account)

    def _check_account(self, voucher: Voucher, index: int, account: str) -> None:
        length = self.datev.account_length
        if re.fullmatch(rf"[0-9]{{{length}}}", account):
            return
        raise UnwritableVoucher(f"voucher {voucher.number}: account {account} is not a number of {length} digits, "
                                "the DATEV account length that export.datev.account_length sets; set "
                                "export.datev.account_length to the length of the DATEV account numbers, or change "
                                "the account", f"line {index} account")

    def note(self, voucher: Voucher) -> str:
        codes = _unmapped_tax_codes([voucher], self.datev.tax_keys)
        if not codes:
            return ""
        return (f"VAT codes {', '.join(codes)} have no tax key in export.datev.tax_keys, so their bookings "
                f"carry no BU-Schlüssel")

    def _warn_unmapped_tax_codes(self, vouchers: Sequence[Voucher]) -> None:
        codes = _unmapped_tax_codes(vouchers, self.datev.tax_keys)
        if codes:
            log.warning("datev export: VAT codes %s have no tax key in export.datev.tax_keys, "
                        "so their bookings carry no BU-Schlüssel", ", ".join(codes))


def _unmapped_tax_codes(vouchers: Sequence[Voucher], tax_keys: dict[str, str]) -> list[str]:
    return sorted({line.tax_code for voucher in vouchers for line in voucher.lines
                   if line.tax_code and not line.clearing and line.tax_code not in tax_keys})


def _check_code(voucher: Voucher, field: str, kind: str, column: str, code: str | None) -> None:
    """Reject a cost center or project that DATEV's KOST field cannot take unchanged.

    A code is the key of a DATEV cost object, so it is never shortened,
    transliterated or given an apostrophe, which would make it another code.
    """
    if not code:
        return
    if len(code) > COST_CENTER_LENGTH or not encodable(code) or code.startswith(FORMULA_STARTS):
        raise UnwritableVoucher(f"voucher {voucher.number}: {kind} {code!r} does not fit DATEV's {column} field, "
                                f"which takes at most {COST_CENTER_LENGTH} Windows-1252 characters and no leading "
                                "= + - @, tab or carriage return; give the cost object a code that fits, in DATEV "
                                "and in allocbot's master data", field)


def _month_day(fiscal_year_start: str) -> tuple[int, int]:
    month, day = (int(part) for part in fiscal_year_start.split("-"))
    try:
        date(2001, month, day)    # a year without 29 February, so the day exists in every year
    except ValueError:
        raise ValueError(f"export.datev.fiscal_year_start {fiscal_year_start} is not a day of every year; "
                         "use a date such as 01-01") from None
    return month, day
