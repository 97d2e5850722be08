"""Tests for scanned statement pages, read with Tesseract OCR.

The pages are drawn with Pillow in DejaVu Sans and put into a PDF as
images without a text layer. Tests that run Tesseract skip when it or its
Norwegian and English models are missing. They fail instead when the
environment variable CI is ``true``, because `.ci/run` installs them.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from decimal import Decimal

import pytest
import pytesseract
from fpdf import FPDF
from statement_pdfs import (
    HEADER,
    NOVEMBER,
    NOVEMBER_SUM,
    TITLE_LINES,
    rotate_pages,
    scanned_page,
    write_scanned_pdf,
)

from bot.documents.statement_pdf import parse_statement_pdf
from bot.errors import InputError


def tesseract_missing() -> str | None:
    """Return why Tesseract cannot read Norwegian and English here, or None when it can."""
    try:
        languages = set(pytesseract.get_languages())
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as error:
        return f"Tesseract is not installed: {error}"
    missing = {"nor", "eng"} - languages
    return f"Tesseract lacks the language models {sorted(missing)}" if missing else None


@pytest.fixture
def tesseract() -> None:
    reason = tesseract_missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def test_scanned_page_parsed_with_text_page(tmp_path, tesseract, caplog):
    scanned = scanned_page([*TITLE_LINES, HEADER, *NOVEMBER[:3]])
    text_page = [*NOVEMBER[3:], f"Sum kjøp i perioden {NOVEMBER_SUM}"]
    path = write_scanned_pdf(tmp_path / "skannet.pdf", [scanned, text_page])

    with caplog.at_level(logging.INFO, logger="bot.documents"):
        statement = parse_statement_pdf(path)

    descriptions = [charge.description for charge in statement.charges]
    assert descriptions[:2] + descriptions[3:] == [row[1] for row in NOVEMBER[:2] + NOVEMBER[3:]]
    # OCR may read the zero of the charge id F090Q5RN5 as the letter O, so only its prefix is compared.
    assert descriptions[2].startswith("AMZNBusiness*F")
    assert [charge.amount for charge in statement.charges] == [
        Decimal("150.50"), Decimal("746.34"), Decimal("1249.68"), Decimal("234.50"), Decimal("-177.55"),
    ]
    assert statement.charges[2].original_amount == Decimal("1234.50")
    assert statement.charges[2].original_currency == "SEK"
    assert statement.stated_total == Decimal("2381.02")
    assert statement.period_start == date(2026, 11, 1)
    assert "OCR of page 1" in caplog.text
    assert "OCR of page 2" not in caplog.text


def test_scan_with_rotate_read_upright(tmp_path, tesseract):
    """A scanner that stores the page sideways sets /Rotate so that it shows upright."""
    sideways = scanned_page([*TITLE_LINES, HEADER, *NOVEMBER, f"Sum kjøp i perioden {NOVEMBER_SUM}"])
    pdf = FPDF(format="A4")
    pdf.add_page(orientation="L")
    pdf.image(sideways.rotate(90, expand=True), x=0, y=0, w=297, h=210)
    pdf.output(str(tmp_path / "skannet.pdf"))
    path = rotate_pages(tmp_path / "skannet.pdf", 90)

    statement = parse_statement_pdf(path)

    assert len(statement.charges) == 5
    assert statement.stated_total == Decimal("2381.02")


def test_scanned_sum_mismatch_names_both_numbers(tmp_path, tesseract):
    scanned = scanned_page([*TITLE_LINES, HEADER, *NOVEMBER, "Sum kjøp i perioden 2 391,02"])
    path = write_scanned_pdf(tmp_path / "skannet.pdf", [scanned])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert raised.value.source == "skannet.pdf"
    assert "states 2 391,02 but the purchase rows sum to 2 381,02, a difference of 10,00" in message
    assert "read with OCR" in message


def test_blank_scan_has_no_text(tmp_path, tesseract):
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.rect(x=20, y=20, w=170, h=250)  # a page with drawing but no text, like an empty scan
    path = tmp_path / "skannet.pdf"
    pdf.output(str(path))

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    assert raised.value.source == "skannet.pdf"
    assert "no text layer, and OCR found no text on its 1 page(s)" in str(raised.value)


def test_missing_tesseract_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    path = write_scanned_pdf(tmp_path / "skannet.pdf", [scanned_page(TITLE_LINES)])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert "page 1 has no text layer and needs OCR, but the Tesseract program is not installed" in message
    assert "apt-get install tesseract-ocr tesseract-ocr-nor" in message
    assert raised.value.__suppress_context__


def test_missing_language_model_named(tmp_path, monkeypatch):
    monkeypatch.setattr(pytesseract, "get_languages", lambda config="": ["eng", "osd"])
    path = write_scanned_pdf(tmp_path / "skannet.pdf", [scanned_page(TITLE_LINES)])

    with pytest.raises(InputError) as raised:
        parse_statement_pdf(path)

    message = str(raised.value)
    assert "Tesseract lacks the language model(s) nor" in message
    assert "tesseract-ocr-nor" in message
