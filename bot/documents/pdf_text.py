"""Read the text lines of a PDF with pdfplumber, keeping table cells apart.

pdfplumber's plain text joins the cells of a table row with single spaces,
so ``KIOSK 100`` followed by the amount ``234,50`` reads like the amount
``100 234,50``. Here words are extracted with their spaces kept
(``keep_blank_chars``), so a cell such as ``1 234,50`` stays one piece, and
cells are split where the gap between glyphs is wider than a space. The
cells of a line are joined with a tab.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pdfplumber
from pdfminer.psexceptions import PSException
from pdfplumber.utils import cluster_objects
from pdfplumber.utils.exceptions import PdfminerException

from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

CELL_SEPARATOR = "\t"

# Maximum horizontal gap, in PDF points, between two glyphs of one cell. A
# space is a character of its own, so this only needs to bridge kerning.
# Between table cells the gap is two cell paddings, 5.7 pt with fpdf2's
# default 1 mm padding.
GLYPH_GAP = 1.5

# Maximum vertical offset, in PDF points, between words of one text line.
LINE_TOLERANCE = 3


def read_pdf_lines(path: Path, *, max_pages: int | None = None) -> list[list[str]]:
    """Return the text lines of each page, top to bottom, with cells separated by tabs.

    Raises `InputError` when the file is not a readable PDF, or when no page
    has a text layer (a scanned statement).
    """
    try:
        with pdfplumber.open(path) as pdf:
            pages = pdf.pages if max_pages is None else pdf.pages[:max_pages]
            lines = [_page_lines(page) for page in pages]
    except (PdfminerException, PSException) as error:
        raise InputError(
            path.name,
            N_("file cannot be read as PDF ({reason})"),
            fix=N_("send the original PDF from the bank; the file may be damaged or not a PDF"),
            reason=str(error),
        ) from None

    if not any(lines):
        # TODO: run OCR (Tesseract) on scanned pages instead of rejecting them.
        raise InputError(
            path.name,
            N_("PDF has no text layer (it looks scanned); OCR is not supported yet"),
            fix=N_("download the statement as a PDF with text, or as CSV or XLSX, from the bank"),
        )

    log.debug("read %s: %d pages, %d text lines", path.name, len(lines), sum(map(len, lines)))
    return lines


def _page_lines(page: pdfplumber.page.Page) -> list[str]:
    words = page.extract_words(keep_blank_chars=True, x_tolerance=GLYPH_GAP)
    lines = []
    for cluster in cluster_objects(words, "top", LINE_TOLERANCE):
        cells = [word["text"].strip() for word in sorted(cluster, key=lambda word: word["x0"])]
        lines.append(CELL_SEPARATOR.join(cell for cell in cells if cell))
    return [line for line in lines if line]
