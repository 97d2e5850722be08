"""Read a scanned PDF page with Tesseract OCR, as text lines with their cells kept apart.

The page is rendered with pdfium (through pdfplumber), which applies the
page's ``/Rotate``, and Tesseract returns each word with its box. The boxes
are scaled to PDF points and grouped into lines and cells the way the
words of a text layer are, so the statement layouts read both alike.
Tesseract runs as an external program with the Norwegian and English
models, and `check_tesseract` names what to install when either is missing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import statistics
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import pdfplumber
import pytesseract
from PIL import Image

from bot.documents.pdf_lines import TextLine, group_lines
from bot.errors import InputError
from bot.i18n import N_

log = logging.getLogger(__name__)

LANGUAGES = ("nor", "eng")
INSTALL_COMMAND = "apt-get install tesseract-ocr tesseract-ocr-nor tesseract-ocr-eng"

# Tesseract's guide to output quality (tessdoc, ImproveQuality.md) states
# that it works best on images of at least 300 dpi.
RESOLUTION = 300

# Page segmentation mode 4 takes the page as one column of text lines. On
# test statements the default mode 3 read each table column as a block of
# its own, and mode 4 kept each row together.
TESSERACT_CONFIG = "--psm 4"

# Tesseract runs faster with one OpenMP thread: a page of 40 rows took 8 s
# with the default threads and 1.5 to 2.5 s with one, measured with
# bench/bench_parse_pdf.py on a 2-core AMD EPYC server. pytesseract passes
# the process environment to Tesseract, so the limit is set around each
# call, under a lock, unless the user has set it.
OMP_THREAD_LIMIT = "OMP_THREAD_LIMIT"
_ENVIRONMENT_LOCK = threading.Lock()

# Maximum seconds for one page; a page of 40 rows took 2 to 4 s on that server.
TIMEOUT = 120

# Words of one cell are a space apart, about a third of the text height,
# and table columns are further apart than the text height.
CELL_GAP_PER_HEIGHT = 0.8

# Detection reads a scanned statement's first page before the parser reads
# every page, so the words of the last few page images are kept, by hash.
RECENT_PAGES = 4
_recent_words: OrderedDict[str, list[dict]] = OrderedDict()
_RECENT_LOCK = threading.Lock()

# Dashes that OCR returns for the minus sign of a credit.
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})


def check_tesseract(source: str, page: int) -> None:
    """Raise `InputError` naming what to install when Tesseract or one of its language models is missing."""
    try:
        installed = set(pytesseract.get_languages())
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as error:
        log.warning("Tesseract cannot be run: %s", error)
        raise InputError(
            source,
            N_("page {page} has no text layer and needs OCR, but the Tesseract program is not installed"),
            fix=N_("install it with '{command}', or send the statement as a PDF with text, CSV or XLSX"),
            page=page,
            command=INSTALL_COMMAND,
        ) from None

    missing = [language for language in LANGUAGES if language not in installed]
    if missing:
        raise InputError(
            source,
            N_("page {page} has no text layer and needs OCR, but Tesseract lacks the language model(s) {languages}"),
            fix=N_("install them with '{command}', or send the statement as a PDF with text, CSV or XLSX"),
            page=page,
            languages=", ".join(missing),
            command=INSTALL_COMMAND,
        )


def ocr_page_lines(page: pdfplumber.page.Page, source: str) -> list[TextLine]:
    """Render the page, read it with Tesseract and return its text lines, top to bottom."""
    started = time.perf_counter()
    image = page.to_image(resolution=RESOLUTION).original.convert("L")
    words = _read_words(image, source, page.page_number)

    heights = [word["bottom"] - word["top"] for word in words]
    cell_gap = CELL_GAP_PER_HEIGHT * statistics.median(heights) if heights else 0
    lines = group_lines(words, cell_gap=cell_gap, ocr=True)

    log.info("%s: OCR of page %d found %d words on %d lines in %.1f s",
             source, page.page_number, len(words), len(lines), time.perf_counter() - started)
    return lines


def _read_words(image: Image.Image, source: str, page: int) -> list[dict]:
    """Return the words Tesseract finds, with boxes in PDF points, from the recent pages when it read this image."""
    digest = hashlib.sha256(image.tobytes()).hexdigest()
    with _RECENT_LOCK:
        if digest in _recent_words:
            _recent_words.move_to_end(digest)
            return _recent_words[digest]

    words = _run_tesseract(image, source, page)
    with _RECENT_LOCK:
        _recent_words[digest] = words
        while len(_recent_words) > RECENT_PAGES:
            _recent_words.popitem(last=False)
    return words


def _run_tesseract(image: Image.Image, source: str, page: int) -> list[dict]:
    try:
        with _one_thread():
            data = pytesseract.image_to_data(image, lang="+".join(LANGUAGES), config=TESSERACT_CONFIG,
                                             output_type=pytesseract.Output.DICT, timeout=TIMEOUT)
    except (pytesseract.TesseractError, RuntimeError) as error:
        # pytesseract raises RuntimeError when the timeout is reached.
        log.warning("%s: OCR of page %d failed: %s", source, page, error)
        raise InputError(
            source,
            N_("OCR of page {page} failed: {reason}"),
            fix=N_("send the statement as a PDF with text, CSV or XLSX"),
            page=page,
            reason=str(error),
        ) from None

    points_per_pixel = 72 / RESOLUTION
    words = []
    for text, left, top, width, height in zip(data["text"], data["left"], data["top"], data["width"],
                                              data["height"]):
        text = text.strip().translate(_DASHES)
        if not text:
            continue
        words.append({
            "text": text,
            "x0": left * points_per_pixel,
            "x1": (left + width) * points_per_pixel,
            "top": top * points_per_pixel,
            "bottom": (top + height) * points_per_pixel,
        })
    return words


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run Tesseract with one OpenMP thread, restoring the environment afterwards."""
    with _ENVIRONMENT_LOCK:
        if OMP_THREAD_LIMIT in os.environ:
            yield
            return
        os.environ[OMP_THREAD_LIMIT] = "1"
        try:
            yield
        finally:
            del os.environ[OMP_THREAD_LIMIT]
