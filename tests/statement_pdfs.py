"""Small PDF card statements for the parser tests, written with fpdf2, Pillow and pypdfium2.

Each builder writes the layout as the bank prints it: title, card, period,
a table over pages, the balance and total lines. Amounts are given as the
bank prints them (``1 234,50``), so a test can print a wrong total on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pypdfium2
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image, ImageDraw, ImageFont

HEADER = ("Dato", "Beløpet gjelder", "Valuta", "Kurs", "Beløp")
WIDTHS = (25, 75, 30, 25, 30)
ALIGNS = ("L", "L", "R", "R", "R")

# A row: date, description, original amount, rate, NOK amount. A description
# given as a tuple wraps: its first part is on the row's line, the rest on
# lines below it.
Row = tuple[str, str | tuple[str, ...], str, str, str]

NOVEMBER: list[Row] = [
    ("03.11.2026", "REMA 1000 OSLO, Oslo", "", "", "150,50"),
    ("05.11.2026", "AMAZON EU, Luxembourg", "62,97 EUR", "11,8523", "746,34"),
    ("13.11.2026", "AMZNBusiness*F090Q5RN5", "1 234,50 SEK", "1,0123", "1 249,68"),
    ("14.11.2026", "KIOSK 100", "", "", "234,50"),
    ("20.11.2026", "AMAZON EU, Luxembourg", "14,98 EUR", "11,8523", "-177,55"),
]
NOVEMBER_SUM = "2 381,02"  # 150,50 + 746,34 + 1 249,68 + 234,50

TITLE_LINES = ("Kontoutskrift bedriftskort", "Kortnummer **** **** **** 4821", "Periode 01.11.2026 - 30.11.2026")


@dataclass
class TextStatement:
    """The DNB-style text layout: one cell per column, no ruling lines.

    ``carried`` is printed as ``Overføres til neste side`` at the foot of
    page k and ``Overført fra forrige side`` at the head of page k + 1.
    """

    rows: Sequence[Row]
    total: str | None = None
    rows_per_page: int = 40
    whole_lines: bool = False
    opening: str | None = None
    carried: Sequence[str] = ()
    closing: str | None = None
    # Prints this date before the closing balance's label, in the date column.
    closing_date: str | None = None
    title_lines: Sequence[str] = TITLE_LINES
    # Encrypts the file with this user password; an empty one opens without asking.
    user_password: str | None = None
    encryption: EncryptionMethod = EncryptionMethod.AES_128
    pdf: FPDF = field(init=False)

    def write(self, path: Path) -> Path:
        self.pdf = FPDF(format="A4")
        if self.user_password is not None:
            self.pdf.set_encryption(owner_password="banken", user_password=self.user_password,
                                    encryption_method=self.encryption)
        self.pdf.set_font("Helvetica", size=9)
        self.pdf.add_page()
        for text in self.title_lines:
            self._text_line(text)
        if self.opening is not None:
            self._label_line("Inngående saldo", self.opening)

        self._table_line(HEADER)
        for number, row in enumerate(self.rows):
            if number and number % self.rows_per_page == 0:
                self._next_page(number // self.rows_per_page - 1)
            self._row(row)

        if self.total is not None:
            self._text_line(f"Sum kjøp i perioden {self.total}")
        if self.closing is not None and self.closing_date is not None:
            self._table_line((self.closing_date, "Utgående saldo", "", "", self.closing))
        elif self.closing is not None:
            self._label_line("Utgående saldo", self.closing)
        self.pdf.output(str(path))
        return path

    def _next_page(self, page_break: int) -> None:
        carried = self.carried[page_break] if page_break < len(self.carried) else None
        if carried is not None:
            self._label_line("Overføres til neste side", carried)
        self.pdf.add_page()
        if carried is not None:
            self._label_line("Overført fra forrige side", carried)
        self._table_line(HEADER)

    def _row(self, row: Row) -> None:
        date, description, original, rate, amount = row
        parts = (description,) if isinstance(description, str) else description
        self._table_line((date, parts[0], original, rate, amount))
        for part in parts[1:]:
            # A wrapped description continues under the description column, in tighter lines.
            self.pdf.cell(w=WIDTHS[0], h=4)
            self.pdf.cell(w=WIDTHS[1], h=4, text=part, new_x="LMARGIN", new_y="NEXT")

    def _table_line(self, cells: Sequence[str]) -> None:
        if self.whole_lines:
            self._text_line("  ".join(cell for cell in cells if cell))
            return
        for text, width, align in zip(cells, WIDTHS, ALIGNS):
            self.pdf.cell(w=width, h=6, text=text, align=align)
        self.pdf.ln()

    def _label_line(self, label: str, amount: str) -> None:
        self.pdf.cell(w=sum(WIDTHS[:4]), h=6, text=label)
        self.pdf.cell(w=WIDTHS[4], h=6, text=amount, align="R", new_x="LMARGIN", new_y="NEXT")

    def _text_line(self, text: str) -> None:
        self.pdf.cell(w=0, h=6, text=text, new_x="LMARGIN", new_y="NEXT")


def write_statement(path: Path, rows: Sequence[Row], total: str | None, **options) -> Path:
    """Write a text-layout statement; ``options`` are the other fields of `TextStatement`."""
    return TextStatement(rows, total, **options).write(path)


# The card holder invoice: a ruled table per card holder.
CARD_HEADER = ("Trans.dato", "Bokf.dato", "Beskrivelse", "Valutabeløp", "Valuta", "Kurs", "Beløp NOK")
CARD_WIDTHS = (20, 20, 60, 22, 14, 18, 26)
CARD_ALIGNS = ("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT")

CardRow = tuple[str, str, str, str, str, str, str]


@dataclass
class CardSection:
    holder: str
    rows: Sequence[CardRow]
    total: str | None = None


def write_card_invoice(
    path: Path,
    sections: Sequence[CardSection],
    total: str | None,
    *,
    opening: str | None = None,
    payments: Sequence[CardRow] = (),
    closing: str | None = None,
    page_break_after: Sequence[int] = (),
) -> Path:
    """Write a corporate card invoice with a ruled table per card holder.

    ``payments`` are rows of the account before the first card; a page
    break follows each section whose index is in ``page_break_after``.
    """
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=8)
    pdf.add_page()
    for text in ("Firmakortfaktura", "Nordlys AS", "Fakturaperiode 01.11.2026 - 30.11.2026"):
        pdf.cell(w=0, h=6, text=text, new_x="LMARGIN", new_y="NEXT")
    if opening is not None:
        pdf.cell(w=0, h=6, text=f"Inngående saldo {opening}", new_x="LMARGIN", new_y="NEXT")
    if payments:
        _card_table(pdf, payments)

    for index, section in enumerate(sections):
        pdf.ln(2)
        pdf.cell(w=0, h=6, text=f"Kortinnehaver: {section.holder}", new_x="LMARGIN", new_y="NEXT")
        _card_table(pdf, section.rows)
        if section.total is not None:
            pdf.cell(w=0, h=6, text=f"Sum kortinnehaver {section.total}", new_x="LMARGIN", new_y="NEXT")
        if index in page_break_after:
            pdf.add_page()

    pdf.ln(2)
    if total is not None:
        pdf.cell(w=0, h=6, text=f"Sum nye kjøp {total}", new_x="LMARGIN", new_y="NEXT")
    if closing is not None:
        pdf.cell(w=0, h=6, text=f"Utgående saldo {closing}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def _card_table(pdf: FPDF, rows: Sequence[CardRow]) -> None:
    with pdf.table(col_widths=CARD_WIDTHS, text_align=CARD_ALIGNS, line_height=4.5) as table:
        table.row(CARD_HEADER)
        for row in rows:
            table.row(row)


def rotate_pages(path: Path, degrees: int) -> Path:
    """Set ``/Rotate`` on every page, as a scanner or a viewer does, without turning the content."""
    document = pypdfium2.PdfDocument(str(path))
    for page in document:
        page.set_rotation(degrees)
    rotated = path.with_name(f"{path.stem}-rotated{path.suffix}")
    document.save(str(rotated))
    document.close()
    return rotated


def write_sideways_statement(path: Path, rows: Sequence[Row], total: str) -> Path:
    """Write a landscape statement drawn sideways on a portrait page, with ``/Rotate 90`` to show it upright."""
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=9)
    pdf.add_page()
    # Turning counterclockwise around (148.5, 148.5) maps the landscape
    # page (297 x 210 mm) onto the portrait one, with text running upwards.
    with pdf.rotation(90, x=148.5, y=148.5):
        lines = [*TITLE_LINES, HEADER, *rows, f"Sum kjøp i perioden {total}"]
        for number, line in enumerate(lines):
            pdf.set_xy(20, 20 + 6 * number)
            if isinstance(line, str):
                pdf.cell(w=0, h=6, text=line)
                continue
            for text, width, align in zip(line, WIDTHS, ALIGNS):
                pdf.cell(w=width, h=6, text=text, align=align)
    pdf.output(str(path))
    return rotate_pages(path, 90)


# Scanned pages: text drawn on an image with a TrueType font, so that OCR has to read it.
SCAN_DPI = 200
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
# Where the cells of the text layout start (left-aligned) or end (right-aligned), in mm.
SCAN_COLUMNS = ((15, "la"), (42, "la"), (150, "ra"), (172, "ra"), (195, "ra"))


def scanned_page(lines: Sequence[str | Sequence[str]]) -> Image.Image:
    """Draw an A4 page at `SCAN_DPI`: a string is a text line, a sequence the cells of a table line."""
    width, height = round(210 / 25.4 * SCAN_DPI), round(297 / 25.4 * SCAN_DPI)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), size=round(10 / 72 * SCAN_DPI))
    pixels_per_mm = SCAN_DPI / 25.4

    for number, line in enumerate(lines):
        y = (15 + 7 * number) * pixels_per_mm
        cells = [(line, (15, "la"))] if isinstance(line, str) else zip(line, SCAN_COLUMNS)
        for text, (x, anchor) in cells:
            draw.text((x * pixels_per_mm, y), text, font=font, fill=0, anchor=anchor)
    return image


def write_scanned_pdf(path: Path, pages: Sequence[Image.Image | Sequence[str]]) -> Path:
    """Write a PDF whose pages are images without a text layer, or text lines for a page with one."""
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=9)
    for page in pages:
        pdf.add_page()
        if isinstance(page, Image.Image):
            pdf.image(page, x=0, y=0, w=210, h=297)
            continue
        for line in page:
            if isinstance(line, str):
                pdf.cell(w=0, h=6, text=line, new_x="LMARGIN", new_y="NEXT")
                continue
            for text, width, align in zip(line, WIDTHS, ALIGNS):
                pdf.cell(w=width, h=6, text=text, align=align)
            pdf.ln()
    pdf.output(str(path))
    return path
