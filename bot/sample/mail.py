"""The forwarded email that brings a month's documents to the bot's mailbox.

The office manager sends the order report and the card statement (CSV and
PDF) to the controller, who forwards her message as an attachment
(message/rfc822) to the bookkeeping address. Dates, Message-IDs and MIME
boundaries are fixed, because the standard library draws boundaries at
random and the sample must be the same on every run.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sample.sites import DOMAIN

OSLO = ZoneInfo("Europe/Oslo")

CONTROLLER = Address("Ingrid Bakken", "ingrid.bakken", DOMAIN)
OFFICE_MANAGER = Address("Kristin Haugen", "kristin.haugen", DOMAIN)
BOOKKEEPING = Address("", "bilag", DOMAIN)

SUBJECT = "Kortutskrift og Amazon-rapport november 2026"

_ORIGINAL_BODY = """Hei Ingrid,

vedlagt er Amazon Business-rapporten for november og kortutskriften for
firmakortet (CSV og PDF).

Hilsen
Kristin
"""

_FORWARD_BODY = """Hei,

videresender kortutskrift og Amazon-rapport for november til bokføring.

Mvh
Ingrid Bakken
Controller, Nordlys Teknikk AS
"""

# A file to attach: (path on disk, file name in the message, MIME type).
Attachment = tuple[Path, str, str]


def write_forwarded_email(path: Path, attachments: list[Attachment]) -> None:
    """Write the controller's forward of the office manager's message with ``attachments``."""
    original = EmailMessage()
    original["From"] = OFFICE_MANAGER
    original["To"] = CONTROLLER
    original["Subject"] = SUBJECT
    original["Date"] = format_datetime(datetime(2026, 12, 3, 14, 12, tzinfo=OSLO))
    original["Message-ID"] = f"<kortutskrift-2026-11.original@{DOMAIN}>"
    original.set_content(_ORIGINAL_BODY)
    for file, name, mime_type in attachments:
        maintype, subtype = mime_type.split("/")
        original.add_attachment(file.read_bytes(), maintype=maintype, subtype=subtype, filename=name)
    original.set_boundary("==nordlys-original-2026-11==")

    forward = EmailMessage()
    forward["From"] = CONTROLLER
    forward["To"] = BOOKKEEPING
    forward["Subject"] = f"Fwd: {SUBJECT}"
    forward["Date"] = format_datetime(datetime(2026, 12, 4, 8, 15, tzinfo=OSLO))
    forward["Message-ID"] = f"<kortutskrift-2026-11.forward@{DOMAIN}>"
    forward.set_content(_FORWARD_BODY)
    forward.add_attachment(original, filename=f"{SUBJECT}.eml")
    forward.set_boundary("==nordlys-forward-2026-11==")

    path.write_bytes(forward.as_bytes(policy=policy.SMTP))
