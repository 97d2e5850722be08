"""Suggested events name no person, while the suggestions shown in Slack still do, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

from sqlmodel import select

from bot.nlp.reasons import RECENT_PROJECT, REQUESTER_COST_CENTER
from bot.records import Reason, ReportItem, Suggestion
from bot.store.models import AuditEvent, SuggestionRow
from bot.store.repository import add_document, add_report_items, save_suggestions
from cli_helpers import run_cli, write_config
from posting_store import IT

NAME = "Ola Hansen"
REASONS = (
    Reason(RECENT_PROJECT, {"requester": NAME, "project": "P-1042", "days": 30, "count": 3}),
    Reason(REQUESTER_COST_CENTER, {"cost_center": "400"}),
)


def suggested_item(store) -> int:
    row = ReportItem("orders.csv", 2, "302-0000002-0000001", date(2026, 11, 4), "NOK", "Kontorstol", 1,
                     Decimal("450.00"), Decimal("450.00"), account_user_email="ola.hansen@example.no")
    with store.session() as session:
        document = add_document(session, kind="order_report", filename="orders.csv",
                                sha256=hashlib.sha256(b"suggested").hexdigest(), sender="ola.hansen@example.no")
        (item,), _ = add_report_items(session, document, [row])
        save_suggestions(session, item.id, [Suggestion(IT, 0.62, REASONS)], "model-1")
        return item.id


def test_suggested_event_has_no_name(store):
    item_id = suggested_item(store)

    with store.session() as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "suggested")).all()
        (row,) = session.exec(select(SuggestionRow).where(SuggestionRow.item_id == item_id)).all()
    assert NAME not in json.dumps(event.data, ensure_ascii=False)
    (suggestion,) = event.data["suggestions"]
    assert suggestion["reasons"][0] == {"template": RECENT_PROJECT,
                                        "params": {"project": "P-1042", "days": 30, "count": 3}}
    assert suggestion["reasons"][1] == {"template": REQUESTER_COST_CENTER, "params": {"cost_center": "400"}}
    # The suggestion row, which Slack shows and an erasure pseudonymises, keeps the name.
    assert row.reasons[0]["params"]["requester"] == NAME


def test_show_names_the_requester_by_role(store, tmp_path):
    item_id = suggested_item(store)

    status_nb, out_nb, err = run_cli(["--config", str(write_config(store, tmp_path)), "audit", "show", str(item_id)])
    status_en, out_en, _ = run_cli(["--config", str(write_config(store, tmp_path, "en")), "audit", "show", str(item_id)])

    assert status_nb == 0, err
    assert status_en == 0
    assert "varer bestilt av bestilleren til prosjekt P-1042 de siste 30 dagene: 3" in out_nb
    assert "items ordered by the requester for project P-1042 in the last 30 days: 3" in out_en
    assert NAME not in out_nb
