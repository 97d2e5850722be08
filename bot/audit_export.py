"""The audit log as a CSV or JSON file for an auditor, for ``allocbot audit export``.

Each exported event carries the fields its hash covers, with ``at`` in
the same UTC ISO 8601 form that ``bot.store.audit.event_hash`` hashes, so
the chain can be recomputed from the file alone. The CSV layout is for
spreadsheets (UTF-8 with BOM, ``;``, CRLF). The JSON layout is lossless
and names the newest retention anchor, whose ``through_hash`` the oldest
event links to once old events were deleted.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.store.audit import ChainProblem, canonical_json, hashed_content, newest_anchor, verify_audit_chain
from bot.store.models import AuditAnchor, AuditEvent, utc_now

log = logging.getLogger(__name__)

FORMATS = ("csv", "json")
COLUMNS = ("id", "at", "actor", "action", "subject_type", "subject_id", "data", "model_version", "prev_hash", "hash")
# --since and --until are calendar days in Norway, where the controllers and auditors work.
LOCAL_TIMEZONE = ZoneInfo("Europe/Oslo")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    count: int
    # verify_audit_chain's problems for the whole log, not only the exported range; empty when intact.
    problems: list[ChainProblem]


def export_audit_log(session: Session, output: Path, file_format: str, *, since: date | None = None,
                     until: date | None = None) -> ExportResult:
    """Write the events from ``since`` to ``until`` (both inclusive) to ``output`` and verify the whole chain.

    The file is written to a temporary file next to ``output`` and then
    renamed over it, so a reader never sees half a file. A broken chain
    still gets its file written, because the auditor needs it most then.
    """
    events = [event_record(event) for event in session.exec(_selection(since, until))]
    anchor = newest_anchor(session)
    writer = _WRITERS[file_format]
    _write_atomically(output, lambda handle: writer(events, anchor, handle),
                      newline="" if file_format == "csv" else None,
                      encoding="utf-8-sig" if file_format == "csv" else "utf-8")
    log.info("audit export: %d events written to %s as %s", len(events), output, file_format)

    problems = verify_audit_chain(session)
    return ExportResult(len(events), problems)


def event_record(event: AuditEvent) -> dict[str, Any]:
    """Return the event's exported fields, with ``at`` in the form its hash covers."""
    return {"id": event.id, **hashed_content(event), "prev_hash": event.prev_hash, "hash": event.hash}


def neutralise(text: str) -> str:
    """Return ``text`` with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _selection(since: date | None, until: date | None):
    statement = select(AuditEvent).order_by(col(AuditEvent.id))
    if since is not None:
        statement = statement.where(col(AuditEvent.at) >= _local_midnight(since))
    if until is not None:
        statement = statement.where(col(AuditEvent.at) < _local_midnight(until + timedelta(days=1)))
    return statement


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TIMEZONE).astimezone(timezone.utc)


def _write_csv(events: list[dict[str, Any]], _anchor: AuditAnchor | None, handle: TextIO) -> None:
    writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        cells = {**event, "data": canonical_json(event["data"]), "model_version": event["model_version"] or ""}
        writer.writerow([neutralise(value) if isinstance(value, str) else value
                         for value in (cells[column] for column in COLUMNS)])


def _write_json(events: list[dict[str, Any]], anchor: AuditAnchor | None, handle: TextIO) -> None:
    document = {
        "format": "allocbot-audit",
        "version": 1,
        "exported_at": utc_now().isoformat(timespec="seconds"),
        "anchor": None if anchor is None else {"id": anchor.id, "through_id": anchor.through_id,
                                               "through_hash": anchor.through_hash,
                                               "events_deleted": anchor.events_deleted},
        "events": events,
    }
    json.dump(document, handle, ensure_ascii=False, indent=2)
    handle.write("\n")


_WRITERS: dict[str, Callable[[list[dict[str, Any]], AuditAnchor | None, TextIO], None]] = {
    "csv": _write_csv, "json": _write_json}


def _write_atomically(output: Path, write: Callable[[TextIO], None], *, encoding: str, newline: str | None) -> None:
    """Write through ``write`` into a temporary file in ``output``'s folder, then rename it to ``output``."""
    descriptor, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with open(descriptor, "w", encoding=encoding, newline=newline) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
