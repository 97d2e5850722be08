"""Attaching the statement files to a booked Tripletex voucher.

``POST /ledger/voucher/{voucherId}/attachment`` takes one PDF, PNG, JPEG
or TIFF file per request and appends it to the voucher's attachment as
pages. A file that fails is not sent again, because the voucher is booked.
The failure goes into the note of its Posted outcome instead, so the
controllers attach the file in Tripletex by hand.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.ports import ErpUnavailable, Voucher
from connectors.http import OutcomeUnknown
from connectors.tripletex_session import TripletexSession, api_error

log = logging.getLogger(__name__)

ATTACHMENT_PATH = "/ledger/voucher/{voucher_id}/attachment"

# The file types Tripletex accepts as voucher attachments, by file name suffix.
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
                    ".jpeg": "image/jpeg", ".tif": "image/tiff", ".tiff": "image/tiff"}


def attach_statement_files(session: TripletexSession, voucher: Voucher, voucher_id: str) -> str:
    """Attach the voucher's statement files of a type Tripletex accepts, and return a note on those that failed.

    The note is empty when every file was attached, and otherwise reads
    like "attaching the statement file kortutskrift.pdf failed: HTTP 500:
    …; check Tripletex voucher id 10004 and attach it there by hand", with
    one clause per file. Files of other types are skipped without a note.
    """
    failures = []
    for path in voucher.attachments:
        media_type = ATTACHMENT_TYPES.get(path.suffix.lower())
        if media_type is None:
            log.info("tripletex: voucher %s: %s is not PDF, PNG, JPEG or TIFF; not attached", voucher.number,
                     path.name)
            continue

        reason = _upload(session, voucher_id, path, media_type)
        if reason is None:
            log.info("tripletex: voucher %s: attached %s to Tripletex voucher %s", voucher.number, path.name,
                     voucher_id)
            continue
        log.error("tripletex: voucher %s is booked as Tripletex voucher %s, but attaching %s failed: %s; "
                  "check the voucher in Tripletex and attach the file there by hand", voucher.number, voucher_id,
                  path, reason)
        failures.append(f"attaching the statement file {path.name} failed: {reason}")

    if not failures:
        return ""
    files = "it" if len(failures) == 1 else "them"
    return "; ".join(failures) + f"; check Tripletex voucher id {voucher_id} and attach {files} there by hand"


def _upload(session: TripletexSession, voucher_id: str, path: Path, media_type: str) -> str | None:
    """Send one file and return why it failed, None when Tripletex took it."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return "the file does not exist"
    except OSError as exc:
        return f"cannot read the file: {exc.strerror}"

    try:
        response = session.request("POST", ATTACHMENT_PATH.format(voucher_id=voucher_id),
                                   files={"file": (path.name, content, media_type)})
    except OutcomeUnknown as exc:
        return f"{exc.reason}, so Tripletex may have attached it anyway"
    except ErpUnavailable as exc:
        return exc.reason
    if not response.is_success:
        return str(api_error(response))
    return None
