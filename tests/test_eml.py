"""Tests for reading received messages (.eml) with their attachments."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.errors import InputError
from bot.mail import attachments, eml
from bot.mail.eml import parse_mail, read_eml
from bot.mail.filenames import safe_filename

ORDERS_CSV = (
    b'\xef\xbb\xbf"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"\r\n'
    b'"11/03/2026","302-1725553-0374723","EUR","Logitech MX Master 3S","1","49.99","47.99"\r\n'
)
STATEMENT_CSV = (
    b'"Dato";"Bel\xf8pet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n'
    b'"05.11.2026";"AMAZON EU, Luxembourg";"62,97 EUR";"11,8523";"";"746,34"\r\n'
)
STATEMENT_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"

# A controller's forward: a short note, and the original message attached as
# message/rfc822 with the three documents (8bit, quoted-printable, base64).
FORWARD = """\
From: Kari Nordmann <kari.nordmann@example.no>
To: allocbot@nordlys.example.no
Subject: Fwd: Kortutskrift og Amazon-rapport november 2026
Date: Mon, 07 Dec 2026 09:15:00 +0100
Message-ID: <CAF=k2d9x@mail.example.no>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Hei, her er november. Mvh Kari

--outer
Content-Type: message/rfc822
Content-Disposition: attachment

From: Ola Hansen <ola.hansen@example.no>
To: Kari Nordmann <kari.nordmann@example.no>
Subject: Kortutskrift og Amazon-rapport november 2026
Date: Fri, 04 Dec 2026 16:02:11 +0100
Message-ID: <20261204160211.4711@example.no>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain; charset="utf-8"

Vedlagt rapport og utskrift.

--inner
Content-Type: text/csv; charset="utf-8"; name="orders_from_20261101_to_20261130.csv"
Content-Disposition: attachment; filename="orders_from_20261101_to_20261130.csv"
Content-Transfer-Encoding: 8bit

\ufeff"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"
"11/03/2026","302-1725553-0374723","EUR","Logitech MX Master 3S","1","49.99","47.99"

--inner
Content-Type: text/csv; charset="windows-1252"
Content-Disposition: attachment; filename="kortutskrift-november.csv"
Content-Transfer-Encoding: quoted-printable

"Dato";"Bel=F8pet gjelder";"Valuta";"Kurs";"Inn";"Ut"
"05.11.2026";"AMAZON EU, Luxembourg";"62,97 EUR";"11,8523";"";"746,34"

--inner
Content-Type: application/pdf
Content-Disposition: attachment; filename="kortutskrift-november.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyA+PgplbmRvYmoK
--inner--

--outer--
"""


def write_eml(tmp_path: Path, text: str, name: str = "forward.eml") -> Path:
    """Write a message as it arrives over SMTP: UTF-8 bytes, CRLF line ends."""
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    return path


def test_forward_headers_and_body(tmp_path):
    mail = read_eml(write_eml(tmp_path, FORWARD))

    assert mail.message_id == "<CAF=k2d9x@mail.example.no>"
    assert mail.sender == "kari.nordmann@example.no"
    assert mail.subject == "Fwd: Kortutskrift og Amazon-rapport november 2026"
    assert mail.date == datetime(2026, 12, 7, 9, 15, tzinfo=timezone(timedelta(hours=1)))
    assert mail.date.tzinfo is not None
    assert "Hei, her er november." in mail.body


def test_forward_nested_attachments(tmp_path):
    mail = read_eml(write_eml(tmp_path, FORWARD))

    assert [attachment.filename for attachment in mail.attachments] == [
        "orders_from_20261101_to_20261130.csv",
        "kortutskrift-november.csv",
        "kortutskrift-november.pdf",
    ]
    orders, statement, pdf = mail.attachments
    assert orders.content == ORDERS_CSV
    assert orders.content_type == "text/csv"
    assert statement.content == STATEMENT_CSV
    assert pdf.content == STATEMENT_PDF
    assert pdf.content_type == "application/pdf"


def test_attachment_sha256(tmp_path):
    mail = read_eml(write_eml(tmp_path, FORWARD))

    for attachment in mail.attachments:
        assert attachment.sha256 == hashlib.sha256(attachment.content).hexdigest()
    assert mail.attachments[2].sha256 == hashlib.sha256(STATEMENT_PDF).hexdigest()


def base64_forward(original: str, message_id: str) -> str:
    """Wrap a message as a base64-encoded message/rfc822 part, as some clients forward."""
    encoded = base64.encodebytes(original.replace("\n", "\r\n").encode("utf-8")).decode("ascii")
    return f"""\
From: Kari Nordmann <kari.nordmann@example.no>
Subject: Fwd: november
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

Se vedlegg.
--outer
Content-Type: message/rfc822
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="Kortutskrift.eml"

{encoded}
--outer--
"""


def test_base64_encoded_forward(tmp_path):
    original = FORWARD.split("Content-Disposition: attachment\n\n", 1)[1].rsplit("\n--outer--", 1)[0]

    mail = read_eml(write_eml(tmp_path, base64_forward(original, "<b64-forward@example.no>")))

    assert [attachment.content for attachment in mail.attachments] == [ORDERS_CSV, STATEMENT_CSV, STATEMENT_PDF]
    assert "Vedlagt rapport" in mail.body
    assert "Se vedlegg." in mail.body


def test_base64_forward_nested_twice(tmp_path):
    original = FORWARD.split("Content-Disposition: attachment\n\n", 1)[1].rsplit("\n--outer--", 1)[0]
    once = base64_forward(original, "<once@example.no>")

    mail = read_eml(write_eml(tmp_path, base64_forward(once, "<twice@example.no>")))

    assert mail.message_id == "<twice@example.no>"
    assert [attachment.filename for attachment in mail.attachments] == [
        "orders_from_20261101_to_20261130.csv",
        "kortutskrift-november.csv",
        "kortutskrift-november.pdf",
    ]
    assert mail.attachments[2].content == STATEMENT_PDF


def test_missing_date_is_none(tmp_path):
    text = FORWARD.replace("Date: Mon, 07 Dec 2026 09:15:00 +0100\n", "")

    assert read_eml(write_eml(tmp_path, text)).date is None


def test_no_attachments_is_error(tmp_path):
    text = """\
From: Kari Nordmann <kari.nordmann@example.no>
Subject: Kortutskrift november
Message-ID: <empty-4711@example.no>
Content-Type: text/plain; charset="utf-8"

Glemte vedlegget.
"""

    with pytest.raises(InputError) as raised:
        read_eml(write_eml(tmp_path, text, "glemt.eml"))

    assert raised.value.source == "glemt.eml"
    assert "<empty-4711@example.no>" in str(raised.value)
    assert "attach the Amazon Business order report and the card statement" in raised.value.fix


def message_with_files(files: list[tuple[str, bytes]]) -> str:
    message = EmailMessage()
    message["From"] = "ola.hansen@example.no"
    message["Subject"] = "Vedlegg"
    message["Message-ID"] = "<files-1@example.no>"
    message.set_content("Se vedlegg.")
    for filename, content in files:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_string()


def test_hostile_filenames_reduced(tmp_path):
    files = [
        ("../../etc/cron.d/orders.csv", ORDERS_CSV),
        ("C:\\Users\\kari\\kort.pdf", STATEMENT_PDF),
        ("..", STATEMENT_PDF),
    ]

    mail = read_eml(write_eml(tmp_path, message_with_files(files)))

    assert [attachment.filename for attachment in mail.attachments] == ["orders.csv", "kort.pdf", "attachment"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rapport\x07.csv", "rapport.csv"),
        ("kort\u202efdp.csv", "kortfdp.csv"),
        ("a\x00/b\r\n.pdf", "b.pdf"),
        ("  orders.csv ", "orders.csv"),
        ("...", "attachment"),
        (None, "attachment"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_too_many_attachments(tmp_path):
    files = [(f"vedlegg-{number}.txt", b"x") for number in range(attachments.MAX_ATTACHMENTS + 1)]

    with pytest.raises(InputError) as raised:
        read_eml(write_eml(tmp_path, message_with_files(files), "mange.eml"))

    assert raised.value.source == "mange.eml"
    assert f"{attachments.MAX_ATTACHMENTS + 1} attachments" in str(raised.value)
    assert f"limit of {attachments.MAX_ATTACHMENTS}" in str(raised.value)


def test_attachment_too_large_listed():
    files = [("kort.pdf", b"%PDF" + b"0" * 1200), ("orders.csv", ORDERS_CSV)]
    raw = message_with_files(files).encode("utf-8")

    mail = parse_mail(raw, label="stor.eml", max_attachment_bytes=1000)

    assert [attachment.filename for attachment in mail.attachments] == ["orders.csv"]
    assert [(part.filename, part.size) for part in mail.oversized] == [("kort.pdf", 1204)]
    error = mail.oversized[0].error
    assert error.source == "stor.eml"
    assert "1204 bytes" in str(error)
    assert "<files-1@example.no>, attachment 'kort.pdf': " in str(error)


def test_read_eml_attachment_limit(tmp_path):
    path = write_eml(tmp_path, FORWARD)

    mail = read_eml(path, max_attachment_bytes=len(STATEMENT_PDF))

    assert [attachment.filename for attachment in mail.attachments] == ["kortutskrift-november.pdf"]
    assert [part.filename for part in mail.oversized] == [
        "orders_from_20261101_to_20261130.csv",
        "kortutskrift-november.csv",
    ]


def test_message_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(eml, "MAX_MESSAGE_BYTES", 500)
    path = write_eml(tmp_path, FORWARD, "stor.eml")

    with pytest.raises(InputError) as raised:
        read_eml(path)

    assert raised.value.source == "stor.eml"
    assert f"{path.stat().st_size} bytes" in str(raised.value)
