"""Time the PDF statement parser on a 50-page statement and on one scanned page.

    python bench/bench_parse_pdf.py [--pages 50] [--rows-per-page 40] [--repeat 5] [--skip-ocr]

The statement is written with fpdf2 in a temporary folder, in the DNB text
layout the demo uses. It has a title, the period, an opening balance and a
table of ``--rows-per-page`` rows per page with the header repeated. The
balance carried is printed at the foot and head of every page, and the
period's purchase total and the closing balance at the end. Every total
agrees with the rows, so the timing includes all checks. The scanned page is one page of the same table drawn
with Pillow at 200 dpi and put into a PDF as an image, which the parser
reads with Tesseract. Each measurement is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import matplotlib
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from bot.documents.numbers import format_decimal_comma
from bot.documents.statement_pdf import parse_statement_pdf

WIDTHS = (25, 75, 30, 25, 30)  # mm, the columns Dato | Beløpet gjelder | Valuta | Kurs | Beløp
ALIGNS = ("L", "L", "R", "R", "R")
HEADER = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Beløp")
MERCHANTS = ("AMAZON EU, Luxembourg", "AMZNBusiness*F090Q5RN5", "REMA 1000 OSLO, Oslo", "FLYTOGET AS, Oslo",
             "CLAS OHLSON OSLO, Oslo", "AMZN Mktp DE*U38ZM1195")
EUR_RATE = Decimal("11.8523")
OPENING = Decimal("5000.00")


def make_rows(count: int, seed: int = 7) -> list[tuple[str, str, str, str, Decimal]]:
    """Return rows of a month: date, merchant, original amount, rate and NOK amount; every 25th is a refund."""
    generator = random.Random(seed)
    start = date(2026, 11, 1)
    rows = []
    for number in range(count):
        day = start + timedelta(days=number * 30 // count)
        merchant = generator.choice(MERCHANTS)
        if merchant.startswith(("AMAZON", "AMZN")):
            euros = Decimal(generator.randint(500, 30000)) / 100
            nok = (euros * EUR_RATE).quantize(Decimal("0.01"))
            original, rate = f"{format_decimal_comma(euros)} EUR", str(EUR_RATE).replace(".", ",")
        else:
            nok = Decimal(generator.randint(2000, 200000)) / 100
            original, rate = "", ""
        if number % 25 == 24:
            nok = -nok
        rows.append((f"{day:%d.%m.%Y}", merchant, original, rate, nok))
    return rows


def write_statement(path: Path, rows: list[tuple[str, str, str, str, Decimal]], rows_per_page: int) -> None:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=8)

    def line(cells: tuple[str, ...], height: float = 5.5) -> None:
        for text, width, align in zip(cells, WIDTHS, ALIGNS):
            pdf.cell(w=width, h=height, text=text, align=align)
        pdf.ln()

    def balance_line(label: str, amount: Decimal) -> None:
        line((label, "", "", "", format_decimal_comma(amount)))

    balance = OPENING
    pdf.add_page()
    for text in ("Kontoutskrift bedriftskort", "Kortnummer **** **** **** 4821", "Periode 01.11.2026 - 30.11.2026"):
        pdf.cell(w=0, h=5.5, text=text, new_x="LMARGIN", new_y="NEXT")
    balance_line("Inngående saldo", OPENING)
    line(HEADER)
    for number, (day, merchant, original, rate, amount) in enumerate(rows):
        if number and number % rows_per_page == 0:
            balance_line("Overføres til neste side", balance)
            pdf.add_page()
            balance_line("Overført fra forrige side", balance)
            line(HEADER)
        line((day, merchant, original, rate, format_decimal_comma(amount)))
        balance += amount

    purchases = sum((amount for *_, amount in rows if amount > 0), Decimal(0))
    pdf.cell(w=0, h=5.5, text=f"Sum kjøp i perioden {format_decimal_comma(purchases)}", new_x="LMARGIN", new_y="NEXT")
    balance_line("Utgående saldo", balance)
    pdf.output(str(path))


def write_scanned_page(path: Path, rows: list[tuple[str, str, str, str, Decimal]], dpi: int = 200) -> None:
    """Draw one page of the table on an image with DejaVu Sans and wrap it in a PDF without a text layer."""
    pixels_per_mm = dpi / 25.4
    image = Image.new("L", (round(210 * pixels_per_mm), round(297 * pixels_per_mm)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"),
                              size=round(9 / 72 * dpi))
    columns = ((15, "la"), (40, "la"), (145, "ra"), (168, "ra"), (195, "ra"))

    purchases = sum((amount for *_, amount in rows if amount > 0), Decimal(0))
    lines = [("Kontoutskrift bedriftskort",), ("Periode 01.11.2026 - 30.11.2026",), HEADER,
             *[(day, merchant, original, rate, format_decimal_comma(amount))
               for day, merchant, original, rate, amount in rows],
             (f"Sum kjøp i perioden {format_decimal_comma(purchases)}",)]
    for number, cells in enumerate(lines):
        y = (12 + 5.8 * number) * pixels_per_mm
        for text, (x, anchor) in zip(cells, columns):
            draw.text((x * pixels_per_mm, y), text, font=font, fill=0, anchor=anchor)

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(image, x=0, y=0, w=210, h=297)
    pdf.output(str(path))


def median_seconds(action, repeat: int) -> tuple[float, float, object]:
    """Return the median wall time and the median CPU time of this process, and the last result.

    The CPU time leaves out other processes on a busy machine, and also
    Tesseract, which runs as a child process.
    """
    wall_times = []
    cpu_times = []
    result = None
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = action()
        wall_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    return statistics.median(wall_times), statistics.median(cpu_times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50, help="pages of the text statement")
    parser.add_argument("--rows-per-page", type=int, default=40, help="table rows per page")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the median is reported")
    parser.add_argument("--skip-ocr", action="store_true", help="leave out the scanned page")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, {platform.processor() or platform.machine()}")
    with tempfile.TemporaryDirectory() as folder:
        rows = make_rows(args.pages * args.rows_per_page)
        path = Path(folder) / "statement.pdf"
        write_statement(path, rows, args.rows_per_page)
        seconds, cpu_seconds, statement = median_seconds(lambda: parse_statement_pdf(path), args.repeat)
        print(f"text statement: {args.pages} pages, {len(statement.charges)} charges, "
              f"{path.stat().st_size / 1024:.0f} KiB: median {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU "
              f"over {args.repeat} runs")

        if not args.skip_ocr:
            scan = Path(folder) / "scan.pdf"
            write_scanned_page(scan, rows[:args.rows_per_page])
            seconds, _, statement = median_seconds(lambda: parse_statement_pdf(scan), args.repeat)
            print(f"scanned page: {len(statement.charges)} charges read by OCR: "
                  f"median {seconds:.2f} s over {args.repeat} runs")


if __name__ == "__main__":
    main()
