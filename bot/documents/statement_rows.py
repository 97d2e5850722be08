"""Read the rows below a statement's header: lines, reserved rows, sums and notes.

Each row is one of:

- a line: it has a date and an amount, and becomes a `CardCharge` unless its
  text marks the previous balance or a payment, which are skipped;
- a reserved (pending) row, which the bank books later and which is left out;
- a sum: its first text is a total label such as "Sum", and its amount is
  checked against the lines above it;
- a footer: its first text is a balance label such as "Saldo", and it is
  left out, because a balance cannot be checked without the opening one;
- a note with no amount, such as a section title or a card holder's name
  above that card's lines, which is logged and left out;
- a repetition of the header, as above each section of SEB Kort's
  Swedish exports, which is left out.

An undated row with an amount that is none of these is an error, so no line
is dropped silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, TypeVar

from bot.documents.dates import parse_statement_date
from bot.documents.grid import HeaderCandidate
from bot.documents.numbers import format_decimal_comma, parse_amount, parse_original_amount, parse_rate
from bot.documents.statement_header import HeaderMatch
from bot.documents.statement_layout import AMOUNT_ROLES, StatementLayout, normalize_label
from bot.documents.statement_lines import FOOTER_LABELS, find_label, has_card_number
from bot.documents.table import ROW_LOCATIONS, CellValue, Record, Row, clean_cell
from bot.errors import InputError, InvalidValueError
from bot.i18n import N_
from bot.records import CardCharge

log = logging.getLogger(__name__)

T = TypeVar("T")

HOME_CURRENCY = "NOK"

DATE_FIX = N_("write dates as the bank exports them, such as 05.11.2026, 2026-11-05 or 2026/11/05")
AMOUNT_FIXES = {
    ",": N_("write amounts like 1 234,50 or -1 234,50"),
    ".": N_("write amounts like 1,234.50 or -1,234.50"),
}
SIGN_FIX = N_("send the bank's unchanged export, or describe its layout under [[statement_layouts]] "
              "in the configuration with the right sign")

# DNB account texts: "Varekjøp AMAZON EU SARL Dato 07.08 kl. 13.01".
_TEXT_DATE = re.compile(r"\bDato (?P<day>\d{1,2})\.(?P<month>\d{1,2})\b")
# An amount at the end of a sum's label, with an optional sign, parentheses and "kr" or "NOK".
_TRAILING_AMOUNT = re.compile(
    r"(?P<amount>[-\u2212(]?\d[\d \u00a0\u202f.,]*\d\)?-?(?:\s*(?:kr\.?|NOK))?)\s*$", re.IGNORECASE
)

RowKind = Literal["line", "skipped", "pending", "total", "footer", "note", "card", "header"]


@dataclass(frozen=True)
class ReadRow:
    """The kind of one row and what was read from it.

    ``amount`` is in the charges' sign (positive for a debit) for lines, skipped lines and sums.
    """

    kind: RowKind
    number: int
    amount: Decimal | None = None
    charge: CardCharge | None = None
    label: str | None = None  # the total label of a sum, or the card text of a card row
    day: date | None = None  # the date of a skipped line


class RowReader:
    """The reader of the rows below one header, which raises `InputError` for a row that cannot be read."""

    def __init__(self, source: str, row_label: str, match: HeaderMatch):
        self.source = source
        self.row_label = row_label
        self.layout: StatementLayout = match.layout
        self.columns = match.columns
        self.header: HeaderCandidate = match.header
        self._header_labels = {index: normalize_label(self.header.cells[index]) for index in self.columns.values()}
        self._named_width = len(_trim_text(self.header.cells))

    def read(self, row: Row, card: str | None) -> ReadRow:
        """Classify and read one row. ``card`` is the card of the section the row is in."""
        record = self._record(row)
        if self._repeats_header(row):
            return ReadRow("header", row.number)
        if self._is_pending(record):
            return ReadRow("pending", row.number)
        if self._is_dated(record, row):
            self._check_width(row)
            return self._line(record, card)

        first_text = _first_text(row.cells) or ""
        total_label = find_label(first_text, self.layout.total_labels)
        if total_label is not None:
            return ReadRow("total", row.number, amount=self._total_amount(record, row), label=first_text)
        return self._undated(record, row, first_text)

    # --- kinds of rows ---------------------------------------------------------------------------

    def _undated(self, record: Record, row: Row, first_text: str) -> ReadRow:
        has_amount = any(record.values.get(role) is not None for role in AMOUNT_ROLES)
        if find_label(first_text, (*FOOTER_LABELS, *self.layout.skip_texts)):
            return ReadRow("footer", row.number, label=first_text)
        if has_amount:
            raise record.error("date", N_("value is missing"), fix=N_("fill in '{column}' on every row"))

        text = " ".join(str(cell).strip() for cell in row.cells if cell is not None and str(cell).strip())
        if has_card_number(text):
            return ReadRow("card", row.number, label=text)
        return ReadRow("note", row.number, label=text)

    def _line(self, record: Record, card: str | None) -> ReadRow:
        formats = self.layout.date_formats
        day = self._get(record, "date", lambda value: parse_statement_date(value, formats), DATE_FIX, required=True)
        booked_on = self._get(record, "booking_date", lambda value: parse_statement_date(value, formats), DATE_FIX)
        description = self._description(record)

        if find_label(description, self.layout.skip_texts):
            # A balance line may print its amount in a balance column instead.
            has_amount = any(record.values.get(role) is not None for role in AMOUNT_ROLES)
            log.debug("%s, %s %d: skipped balance or payment line %r", self.source, self.row_label, record.number,
                      description)
            return ReadRow("skipped", record.number, amount=self._amount(record) if has_amount else Decimal(0),
                           day=day)

        amount = self._amount(record)

        self._check_currency(record)
        original_amount, original_currency = self._original(record)
        if self.layout.purchase_date_in_text:
            day, booked_on = _purchase_date(description, day)

        charge = CardCharge(
            source=self.source,
            line=record.number,
            date=day,
            description=description,
            amount=amount,
            original_amount=original_amount,
            original_currency=original_currency,
            rate=self._get(record, "rate", parse_rate, N_("write the rate like 11,8523")),
            booked_on=booked_on,
            card=self._card(record) or card,
        )
        return ReadRow("line", record.number, amount=amount, charge=charge)

    # --- cells -------------------------------------------------------------------------------------

    def _amount(self, record: Record) -> Decimal:
        """Return the row's NOK amount, positive for a debit."""
        if not self.layout.has_two_amount_columns:
            amount = self._get(record, "amount", self._parse_amount, self._amount_fix, required=True)
            return self._in_charge_sign(amount)

        debit = self._get(record, "debit", self._parse_amount, self._amount_fix)
        credit = self._get(record, "credit", self._parse_amount, self._amount_fix)
        # Some exports write 0,00 in the column that does not apply.
        if debit is not None and credit is not None:
            if credit.is_zero():
                credit = None
            elif debit.is_zero():
                debit = None
        if (debit is None) == (credit is None):
            message = (N_("both '{credit}' and '{debit}' have an amount") if debit is not None
                       else N_("neither '{credit}' nor '{debit}' has an amount"))
            raise record.error(None, message, fix=N_("put the amount in exactly one of them"),
                               credit=record.header("credit"), debit=record.header("debit"))

        if debit is not None:
            self._check_sign(record, "debit", debit, negative=self.layout.sign == "debit_negative")
            return abs(debit)
        self._check_sign(record, "credit", credit, negative=False)
        return credit if credit.is_zero() else -credit

    def _total_amount(self, record: Record, row: Row) -> Decimal:
        """Return a sum row's amount in the charges' sign: debits less credits."""
        if not self.layout.has_two_amount_columns:
            amount = self._get(record, "amount", self._parse_amount, self._amount_fix)
            if amount is None:
                amount = self._last_amount(record, row)
            return self._in_charge_sign(amount)

        debit = self._get(record, "debit", self._parse_amount, self._amount_fix)
        credit = self._get(record, "credit", self._parse_amount, self._amount_fix)
        if debit is None and credit is None:
            return self._last_amount(record, row)
        return abs(debit or Decimal(0)) - abs(credit or Decimal(0))

    def _last_amount(self, record: Record, row: Row) -> Decimal:
        """Return the amount of a sum row printed outside the amount columns.

        That is the last cell that is an amount, else an amount at the end of
        the label, as in "Sum kjøp i perioden 746,34".
        """
        values = [clean_cell(cell) for cell in row.cells]
        label = _first_text(row.cells) or ""
        trailing = _TRAILING_AMOUNT.search(label)
        candidates = [*reversed(values), trailing["amount"] if trailing else None]
        for value in candidates:
            if value is None or isinstance(value, date):
                continue
            try:
                return parse_amount(value, self.layout.decimal)
            except InvalidValueError:
                continue
        raise record.error(None, N_("the sum row has no amount"), fix=AMOUNT_FIXES[self.layout.decimal])

    def _description(self, record: Record) -> str:
        description = record.text("description") or record.text("counterparty")
        if description is None:
            raise record.error("description", N_("value is missing"), fix=N_("fill in '{column}' on every row"))

        place = record.text("place")
        if place and place.casefold() not in description.casefold():
            description = f"{description}, {place}"
        return description

    def _original(self, record: Record) -> tuple[Decimal | None, str | None]:
        """Return the foreign amount (its size, as the sign is in the NOK amount) and currency, if any."""
        decimal = self.layout.decimal
        if "original" in self.columns:
            original = self._get(record, "original", lambda value: parse_original_amount(value, decimal),
                                 N_("write the original amount like 12,50 EUR"))
            amount, currency = original if original is not None else (None, None)
        else:
            amount = self._get(record, "original_amount", self._parse_amount, self._amount_fix)
            currency = self._get(record, "original_currency", _parse_currency, N_("write a currency code like EUR"))

        has_amount = amount is not None and not amount.is_zero()
        if has_amount and currency is None:
            raise record.error("original_currency", N_("value is missing"),
                               fix=N_("fill in '{column}' on every row with an original amount"))
        if not has_amount or currency == HOME_CURRENCY:
            return None, None
        return abs(amount), currency

    def _check_currency(self, record: Record) -> None:
        currency = self._get(record, "currency", _parse_currency, N_("write a currency code like NOK"))
        if currency not in (None, HOME_CURRENCY):
            raise record.error("currency", N_("the amount is in {currency}, not NOK"),
                               fix=N_("send the statement of the NOK account or card"), currency=currency)

    def _card(self, record: Record) -> str | None:
        parts = [record.text("card_holder"), record.text("card_number")]
        return " ".join(part for part in parts if part) or None

    def _check_sign(self, record: Record, role: str, value: Decimal, *, negative: bool) -> None:
        if value.is_zero() or (value < 0) == negative:
            return
        message = (N_("amount {value} is positive, but this layout writes '{column}' amounts as negative numbers")
                   if negative else
                   N_("amount {value} is negative, but this layout writes '{column}' amounts as positive numbers"))
        raise record.error(role, message, fix=SIGN_FIX, value=format_decimal_comma(value))

    def _in_charge_sign(self, amount: Decimal) -> Decimal:
        """Return a single-column amount with purchases positive; zero stays 0, not -0."""
        if self.layout.sign == "debit_positive" or amount.is_zero():
            return amount
        return -amount

    def _parse_amount(self, value: CellValue) -> Decimal:
        return parse_amount(value, self.layout.decimal)

    @property
    def _amount_fix(self) -> str:
        return AMOUNT_FIXES[self.layout.decimal]

    def _get(self, record: Record, role: str, convert: Callable[[CellValue], T], fix: str, *,
             required: bool = False) -> T | None:
        if required and record.values.get(role) is None:
            raise record.error(role, N_("value is missing"), fix=N_("fill in '{column}' on every row"))
        return record.get(role, convert, fix=fix)

    # --- row shape ---------------------------------------------------------------------------------

    def _record(self, row: Row) -> Record:
        values = {role: clean_cell(row.cells[index]) if index < len(row.cells) else None
                  for role, index in self.columns.items()}
        headers = {role: self.header.cells[index] for role, index in self.columns.items()}
        return Record(self.source, self.row_label, row.number, values, headers)

    def _repeats_header(self, row: Row) -> bool:
        return all(index < len(row.cells) and isinstance(row.cells[index], str)
                   and normalize_label(row.cells[index]) == label
                   for index, label in self._header_labels.items())

    def _is_pending(self, record: Record) -> bool:
        markers = self.layout.pending_markers
        for role in ("date", "status", "description"):
            value = record.values.get(role)
            if isinstance(value, str) and find_label(value, markers):
                return True
        return False

    def _is_dated(self, record: Record, row: Row) -> bool:
        """Return whether the row is a line: a date, or an amount beside a date cell that is not a label.

        A date cell with a text that is no date, in a row with an amount, is
        a line with a wrong date, so that reading it raises the error.
        """
        value = record.values.get("date")
        if value is None:
            return False
        try:
            parse_statement_date(value, self.layout.date_formats)
        except InvalidValueError:
            if not any(record.values.get(role) is not None for role in AMOUNT_ROLES):
                return False
            first_text = _first_text(row.cells) or ""
            labels = (*self.layout.total_labels, *FOOTER_LABELS, *self.layout.skip_texts)
            return find_label(first_text, labels) is None
        return True

    def _check_width(self, row: Row) -> None:
        """Reject a line with values right of the last header column, or a CSV line with too few fields.

        A line whose fields do not fit the header means a separator inside
        an unquoted text, which would move every value after it into the
        wrong column.
        """
        if self.row_label == "row":
            if len(row.cells) > self._named_width:
                raise InputError(
                    self.source,
                    N_("row has a value in column {count}, after the last header column"),
                    location=ROW_LOCATIONS["row"],
                    fix=N_("give every column a header or remove the extra values"),
                    row=row.number,
                    count=len(row.cells),
                )
            return

        if len(_trim_text(row.cells)) > self._named_width or len(row.cells) < self._named_width:
            raise InputError(
                self.source,
                N_("row has {count} fields but the header has {expected}"),
                location=ROW_LOCATIONS["line"],
                fix=N_("separate fields with '{delimiter}' and quote fields that contain it"),
                row=row.number,
                count=len(row.cells),
                expected=self._named_width,
                delimiter="TAB" if self.header.delimiter == "\t" else self.header.delimiter,
            )


def _parse_currency(value: CellValue) -> str:
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise InvalidValueError(N_("{value} is not a currency code such as EUR"), value=repr(value))
    return text


def _purchase_date(description: str, booked_on: date) -> tuple[date, date | None]:
    """Return the purchase date written in a DNB account text and the booking date, or the booking date alone.

    The text has day and month only, so the year is the booking date's, or
    the year before when that would put the purchase after the booking.
    """
    match = _TEXT_DATE.search(description)
    if match is None:
        return booked_on, None

    for year in (booked_on.year, booked_on.year - 1):
        try:
            purchased = date(year, int(match["month"]), int(match["day"]))
        except ValueError:
            continue
        if purchased <= booked_on:
            return purchased, booked_on
    return booked_on, None


def _first_text(cells: Sequence[CellValue]) -> str | None:
    """Return the first non-empty cell if it is text, else None (for a number, a date or an empty row)."""
    for cell in cells:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        return cell.strip() if isinstance(cell, str) else None
    return None


def _trim_text(cells: Sequence[CellValue]) -> tuple[CellValue, ...]:
    end = len(cells)
    while end and (cells[end - 1] is None or (isinstance(cells[end - 1], str) and not cells[end - 1].strip())):
        end -= 1
    return tuple(cells[:end])
