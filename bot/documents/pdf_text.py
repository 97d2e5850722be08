"""Read the text lines of a PDF with pdfplumber, keeping table cells apart.

pdfplumber's plain text joins the cells of a table row with single spaces,
so ``KIOSK 100`` followed by the amount ``234,50`` reads like the amount
``100 234,50``. Here words are extracted with their spaces kept
(``keep_blank_chars``), so a cell such as ``1 234,50`` stays one piece, and
cells are split where the gap between glyphs is wider than a space. The
cells of a line are joined with a tab.

A PDF encrypted with an empty user password, which restricts what a reader
may do with the file but not opening it, opens like an unencrypted one. A
page with ``/Rotate`` is read in the direction its text runs (see
`pdf_rotation`), and a page without a text layer is read with OCR (see
`ocr`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pdfplumber.utils.text import WordExtractor

from bot.documents.ocr import check_tesseract, ocr_page_lines
from bot.documents.pdf_lines import TextLine, group_lines
from bot.documents.pdf_rotation import upright_groups
from bot.documents.pdf_tables import outside, ruled_rows
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

# Maximum horizontal gap, in PDF points, between two glyphs of one cell. A
# space is a character of its own, so this only needs to bridge kerning.
# Between table cells the gap is two cell paddings, 5.7 pt with fpdf2's
# default 1 mm padding.
GLYPH_GAP = 1.5

# Called with the number of pages read so far and the number of pages to read.
Progress = Callable[[int, int], None]

_WORDS = WordExtractor(keep_blank_chars=True, x_tolerance=GLYPH_GAP)

# Exceptions of pdfminer and pdfium for a file that is damaged or not a PDF.
_UNREADABLE = (PdfminerException, PSException, MalformedPDFException)


@dataclass(frozen=True)
class PdfPage:
    """The text lines of one page, top to bottom, and whether they were read from an image by OCR."""

    number: int  # from 1
    lines: tuple[TextLine, ...]
    ocr: bool = False


def read_pdf_lines(path: Path, *, max_pages: int | None = None) -> list[list[str]]:
    """Return the text lines of each page, top to bottom, with cells separated by tabs.

    Raises `InputError` when the file is not a readable PDF, needs a
    password, or has no text that OCR can find either.
    """
    return [[line.text for line in page.lines] for page in read_pdf_pages(path, max_pages=max_pages)]


def read_pdf_pages(
    path: Path,
    *,
    max_pages: int | None = None,
    tables: bool = False,
    progress: Progress | None = None,
) -> list[PdfPage]:
    """Return the text lines of each page, reading pages without a text layer with OCR.

    With ``tables``, the rows of tables drawn with ruling lines come as one
    line each with the table's cells (see `pdf_tables`). ``progress`` is
    called after each page.
    """
    started = time.perf_counter()
    pages: list[PdfPage] = []
    with _open(path) as pdf:
        try:
            selected = pdf.pages if max_pages is None else pdf.pages[:max_pages]
            log.info("reading %s: %d pages", path.name, len(selected))
            for page in selected:
                pages.append(_read_page(page, path.name, tables=tables))
                # The parsed layout of a page takes far more memory than its lines.
                page.close()
                if progress is not None:
                    progress(len(pages), len(selected))
        except _UNREADABLE as error:
            raise _damaged(path, error) from None

    if not any(page.lines for page in pages):
        raise InputError(
            path.name,
            N_("PDF has no text layer, and OCR found no text on its {pages} page(s)"),
            fix=N_("send the statement as a PDF with text, CSV or XLSX, or scan it again at 300 dpi"),
            pages=len(pages),
        )

    log.info("read %s: %d pages, %d by OCR, %d text lines in %.1f s", path.name, len(pages),
             sum(page.ocr for page in pages), sum(len(page.lines) for page in pages), time.perf_counter() - started)
    return pages


@contextmanager
def _open(path: Path) -> Iterator[pdfplumber.PDF]:
    """Open the PDF; pdfminer tries the empty user password of an encrypted file by itself."""
    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as error:
        cause = error.args[0] if error.args else None
        if isinstance(cause, PDFPasswordIncorrect):
            raise InputError(
                path.name,
                N_("PDF is protected with a password"),
                fix=N_("send the statement without a password: download it again from the bank, "
                       "or open it and print it to a new PDF"),
            ) from None
        if isinstance(cause, PDFEncryptionError):
            raise InputError(
                path.name,
                N_("PDF is encrypted in a way that cannot be read ({reason})"),
                fix=N_("send the statement without encryption: open it and print it to a new PDF"),
                reason=str(cause),
            ) from None
        raise _damaged(path, error) from None
    except PSException as error:
        raise _damaged(path, error) from None

    with pdf:
        yield pdf


def _damaged(path: Path, error: Exception) -> InputError:
    cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
    return InputError(
        path.name,
        N_("file cannot be read as PDF ({reason})"),
        fix=N_("send the original PDF from the bank; the file may be damaged or not a PDF"),
        reason=str(cause) or type(cause).__name__,
    )


def _read_page(page: pdfplumber.page.Page, source: str, *, tables: bool) -> PdfPage:
    if not page.chars:
        check_tesseract(source, page.page_number)
        return PdfPage(page.page_number, tuple(ocr_page_lines(page, source)), ocr=True)

    groups = upright_groups(page.chars)
    lines: list[TextLine] = []

    # Ruled tables are looked for only on upright pages, where pdfplumber's
    # ruling lines and the characters share one frame.
    rows, boxes = ruled_rows(page) if tables and groups[0][0] == 0 else ([], [])
    for angle, chars in groups:
        if boxes and angle == 0:
            chars = list(filter(outside(boxes), chars))
        group = group_lines(_WORDS.extract_words(chars), cell_gap=0)
        if angle == 0:
            group = sorted(rows + group, key=lambda line: line.top)
        lines.extend(group)

    return PdfPage(page.page_number, tuple(lines))
