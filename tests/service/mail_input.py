"""The mail that the service tests put into the mailbox: part of the sample company's November, split over messages.

The sample generator writes the whole month (about 270 items), which takes
the bot longer to process than these tests may run. So the input keeps the
first ``PAYMENTS`` card payments of the order report that the statement
shows exactly once, with all their report rows, and the statement lines of
those payments. The rows and lines are copied byte for byte, so the files
keep the real formats: the UTF-8 Amazon report with its quoted header and
the cp1252 bank statement with semicolons and decimal commas.

The report rows go out in two messages and the statement in a third, so
the items wait in the store for their card lines, as they do when a
controller forwards the files one at a time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path

from bot.sample.generator import SampleFiles

PAYMENTS = 5
REPORT_ENCODING = "utf-8-sig"
STATEMENT_ENCODING = "cp1252"
BOOKKEEPING = "bilag@nordlys-teknikk.no"


@dataclass(frozen=True)
class MailInput:
    """The messages to append to the mailbox and what they contain, counted from the files themselves.

    ``sender`` is the controller who forwards them, an allowed sender;
    ``files`` maps each attachment's name to its bytes.
    """

    sender: str
    messages: tuple[bytes, ...]
    files: dict[str, bytes]
    report_rows: int
    statement_lines: int
    payments: int


def build_mail_input(sample: SampleFiles) -> MailInput:
    """Cut the sample's November report and statement down to ``PAYMENTS`` payments and wrap them in messages."""
    header, rows = _report_rows(sample.month_report)
    statement_header, lines = _statement_lines(sample.statement_csv)

    chosen: dict[str, list[str]] = {}
    chosen_lines: list[str] = []
    for reference, payment_rows in _rows_by_payment(header, rows).items():
        matching = [line for line in lines if _statement_amount(line) == _payment_amount(header, payment_rows[0])]
        if len(matching) != 1:
            continue
        chosen[reference] = payment_rows
        chosen_lines.append(matching[0])
        if len(chosen) == PAYMENTS:
            break
    if len(chosen) < PAYMENTS:
        raise AssertionError(f"the sample has only {len(chosen)} payments with one statement line each")

    groups = list(chosen.values())
    first_part = [row for group in groups[:2] for row in group]
    second_part = [row for group in groups[2:] for row in group]
    files = {
        "orders_2026-11_part1.csv": _report_file(header, first_part),
        "orders_2026-11_part2.csv": _report_file(header, second_part),
        "kortutskrift_2026-11.csv": (statement_header + "".join(chosen_lines)).encode(STATEMENT_ENCODING),
    }

    sender = parseaddr(str(BytesHeaderParser().parsebytes(sample.eml.read_bytes())["From"]))[1]
    messages = tuple(_message(sender, number, name, content)
                     for number, (name, content) in enumerate(files.items(), start=1))
    return MailInput(sender, messages, files, report_rows=len(first_part) + len(second_part),
                     statement_lines=len(chosen_lines), payments=len(chosen))


def _report_rows(path: Path) -> tuple[str, list[str]]:
    """Return the report's header line and its data lines, each with its line end."""
    text = path.read_text(encoding=REPORT_ENCODING)
    lines = text.splitlines(keepends=True)
    return lines[0], lines[1:]


def _statement_lines(path: Path) -> tuple[str, list[str]]:
    """Return the statement's header line and its card lines; the balance and payment lines are left out."""
    lines = path.read_text(encoding=STATEMENT_ENCODING).splitlines(keepends=True)
    return lines[0], [line for line in lines[1:] if _statement_amount(line) is not None]


def _rows_by_payment(header: str, rows: list[str]) -> dict[str, list[str]]:
    names = next(csv.reader([header]))
    column = names.index("Payment Reference ID")
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(next(csv.reader([row]))[column], []).append(row)
    return grouped


def _payment_amount(header: str, row: str) -> str:
    """Return a report row's payment as the statement prints it, such as "303,55 EUR"."""
    values = dict(zip(next(csv.reader([header])), next(csv.reader([row]))))
    return f"{values['Payment Amount'].replace('.', ',')} {values['Currency']}"


def _statement_amount(line: str) -> str | None:
    """Return the foreign amount of a card line, such as "303,55 EUR", or None for a line without one."""
    fields = next(csv.reader([line], delimiter=";"))
    return fields[2] if len(fields) > 2 and fields[2] else None


def _report_file(header: str, rows: list[str]) -> bytes:
    return (header + "".join(rows)).encode(REPORT_ENCODING)


def _message(sender: str, number: int, filename: str, content: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = BOOKKEEPING
    message["Subject"] = f"Kortutskrift og Amazon-rapport november 2026, del {number}"
    message["Message-ID"] = f"<service-test-{number}@nordlys-teknikk.no>"
    message.set_content("Vedlagt, som avtalt.")
    message.add_attachment(content, maintype="text", subtype="csv", filename=filename)
    return message.as_bytes()

