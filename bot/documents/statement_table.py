"""Parse a card statement in the DNB Mastercard transaction-list layout (CSV or XLSX).

Columns: ``Dato`` (dd.mm.yyyy or a date cell), ``Beløpet gjelder`` (the
merchant text), ``Valuta`` (the original amount and currency, such as
``12,50 EUR``, empty for NOK), ``Kurs`` (the exchange rate), ``Inn``
(credits) and ``Ut`` (debits), both positive NOK amounts. The bank's CSV is
Windows-1252 with ``;``; the bank's XLSX has typed cells.

Sign convention of `CardCharge.amount`: an ``Ut`` amount is a purchase and
stays positive. An ``Inn`` amount that is not a payment of the card invoice
is a refund and becomes a negative charge, which reconciliation lists as
a refund for the controller. This layout prints no total, so
`Statement.stated_total` is None.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.documents.numbers import parse_amount_with_currency, parse_decimal_comma, parse_norwegian_date
from bot.documents.statement_lines import is_balance_or_payment
from bot.documents.table import Record, normalize_header, read_table
from bot.errors import InputError
from bot.i18n import N_
from bot.records import CardCharge, Statement

log = logging.getLogger(__name__)

COLUMNS = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Inn", "Ut")
REQUIRED_COLUMNS = ("Dato", "Beløpet gjelder", "Inn", "Ut")
ALIASES = {normalize_header(name): name for name in COLUMNS}

AMOUNT_FIX = N_("write NOK amounts as positive numbers like 1 234,50")


def parse_statement_table(path: Path) -> Statement:
    """Parse a statement CSV or XLSX into its purchase and refund lines, in file order."""
    table = read_table(path)
    columns = table.resolve_columns(ALIASES)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InputError(
            table.source,
            N_("card statement is missing the column(s) {columns}"),
            location=table.header_location,
            fix=N_("export the card transactions with the columns {expected}"),
            row=table.header_number,
            columns=", ".join(repr(name) for name in missing),
            expected=", ".join(COLUMNS),
        )
    if not table.rows:
        raise InputError(
            table.source,
            N_("card statement has a header but no transaction rows"),
            fix=N_("export the period again"),
        )

    charges = []
    skipped = 0
    for record in table.records(columns):
        charge = _make_charge(record)
        if charge is None:
            skipped += 1
        else:
            charges.append(charge)

    log.info(
        "parsed statement %s: %d charges, %d balance or payment lines skipped", table.source, len(charges), skipped
    )
    return Statement(source=table.source, charges=tuple(charges))


def is_statement_header(header: tuple[str, ...]) -> bool:
    """Return whether a header row has the required statement columns."""
    found = {ALIASES.get(normalize_header(name)) for name in header}
    return all(name in found for name in REQUIRED_COLUMNS)


def _make_charge(record: Record) -> CardCharge | None:
    """Build the charge of one row, or return None for a balance or payment line."""
    day = record.get("Dato", parse_norwegian_date, required=True, fix=N_("write dates as dd.mm.yyyy"))
    description = record.text("Beløpet gjelder", required=True)
    if is_balance_or_payment(description):
        log.debug("%s, %s %d: skipped %r", record.source, record.row_label, record.number, description)
        return None

    credit = record.get("Inn", parse_decimal_comma, fix=AMOUNT_FIX)
    debit = record.get("Ut", parse_decimal_comma, fix=AMOUNT_FIX)
    if (credit is None) == (debit is None):
        if credit is not None:
            message = N_("both 'Inn' and 'Ut' have an amount")
        else:
            message = N_("neither 'Inn' nor 'Ut' has an amount")
        raise record.error(None, message, fix=N_("put the amount in exactly one of them"))
    for column, value in (("Inn", credit), ("Ut", debit)):
        if value is not None and value < 0:
            raise record.error(column, N_("amount {value} is negative"), fix=AMOUNT_FIX, value=value)

    original = record.get("Valuta", parse_amount_with_currency, fix=N_("write the original amount like 12,50 EUR"))
    original_amount, original_currency = original if original is not None else (None, None)
    return CardCharge(
        source=record.source,
        line=record.number,
        date=day,
        description=description,
        amount=debit if debit is not None else -credit,
        original_amount=original_amount,
        original_currency=original_currency,
        rate=record.get("Kurs", parse_decimal_comma, fix=N_("write the rate like 11,8523")),
    )
