"""Write small Amazon-style invoice PDFs with fpdf2 for the invoice parser tests.

The layout follows the real amazon.de invoice. A page starts with the title
and the "Bezahlt" stamp, the legal entity and the page number. Then come a
details block whose values sit next to an address column, and the line
table with wrapped column headers, where each item's description takes one
or more lines and ends in its ASIN line. The shipping row, the VAT summary
and the totals close the invoice. A TrueType font is embedded, because
the core PDF fonts cannot write €.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from fpdf import FPDF

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"

# Description, quantity, unit price excl. VAT, VAT rate, unit price incl. VAT, subtotal incl. VAT.
WIDTHS = (80, 12, 25, 15, 25, 30)
ALIGNS = ("L", "R", "R", "R", "R", "R")
ADDRESS = ("Rechnungsadresse / Billing address", "Nordlys Elektro AS", "Industriveien 12", "2004 Lillestrøm", "NO")


@dataclass(frozen=True)
class Layout:
    """The texts of one language's invoice layout that are not per-invoice values."""

    paid: str
    entity: str
    page_marker: str  # with {number} and {count}
    order_information: str
    header: tuple[str, ...]
    header_fragments: tuple[str, ...]
    summary_header: tuple[str, ...]
    summary_fragments: tuple[str, ...]


GERMAN = Layout(
    paid="Bezahlt",
    entity="Amazon EU S.à r.l. - 38 avenue John F. Kennedy, L-1855 Luxembourg",
    page_marker="Seite {number} von {count}",
    order_information="Bestellinformationen",
    header=("Beschreibung", "Menge", "Stückpreis", "USt. %", "Stückpreis", "Zwischensumme"),
    header_fragments=("", "", "(ohne USt.)", "", "(inkl. USt.)", "(inkl. USt.)"),
    summary_header=("USt. %", "Zwischensumme", "USt."),
    summary_fragments=("", "(ohne USt.)", ""),
)

ENGLISH = Layout(
    paid="Paid",
    entity="Amazon EU S.à r.l., UK Branch - 1 Principal Place, Worship Street, London EC2A 2FA",
    page_marker="Page {number} of {count}",
    order_information="Order information",
    header=("Description", "Qty", "Unit price", "VAT rate", "Unit price", "Item subtotal"),
    header_fragments=("", "", "(excl. VAT)", "", "(incl. VAT)", "(incl. VAT)"),
    summary_header=("VAT rate", "Item subtotal (excl. VAT)", "VAT subtotal"),
    summary_fragments=(),
)

SWEDISH = Layout(
    paid="Betald",
    entity="Amazon EU S.à r.l. - 38 avenue John F. Kennedy, L-1855 Luxembourg",
    page_marker="Sida {number} av {count}",
    order_information="Orderinformation",
    header=("Beskrivning", "Antal", "Styckpris", "Moms %", "Styckpris", "Delsumma"),
    header_fragments=("", "", "(exkl. moms)", "", "(inkl. moms)", "(inkl. moms)"),
    summary_header=("Moms %", "Delsumma (exkl. moms)", "Moms"),
    summary_fragments=(),
)


@dataclass(frozen=True)
class Item:
    """One item row, with every amount written as the invoice prints it."""

    title: tuple[str, ...]  # the description's lines
    asin: str | None
    quantity: str
    unit_net: str
    rate: str
    unit_gross: str
    subtotal: str


@dataclass
class Invoice:
    """One invoice of a PDF: title, details, items and the closing rows, all as printed text."""

    layout: Layout
    title: str
    details: list[tuple[str, str]]
    items: list[Item]
    # The shipping row's six cells, the label first.
    shipping: tuple[str, ...] | None = None
    summary: list[tuple[str, str, str]] = field(default_factory=list)
    summary_total: tuple[str, str, str] | None = None
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Positions of the items that start a new page, where the table header repeats unless repeat_header is off.
    page_breaks: tuple[int, ...] = ()
    # The page count the page numbers announce, where it differs from the pages written.
    announced_pages: int | None = None
    # The number printed on the invoice's first page.
    first_page: int = 1
    page_numbers: bool = True
    repeat_header: bool = True
    # Print the VAT summary and totals above the details block, where real invoices show a summary box.
    summary_first: bool = False


def write_invoices(path: Path, invoices: list[Invoice], *, glued: bool = False, amounts_on: str = "first") -> Path:
    """Write the invoices into one PDF, each starting on a new page.

    ``glued`` prints quantity and unit price excl. VAT as one cell, and both
    amounts incl. VAT as another, as real PDF text often reads them.
    ``amounts_on`` puts an item's amounts on its first description line
    (``first``), on its ASIN line (``asin``) or on a line of their own after
    it (``below``).
    """
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.set_font("DejaVu", size=8)
    for invoice in invoices:
        _write_invoice(pdf, invoice, glued=glued, amounts_on=amounts_on)
    pdf.output(str(path))
    return path


def _write_invoice(pdf: FPDF, invoice: Invoice, *, glued: bool, amounts_on: str) -> None:
    count = invoice.announced_pages or len(invoice.page_breaks) + 1
    layout = invoice.layout
    _start_page(pdf, invoice, invoice.first_page, count)
    for note in invoice.notes:
        _line(pdf, note)
    if invoice.summary_first:
        _write_summary(pdf, invoice)

    addresses = iter(ADDRESS)
    for label, value in invoice.details:
        pdf.cell(w=45, h=5, text=label)
        pdf.cell(w=85, h=5, text=value)
        pdf.cell(w=0, h=5, text=next(addresses, ""))
        pdf.ln()

    _line(pdf, layout.order_information)
    _table_header(pdf, layout)
    for position, item in enumerate(invoice.items):
        if position in invoice.page_breaks:
            _start_page(pdf, invoice, invoice.first_page + invoice.page_breaks.index(position) + 1, count)
            if invoice.repeat_header:
                _table_header(pdf, layout)
        _write_item(pdf, item, glued=glued, amounts_on=amounts_on)

    if invoice.shipping is not None:
        _row(pdf, invoice.shipping)
    if not invoice.summary_first:
        _write_summary(pdf, invoice)


def _write_summary(pdf: FPDF, invoice: Invoice) -> None:
    layout = invoice.layout
    if invoice.summary:
        _row(pdf, layout.summary_header, widths=(30, 50, 30))
        if layout.summary_fragments:
            _row(pdf, layout.summary_fragments, widths=(30, 50, 30))
        for summary_row in invoice.summary:
            _row(pdf, summary_row, widths=(30, 50, 30), aligns=("L", "R", "R"))
    if invoice.summary_total is not None:
        _row(pdf, invoice.summary_total, widths=(30, 50, 30), aligns=("L", "R", "R"))
    for label, value in invoice.totals:
        _row(pdf, (label, value), widths=(45, 40), aligns=("L", "R"))


def _start_page(pdf: FPDF, invoice: Invoice, number: int, count: int) -> None:
    pdf.add_page()
    pdf.set_font_size(14)
    pdf.cell(w=120, h=8, text=invoice.title)
    pdf.cell(w=0, h=8, text=invoice.layout.paid, align="R")
    pdf.ln()
    pdf.set_font_size(8)
    _line(pdf, invoice.layout.entity)
    if invoice.page_numbers:
        pdf.cell(w=0, h=5, text=invoice.layout.page_marker.format(number=number, count=count), align="R")
        pdf.ln()


def _table_header(pdf: FPDF, layout: Layout) -> None:
    _row(pdf, layout.header)
    _row(pdf, layout.header_fragments)


def _write_item(pdf: FPDF, item: Item, *, glued: bool, amounts_on: str) -> None:
    if glued:
        amounts = ("", f"{item.quantity}{item.unit_net}", item.rate, f"{item.unit_gross}{item.subtotal}")
        widths = (WIDTHS[0], WIDTHS[1] + WIDTHS[2], WIDTHS[3], WIDTHS[4] + WIDTHS[5])
    else:
        amounts = ("", item.quantity, item.unit_net, item.rate, item.unit_gross, item.subtotal)
        widths = WIDTHS
    aligns = ("L",) + ("R",) * (len(amounts) - 1)

    lines = list(item.title) + ([f"ASIN: {item.asin}"] if item.asin else [])
    amounts_line = {"first": 0, "asin": len(lines) - 1}.get(amounts_on)
    for position, text in enumerate(lines):
        if position == amounts_line:
            _row(pdf, (text,) + amounts[1:], widths=widths, aligns=aligns)
        else:
            _line(pdf, text)
    if amounts_on == "below":
        _row(pdf, amounts, widths=widths, aligns=aligns)


def _row(pdf: FPDF, cells: tuple[str, ...], *, widths: tuple[int, ...] = WIDTHS,
         aligns: tuple[str, ...] = ALIGNS) -> None:
    for text, width, align in zip(cells, widths, aligns):
        pdf.cell(w=width, h=5, text=text, align=align)
    pdf.ln()


def _line(pdf: FPDF, text: str) -> None:
    pdf.cell(w=0, h=5, text=text)
    pdf.ln()
