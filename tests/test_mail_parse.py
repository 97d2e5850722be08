"""Tests for finding the documents of a received message, however the controller forwarded them."""

from __future__ import annotations

import io
import struct
import zipfile
from email.message import EmailMessage

import openpyxl
import pytest
from tnefparse.mapi import IMESSAGE_SIG

from bot.errors import InputError
from bot.mail import archives
from bot.mail.archives import ArchiveError, ExtractionBudget, unpack_zip
from bot.mail.attachments import IgnoredPart
from bot.mail.content import classify
from bot.mail.eml import parse_mail

STATEMENT_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
STATEMENT_CSV = (
    b'"Dato";"Bel\xf8pet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n'
    b'"05.11.2026";"AMAZON EU, Luxembourg";"62,97 EUR";"11,8523";"";"746,34"\r\n'
)
ORDERS_CSV = (
    b'\xef\xbb\xbf"Order Date","Order ID","Currency","Title","Item Quantity","Purchase PPU","Item Net Total"\r\n'
    b'"11/03/2026","302-1725553-0374723","EUR","Logitech MX Master 3S","1","49.99","47.99"\r\n'
)
PNG_LOGO = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
NORWEGIAN_NAME = "Kontoutskrift november – Ødegård.pdf"
LABEL = "INBOX UID 42"


def forward(files: list[tuple[bytes, str, str | None]], *, disposition: str = "attachment") -> EmailMessage:
    """Build a controller's message with each file as (content, declared type, file name)."""
    message = EmailMessage()
    message["From"] = "Kari Nordmann <kari.nordmann@example.no>"
    message["Subject"] = "Fwd: Kortutskrift november"
    message["Message-ID"] = "<fwd-42@example.no>"
    message["References"] = "<orig-1@bank.example.no> <orig-2@bank.example.no>"
    message.set_content("Hei, her er november.")
    for content, content_type, filename in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename,
                               disposition=disposition)
    return message


def parse(message: EmailMessage, **options):
    return parse_mail(message.as_bytes(), label=LABEL, **options)


def zip_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def names(mail) -> list[str]:
    return [attachment.filename for attachment in mail.attachments]


# -- detection by content -----------------------------------------------------


def test_pdf_declared_octet_stream():
    mail = parse(forward([(STATEMENT_PDF, "application/octet-stream", "kontoutskrift.dat")]))

    assert names(mail) == ["kontoutskrift.dat"]
    assert mail.attachments[0].content == STATEMENT_PDF
    assert mail.ignored == ()


def test_pdf_inline_with_name():
    mail = parse(forward([(STATEMENT_PDF, "application/pdf", "kort.pdf")], disposition="inline"))

    assert names(mail) == ["kort.pdf"]


def test_pdf_inline_without_name():
    text = """\
From: kari.nordmann@example.no
Message-ID: <inline-1@example.no>
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

Se vedlegg.
--b
Content-Type: application/pdf
Content-Disposition: inline
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyA+PgplbmRvYmoK
--b--
"""

    mail = parse_mail(text.encode("ascii"), label=LABEL)

    assert names(mail) == ["attachment"]
    assert mail.attachments[0].content == STATEMENT_PDF


def test_xlsx_detected():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Dato", "Beløpet gjelder", "Inn", "Ut"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    mail = parse(forward([(buffer.getvalue(), "application/octet-stream", "rapport")]))

    assert names(mail) == ["rapport"]
    assert mail.attachments[0].content == buffer.getvalue()


def test_csv_declared_octet_stream():
    mail = parse(forward([(STATEMENT_CSV, "application/octet-stream", "utskrift.txt")]))

    assert names(mail) == ["utskrift.txt"]


@pytest.mark.parametrize(
    ("content", "content_type", "filename", "expected"),
    [
        (STATEMENT_CSV, "text/csv", "kort.csv", "csv"),
        (ORDERS_CSV, "text/plain", "orders", "csv"),
        (b"Dato\tTekst\tUt\r\n01.11.2026\tAMAZON\t10,00\r\n", "text/plain", "kort.tsv", "csv"),
        (b"Hei Kari, se vedlagt; mvh Ola\r\nNeste linje uten skilletegn\r\n", "text/plain", "notat.txt",
         "not_a_document"),
        (b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\r\n{\\colortbl ;\\red0;}\r\n", "application/octet-stream",
         "brev.rtf", "not_a_document"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "text/calendar", "invite.ics", "not_a_document"),
        (b"BEGIN:VCARD\r\nN:Nordmann;Kari;;;\r\n", "application/octet-stream", "kari.vcf", "not_a_document"),
        (b"0\x82\x05\x00\x06\x09*\x86H", "application/pkcs7-signature", "smime.p7s", "signature"),
        (PNG_LOGO, "application/octet-stream", "logo", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "bilde.jpg", "image"),
        (b"GIF89a\x01\x00", "image/gif", "spacer.gif", "image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "application/octet-stream", "Kortutskrift.msg",
         "outlook_msg"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8, "application/vnd.ms-excel", "gammel.xls",
         "not_a_document"),
        (b"  \r\n", "text/csv", "tom.csv", "empty"),
        (STATEMENT_PDF, "image/png", "feil.png", "pdf"),
    ],
)
def test_classify(content, content_type, filename, expected):
    assert classify(content, filename=filename, content_type=content_type) == expected


def test_word_file_not_unpacked():
    docx = zip_archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})

    mail = parse(forward([(docx, "application/octet-stream", "brev.docx"), (STATEMENT_PDF, "application/pdf", "k.pdf")]))

    assert names(mail) == ["k.pdf"]
    assert mail.ignored == (IgnoredPart("brev.docx", "not_a_document"),)


# -- ignored and oversized files ------------------------------------------------


def test_logo_only_mail():
    message = forward([])
    message.add_attachment(PNG_LOGO, maintype="image", subtype="png", filename="logo.png", disposition="inline",
                           cid="<logo@example.no>")

    mail = parse(message)

    assert mail.attachments == ()
    assert mail.ignored == (IgnoredPart("logo.png", "image"),)


def test_outlook_msg_ignored():
    msg = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

    mail = parse(forward([(msg, "application/vnd.ms-outlook", "Kortutskrift november.msg"),
                          (STATEMENT_PDF, "application/pdf", "kort.pdf")]))

    assert names(mail) == ["kort.pdf"]
    assert mail.ignored == (IgnoredPart("Kortutskrift november.msg", "outlook_msg"),)


def test_empty_file_ignored():
    mail = parse(forward([(b"", "text/csv", "tom.csv"), (STATEMENT_PDF, "application/pdf", "kort.pdf")]))

    assert mail.ignored == (IgnoredPart("tom.csv", "empty"),)


def test_oversized_listed_other_kept():
    large = b"%PDF-1.4\n" + b"0" * 2000

    mail = parse(forward([(large, "application/pdf", "stor.pdf"), (STATEMENT_CSV, "text/csv", "kort.csv")]),
                 max_attachment_bytes=1000)

    assert names(mail) == ["kort.csv"]
    assert [(part.filename, part.size) for part in mail.oversized] == [("stor.pdf", len(large))]
    assert mail.oversized[0].error.source == LABEL
    assert "stor.pdf" in str(mail.oversized[0].error)
    assert f"{len(large)} bytes" in str(mail.oversized[0].error)


def test_no_files_is_error():
    message = forward([])

    with pytest.raises(InputError) as raised:
        parse(message)

    assert raised.value.source == LABEL
    assert "<fwd-42@example.no> has no attachments" in str(raised.value)


# -- headers ----------------------------------------------------------------------


def test_threading_headers():
    mail = parse(forward([(STATEMENT_PDF, "application/pdf", "kort.pdf")]))

    assert mail.message_id == "<fwd-42@example.no>"
    assert mail.references == "<orig-1@bank.example.no> <orig-2@bank.example.no>"


def test_missing_references_empty():
    message = forward([(STATEMENT_PDF, "application/pdf", "kort.pdf")])
    del message["References"]

    assert parse(message).references == ""


# -- ZIP archives -------------------------------------------------------------------


def test_zip_with_csv_and_pdf():
    archive = zip_archive({"kort.csv": STATEMENT_CSV, "november/kort.pdf": STATEMENT_PDF})

    mail = parse(forward([(archive, "application/zip", "utskrifter.zip")]))

    assert names(mail) == ["kort.csv", "kort.pdf"]
    assert [a.display_name for a in mail.attachments] == ["utskrifter.zip/kort.csv", "utskrifter.zip/november/kort.pdf"]
    assert mail.attachments[0].content == STATEMENT_CSV
    assert mail.attachments[1].content == STATEMENT_PDF


def test_zip_declared_octet_stream():
    archive = zip_archive({"kort.pdf": STATEMENT_PDF})

    mail = parse(forward([(archive, "application/octet-stream", "vedlegg")]))

    assert [a.display_name for a in mail.attachments] == ["vedlegg/kort.pdf"]


def test_zip_ignores_logo_and_metadata():
    archive = zip_archive({"kort.pdf": STATEMENT_PDF, "logo.png": PNG_LOGO, "__MACOSX/._kort.pdf": b"\x00\x05\x16\x07"})

    mail = parse(forward([(archive, "application/zip", "u.zip")]))

    assert names(mail) == ["kort.pdf"]
    assert mail.ignored == (IgnoredPart("u.zip/logo.png", "image"),)


def test_zip_in_zip_unpacked_once():
    inner = zip_archive({"kort.pdf": STATEMENT_PDF})
    deepest = zip_archive({"dypt.pdf": STATEMENT_PDF})
    middle = zip_archive({"inner.zip": inner, "deeper.zip": zip_archive({"deepest.zip": deepest})})

    mail = parse(forward([(middle, "application/zip", "ytre.zip")]))

    assert [a.display_name for a in mail.attachments] == ["ytre.zip/inner.zip/kort.pdf"]
    assert mail.ignored == (IgnoredPart("ytre.zip/deeper.zip/deepest.zip", "nested_archive"),)


def test_empty_zip_ignored():
    archive = zip_archive({"tom/": b""})

    mail = parse(forward([(archive, "application/zip", "tom.zip"), (STATEMENT_PDF, "application/pdf", "k.pdf")]))

    assert mail.ignored == (IgnoredPart("tom.zip", "empty"),)


def test_zip_bomb_rejected():
    zeros = b"\x00" * (2 * 1024 * 1024)
    archive = zip_archive({"kort.csv": zeros})

    with pytest.raises(InputError) as raised:
        parse(forward([(archive, "application/zip", "bombe.zip")]))

    assert raised.value.source == LABEL
    assert "attachment 'bombe.zip'" in str(raised.value)
    assert "'kort.csv'" in str(raised.value)
    assert "ZIP bomb" in str(raised.value)


def test_zip_lying_size_rejected():
    zeros = b"\x00" * (2 * 1024 * 1024)
    archive = bytearray(zip_archive({"kort.csv": zeros}))
    # The central directory's size field, 24 bytes into its record, now states 1000 bytes.
    central = archive.index(b"PK\x01\x02")
    struct.pack_into("<I", archive, central + 24, 1000)

    with pytest.raises(InputError) as raised:
        parse(forward([(bytes(archive), "application/zip", "lyver.zip")]))

    assert "'kort.csv'" in str(raised.value)
    assert "cannot be read" in str(raised.value)


def test_zip_too_many_members():
    archive = zip_archive({f"fil-{number}.csv": STATEMENT_CSV for number in range(archives.MAX_ZIP_ENTRIES + 1)})

    with pytest.raises(InputError) as raised:
        parse(forward([(archive, "application/zip", "mange.zip")]))

    assert f"{archives.MAX_ZIP_ENTRIES + 1} entries" in str(raised.value)
    assert "attachment 'mange.zip'" in str(raised.value)


def test_zip_traversal_names_reduced():
    archive = zip_archive({
        "../../etc/cron.d/kort.csv": STATEMENT_CSV,
        "/var/lib/kort.pdf": STATEMENT_PDF,
        "..\\..\\Windows\\orders.csv": ORDERS_CSV,
        "..": STATEMENT_PDF,
    })

    mail = parse(forward([(archive, "application/zip", "u.zip")]))

    assert names(mail) == ["kort.csv", "kort.pdf", "orders.csv", "attachment"]
    assert mail.attachments[0].display_name == "u.zip/../../etc/cron.d/kort.csv"
    assert mail.attachments[2].display_name == "u.zip/../../Windows/orders.csv"


def test_encrypted_zip_rejected():
    archive = bytearray(zip_archive({"kort.pdf": STATEMENT_PDF}))
    # Set the encryption flag in the local header (offset 6) and the central directory record (offset 8).
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = archive.index(signature) + offset
        archive[position] |= 0x01

    with pytest.raises(InputError) as raised:
        parse(forward([(bytes(archive), "application/zip", "hemmelig.zip")]))

    assert "attachment 'hemmelig.zip'" in str(raised.value)
    assert "'kort.pdf' in the ZIP archive is encrypted" in str(raised.value)


def test_damaged_zip_rejected():
    archive = zip_archive({"kort.pdf": STATEMENT_PDF})[:-30]

    with pytest.raises(InputError) as raised:
        parse(forward([(archive, "application/zip", "skadet.zip")]))

    assert "attachment 'skadet.zip'" in str(raised.value)
    assert "ZIP archive cannot be read" in str(raised.value)


def test_zip_member_oversized_listed():
    archive = zip_archive({"stor.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 8, "kort.csv": STATEMENT_CSV})

    mail = parse(forward([(archive, "application/zip", "u.zip")]), max_attachment_bytes=1500)

    assert names(mail) == ["kort.csv"]
    assert [(part.filename, part.size) for part in mail.oversized] == [("u.zip/stor.pdf", 9 + 2048)]


def test_zip_total_budget():
    archive = zip_archive({"a.csv": STATEMENT_CSV, "b.csv": STATEMENT_CSV})
    budget = ExtractionBudget(limit=len(STATEMENT_CSV) + 10)

    with pytest.raises(ArchiveError) as raised:
        unpack_zip(archive, max_member_bytes=10_000, budget=budget)

    assert f"larger than {budget.limit} bytes in total" in str(raised.value)


@pytest.mark.parametrize(
    ("raw_name", "placeholder"),
    [
        ("Kontoutskrift Ødegård.csv".encode("cp850"), b"Kontoutskrift XdegXrd.csv"),
        ("Kontoutskrift Ødegård.csv".encode("utf-8"), b"Kontoutskrift XXdegXXrd.csv"),
    ],
    ids=["windows-cp850", "macos-utf8"],
)
def test_zip_names_without_utf8_flag(raw_name, placeholder):
    # zipfile writes an ASCII name without the UTF-8 flag, and the test swaps its bytes for a name of the same length.
    archive = zip_archive({placeholder.decode("ascii"): STATEMENT_CSV}).replace(placeholder, raw_name)

    mail = parse(forward([(archive, "application/zip", "u.zip")]))

    assert names(mail) == ["Kontoutskrift Ødegård.csv"]


# -- TNEF (winmail.dat) ---------------------------------------------------------------


def tnef_object(level: int, attribute: int, kind: int, data: bytes) -> bytes:
    """One TNEF object: level, attribute id, type, length, data and the 16-bit sum of the data."""
    return struct.pack("<BHHI", level, attribute, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef_long_filename(name: str) -> bytes:
    """A MAPI property list with one Unicode PR_ATTACH_LONG_FILENAME (0x3707, type 0x001F)."""
    text = (name + "\x00").encode("utf-16-le")
    padding = b"\x00" * (-len(text) % 4)
    return struct.pack("<IHHII", 1, 0x001F, 0x3707, 1, len(text)) + text + padding


def tnef_embedded_message(stream: bytes) -> bytes:
    """A MAPI property list with one PR_ATTACH_DATA_OBJ (0x3701, type 0x000D) holding an Outlook message.

    The value starts with the interface id of IMessage, which tnefparse
    takes as the mark of an embedded message.
    """
    value = IMESSAGE_SIG + stream
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("<IHHII", 1, 0x000D, 0x3701, 1, len(value)) + value + padding


def tnef_stream(files: list[tuple[bytes, bytes, str | None]]) -> bytes:
    """A minimal TNEF stream, with each file as (short name in Windows-1252, content, Unicode long name or None)."""
    objects = [
        tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000)),  # attTnefVersion
        tnef_object(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0)),  # attOemCodepage
    ]
    for short_name, content, long_name in files:
        objects.append(tnef_object(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8))  # attAttachRendData
        objects.append(tnef_object(2, 0x8010, 0x0001, short_name + b"\x00"))  # attAttachTitle
        objects.append(tnef_object(2, 0x800F, 0x0006, content))  # attAttachData
        if long_name is not None:
            objects.append(tnef_object(2, 0x9005, 0x0006, tnef_long_filename(long_name)))  # attAttachment
    return struct.pack("<IH", 0x223E9F78, 1) + b"".join(objects)


def test_tnef_unpacked():
    stream = tnef_stream([
        (b"KONTOU~1.PDF", STATEMENT_PDF, NORWEGIAN_NAME),
        (b"kort \xd8deg\xe5rd.csv", STATEMENT_CSV, None),
        (b"image001.png", PNG_LOGO, None),
    ])

    mail = parse(forward([(stream, "application/ms-tnef", "winmail.dat")]))

    assert names(mail) == [NORWEGIAN_NAME, "kort Ødegård.csv"]
    assert mail.attachments[0].display_name == f"winmail.dat/{NORWEGIAN_NAME}"
    assert mail.attachments[0].content == STATEMENT_PDF
    assert mail.attachments[1].content == STATEMENT_CSV
    assert mail.ignored == (IgnoredPart("winmail.dat/image001.png", "image"),)


def test_tnef_embedded_message():
    inner = tnef_stream([(b"kort.pdf", STATEMENT_PDF, None)])
    outer = tnef_stream([(b"ordre.csv", ORDERS_CSV, None)]) + b"".join([
        tnef_object(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8),
        tnef_object(2, 0x8010, 0x0001, b"Kortutskrift.msg\x00"),
        tnef_object(2, 0x9005, 0x0006, tnef_embedded_message(inner)),
    ])

    mail = parse(forward([(outer, "application/ms-tnef", "winmail.dat")]))

    assert [a.display_name for a in mail.attachments] == [
        "winmail.dat/ordre.csv",
        "winmail.dat/Kortutskrift.msg/kort.pdf",
    ]
    assert mail.attachments[1].content == STATEMENT_PDF


def test_tnef_damaged_rejected():
    stream = tnef_stream([(b"kort.pdf", STATEMENT_PDF, None)])
    # An attachment field before the field that starts an attachment.
    damaged = stream[:6] + tnef_object(2, 0x800F, 0x0006, STATEMENT_PDF) + stream[6:]

    with pytest.raises(InputError) as raised:
        parse(forward([(damaged, "application/ms-tnef", "winmail.dat")]))

    assert raised.value.source == LABEL
    assert "attachment 'winmail.dat'" in str(raised.value)
    assert "TNEF attachment (winmail.dat) is damaged" in str(raised.value)


def test_tnef_without_signature_rejected():
    with pytest.raises(InputError) as raised:
        parse(forward([(b"not a TNEF stream", "application/ms-tnef", "winmail.dat")]))

    assert "does not start with the TNEF signature" in str(raised.value)


def test_tnef_too_many_objects():
    stream = tnef_stream([(b"kort.pdf", STATEMENT_PDF, None)])
    padding = tnef_object(1, 0x0004, 0x0003, b"\x00\x00") * archives.MAX_TNEF_OBJECTS

    with pytest.raises(InputError) as raised:
        parse(forward([(stream + padding, "application/ms-tnef", "winmail.dat")]))

    assert f"more than {archives.MAX_TNEF_OBJECTS} objects" in str(raised.value)


# -- forwards -----------------------------------------------------------------------


def test_nested_forwards():
    original = forward([(STATEMENT_PDF, "application/pdf", "kort.pdf")])
    first = forward([])
    first.add_attachment(original, filename="Kortutskrift.eml")
    second = forward([])
    second.add_attachment(first, filename="Fwd Kortutskrift.eml")

    mail = parse(second)

    assert names(mail) == ["kort.pdf"]
    assert mail.attachments[0].content == STATEMENT_PDF


OUTLOOK_FORWARD = """\
From: Kari Nordmann <kari.nordmann@example.no>
Subject: VS: Kontoutskrift november
Message-ID: <AM0PR01MB1234@eurprd01.prod.outlook.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="_004_"

--_004_
Content-Type: multipart/related; boundary="_003_"; type="multipart/alternative"

--_003_
Content-Type: multipart/alternative; boundary="_000_"

--_000_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Se vedlegg.

Fra: DNB <kort@dnb.example.no>
Sendt: fredag 4. desember 2026 16:02
Emne: Kontoutskrift november

--_000_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Se vedlegg.</p><img src=3D"cid:image001.png@01DB0000"></body></html>

--_000_--

--_003_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"
Content-ID: <image001.png@01DB0000>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==

--_003_--

--_004_
Content-Type: application/pdf; name="Kontoutskrift november.pdf"
Content-Description: Kontoutskrift november.pdf
Content-Disposition: attachment; filename="Kontoutskrift november.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyA+PgplbmRvYmoK

--_004_--
"""


def test_outlook_inline_forward():
    mail = parse_mail(OUTLOOK_FORWARD.replace("\n", "\r\n").encode("ascii"), label=LABEL)

    assert names(mail) == ["Kontoutskrift november.pdf"]
    assert mail.attachments[0].content == STATEMENT_PDF
    assert mail.ignored == (IgnoredPart("image001.png", "image"),)
    assert "Se vedlegg." in mail.body


# -- attachment names ------------------------------------------------------------------


def message_with_header(disposition: bytes, content_type: bytes = b"application/pdf") -> bytes:
    return (
        b"From: kari.nordmann@example.no\r\n"
        b"Message-ID: <names@example.no>\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nSe vedlegg.\r\n"
        b"--b\r\nContent-Type: " + content_type + b"\r\n" + disposition +
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyA+PgplbmRvYmoK\r\n"
        b"--b--\r\n"
    )


@pytest.mark.parametrize(
    ("disposition", "content_type", "expected"),
    [
        (b"Content-Disposition: attachment; filename*=UTF-8''Kontoutskrift%20november%20%E2%80%93%20%C3%98deg%C3%A5rd.pdf\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment;\r\n filename*0*=UTF-8''Kontoutskrift%20november%20;\r\n"
         b" filename*1*=%E2%80%93%20%C3%98deg%C3%A5rd.pdf\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment; filename=\"Kontoutskrift november - Odegard.pdf\";\r\n"
         b" filename*=UTF-8''Kontoutskrift%20november%20%E2%80%93%20%C3%98deg%C3%A5rd.pdf\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment;\r\n"
         b" filename=\"=?UTF-8?B?S29udG91dHNrcmlmdCBub3ZlbWJlciDigJMgw5hkZWfDpXJkLnBkZg==?=\"\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment;\r\n"
         b" filename==?UTF-8?Q?Kontoutskrift_november_=E2=80=93_=C3=98deg=C3=A5rd.pdf?=\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment; filename=\"=?ISO-8859-1?Q?Kontoutskrift_=D8deg=E5rd.pdf?=\"\r\n",
         b"application/pdf", "Kontoutskrift Ødegård.pdf"),
        (b"Content-Disposition: attachment; filename=\"" + NORWEGIAN_NAME.encode("utf-8") + b"\"\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment; filename=\"" + NORWEGIAN_NAME.encode("cp1252") + b"\"\r\n",
         b"application/pdf", NORWEGIAN_NAME),
        (b"Content-Disposition: attachment\r\n",
         b"application/octet-stream; name=\"=?UTF-8?B?S29udG91dHNrcmlmdCBub3ZlbWJlciDigJMgw5hkZWfDpXJkLnBkZg==?=\"",
         NORWEGIAN_NAME),
        (b"", b"application/pdf; name*=UTF-8''Kontoutskrift%20november%20%E2%80%93%20%C3%98deg%C3%A5rd.pdf",
         NORWEGIAN_NAME),
    ],
    ids=["rfc2231", "rfc2231-continued", "rfc2231-over-fallback", "rfc2047-b-quoted", "rfc2047-q-unquoted",
         "rfc2047-latin1", "raw-utf8", "raw-cp1252", "content-type-name", "content-type-rfc2231"],
)
def test_attachment_names(disposition, content_type, expected):
    mail = parse_mail(message_with_header(disposition, content_type), label=LABEL)

    assert names(mail) == [expected]


def test_xls_and_ods_kept_as_documents():
    from test_workbook import biff8_workbook, compound_file, ods_file, ods_row, ods_text

    xls = compound_file(biff8_workbook([(0, 0, "Dato"), (0, 1, "Beløpet gjelder")]))
    ods = ods_file(ods_row(ods_text("Order ID"), ods_text("Title")))
    word = compound_file(b"\0" * 600).replace("Workbook".encode("utf-16-le"), "WordDocu".encode("utf-16-le"))

    mail = parse(forward([(xls, "application/vnd.ms-excel", "kort.xls"),
                          (ods, "application/octet-stream", "rapport"),
                          (word, "application/msword", "brev.doc")]))

    assert names(mail) == ["kort.xls", "rapport"]
    assert mail.ignored == (IgnoredPart("brev.doc", "not_a_document"),)
