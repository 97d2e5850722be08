"""allocbot audit show and audit export, through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.store.audit import GENESIS_HASH, event_hash
from bot.store.models import AuditEvent
from bot.store.repository import audit
from cli_helpers import run_cli, write_config
from posting_store import Company, RecordingErp, post


def posted_item(store, tmp_path) -> tuple[int, int]:
    """Store two items, audit a question for the first, and post both; return the first item and allocation ids."""
    company = Company(store)
    first_line, second_line = company.statement([(3, "AMAZON", "1234.50"), (4, "AMAZON", "99.00")])
    item_id, allocation_id = company.item(first_line, "1234.50", title="Dell UltraSharp U2724D")
    other_item, _ = company.item(second_line, "99.00", title="USB-C-kabel")
    with store.session() as session:
        audit(session, actor="allocbot", action="question_opened", subject_type="item", subject_id=str(item_id),
              model_version="model-7",
              data={"amount_nok": "1234.50", "person": "ola.hansen@example.no", "reason": "low confidence",
                    "suggestions": [{"allocation": "400/-/6551/14", "confidence": 0.61}]})
        audit(session, actor="ola.hansen@example.no", action="question_answered", subject_type="item",
              subject_id=str(item_id), model_version="model-7",
              data={"lines": [{"allocation": "400/-/6551/14", "amount_nok": "1234.50"}]})
        audit(session, actor="allocbot", action="item_duplicate", subject_type="item", subject_id=str(other_item),
              data={"reason": "same order twice", "params": {}})
        audit(session, actor="revisor", action="allocation_reviewed", subject_type="allocation",
              subject_id=str(allocation_id), data={"note": "checked"})
    post(store, RecordingErp(), tmp_path)
    return item_id, allocation_id


def stored_events(store) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


def test_show_lists_item_events_in_nb(store, tmp_path):
    item_id, _ = posted_item(store, tmp_path)

    status, out, err = run_cli(["--config", str(write_config(store, tmp_path)), "audit", "show", str(item_id)])

    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Vare {item_id}: Dell UltraSharp U2724D"
    assert lines[1] == "Beløp: 1\xa0234,50 kr"
    assert lines[2] == "Status: bokført i ERP"
    events = lines[4:]
    assert len(events) == 5
    assert events[0].endswith("allocbot  Koblet til kortlinje 1: 1\xa0234,50 kr")
    assert "allocbot  Spurte ola.hansen@example.no; foreslo 400/-/6551/14 (modell model-7)" in events[1]
    assert "ola.hansen@example.no  Besvart: 400/-/6551/14 1" in events[2]
    assert events[3].endswith('allocation_reviewed {"note":"checked"}')
    assert "Bokført som bilag AB" in events[4]
    assert "via recording, ERP-id ERP-1" in events[4]
    assert "same order twice" not in out


def test_show_local_time_and_english(store, tmp_path):
    item_id, _ = posted_item(store, tmp_path)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update") if connection.dialect.name == "sqlite"
                           else text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("UPDATE audit_event SET at = :at WHERE action = 'question_opened'"),
                           {"at": datetime(2026, 12, 5, 7, 14, tzinfo=timezone.utc)})

    status_nb, out_nb, _ = run_cli(["--config", str(write_config(store, tmp_path)), "audit", "show", str(item_id)])
    status_en, out_en, _ = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "show", str(item_id)])

    assert status_nb == 0
    assert status_en == 0
    assert "05.12.2026 08:14  allocbot  Spurte" in out_nb
    assert "2026-12-05 08:14  allocbot  Asked ola.hansen@example.no; suggested 400/-/6551/14 (model model-7)" \
        in out_en
    assert "State: posted to the ERP" in out_en
    assert "Amount: NOK 1,234.50" in out_en


def test_show_unknown_item_exits_2(store, tmp_path):
    status, out, err = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "show", "4711"])

    assert status == 2
    assert out == ""
    assert "no item with id 4711" in err


def read_csv(path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def unneutralised(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def rebuilt_event(record: dict) -> AuditEvent:
    return AuditEvent(id=record["id"], at=datetime.fromisoformat(record["at"]), actor=record["actor"],
                      action=record["action"], subject_type=record["subject_type"],
                      subject_id=record["subject_id"], data=record["data"], model_version=record["model_version"],
                      prev_hash=record["prev_hash"], hash=record["hash"])


def assert_chain(records: list[dict]) -> None:
    previous = GENESIS_HASH
    for record in records:
        assert record["prev_hash"] == previous, record["id"]
        assert event_hash(rebuilt_event(record)) == record["hash"], record["id"]
        previous = record["hash"]


def test_export_json_round_trip(store, tmp_path):
    posted_item(store, tmp_path)
    output = tmp_path / "audit.json"

    status, out, err = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "export",
                            "--format", "json", "--output", str(output)])

    assert status == 0, err
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["format"] == "allocbot-audit"
    assert document["version"] == 1
    events = stored_events(store)
    assert [record["id"] for record in document["events"]] == [event.id for event in events]
    assert [record["hash"] for record in document["events"]] == [event.hash for event in events]
    assert [record["data"] for record in document["events"]] == [event.data for event in events]
    assert_chain(document["events"])
    assert f"Wrote {len(events)} audit events" in out
    assert "Audit log intact." in out
    assert list(tmp_path.glob(".audit.json.*")) == []


def test_export_csv_round_trip_neutralised(store, tmp_path):
    posted_item(store, tmp_path)
    with store.session() as session:
        audit(session, actor="=HYPERLINK(\"http://evil\")", action="-note", subject_type="item", subject_id="@1",
              data={"text": "+cmd"}, model_version="\tmodel")
    output = tmp_path / "audit.csv"

    status, _, err = run_cli(["--config", str(write_config(store, tmp_path)), "audit", "export",
                          "--format", "csv", "--output", str(output)])

    assert status == 0, err
    rows = read_csv(output)
    hostile = rows[-1]
    assert hostile["actor"] == "'=HYPERLINK(\"http://evil\")"
    assert hostile["action"] == "'-note"
    assert hostile["subject_id"] == "'@1"
    assert hostile["model_version"] == "'\tmodel"
    assert hostile["data"] == '{"text":"+cmd"}'
    records = [{**{key: unneutralised(value) for key, value in row.items()}, "id": int(row["id"]),
                "data": json.loads(row["data"]), "model_version": unneutralised(row["model_version"]) or None}
               for row in rows]
    assert [record["hash"] for record in records] == [event.hash for event in stored_events(store)]
    assert_chain(records)


def test_export_since_until(store, tmp_path):
    posted_item(store, tmp_path)
    events = stored_events(store)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update") if connection.dialect.name == "sqlite"
                           else text("SET LOCAL session_replication_role = replica"))
        # 23:30 UTC on 31 December is 00:30 on 1 January in Oslo.
        for event, at in zip(events, [datetime(2026, 12, 30, 12, 0, tzinfo=timezone.utc),
                                      datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)]):
            connection.execute(text("UPDATE audit_event SET at = :at WHERE id = :id"), {"at": at, "id": event.id})
    output = tmp_path / "audit.json"

    status, _, _ = run_cli(["--config", str(write_config(store, tmp_path)), "audit", "export", "--format", "json",
                        "--output", str(output), "--since", "2026-12-30", "--until", "2026-12-31"])

    exported = json.loads(output.read_text(encoding="utf-8"))["events"]
    assert [record["id"] for record in exported] == [events[0].id]
    # The changed times break the chain, and the file is written all the same.
    assert status == 1


def test_export_changed_event_exits_1(store, tmp_path):
    posted_item(store, tmp_path)
    changed = stored_events(store)[2]
    with store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update") if connection.dialect.name == "sqlite"
                           else text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = :id"), {"id": changed.id})
    output = tmp_path / "audit.csv"

    status, out, err = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "export",
                            "--format", "csv", "--output", str(output)])

    assert status == 1
    assert output.is_file()
    assert err.startswith(f"Audit log damaged at event {changed.id} (")
    assert err.rstrip().endswith("its content does not match its hash, so it was changed after it was written.")
    assert "Audit log intact." not in out


def test_export_since_after_until_exits_2(store, tmp_path):
    status, _, err = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "export", "--format",
                          "csv", "--output", str(tmp_path / "audit.csv"), "--since", "2026-12-31",
                          "--until", "2026-12-01"])

    assert status == 2
    assert "2026-12-31 is after --until 2026-12-01" in err
