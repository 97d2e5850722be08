"""The card statement as a PDF, the form many banks send instead of a CSV.

It lists the statement's purchases and refunds in a table whose header
repeats on every page, and ends with the period's purchase total. The
balance brought forward and its payment are left out. Amounts are written the
Norwegian way with a space between thousands (``1 234,50``), credits with a
leading minus. fpdf2's core Helvetica covers Latin-1, which has æ, ø, å,
ä and ö; the creation date is fixed so the file is the same on every run.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from bot.sample.report import CARD_LAST_DIGITS
from bot.sample.statement import CardStatement

TITLE = "Kontoutskrift bedriftskort"
TABLE_HEADER = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Beløp")
_COLUMN_WIDTHS = (24, 78, 32, 22, 30)
_ALIGNMENT = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT")


def write_statement_pdf(statement: CardStatement, path: Path) -> None:
    pdf = FPDF(format="A4")
    issued = statement.last + timedelta(days=1)
    pdf.set_creation_date(datetime.combine(issued, time(6, 0), tzinfo=timezone.utc))
    pdf.set_title(f"{TITLE} {statement.first:%m.%Y}")
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(text=TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(text=f"Kortnummer **** **** **** {CARD_LAST_DIGITS}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(text=f"Periode {statement.first:%d.%m.%Y} - {statement.last:%d.%m.%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=_COLUMN_WIDTHS, text_align=_ALIGNMENT, repeat_headings=1,
                   borders_layout="HORIZONTAL_LINES", line_height=5) as table:
        table.row(TABLE_HEADER)
        for line in statement.lines:
            foreign = (f"{norwegian_amount(line.original_amount)} {line.currency}"
                       if line.original_amount is not None else "")
            rate = f"{line.rate:.4f}".replace(".", ",") if line.rate is not None else ""
            amount = -line.amount_nok if line.is_credit else line.amount_nok
            table.row((f"{line.day:%d.%m.%Y}", line.text, foreign, rate, norwegian_amount(amount)))

    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(text=f"Sum kjøp i perioden {norwegian_amount(statement.purchase_total)}")
    pdf.output(str(path))


def norwegian_amount(amount: Decimal) -> str:
    """Format ``-1234.5`` as ``-1 234,50``."""
    grouped = f"{abs(amount):,.2f}".replace(",", " ").replace(".", ",")
    return f"-{grouped}" if amount < 0 else grouped
