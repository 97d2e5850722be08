"""One item's whole audit trail, from the order report to the voucher, through the real Slack app and CLI."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from bot.store.audit import verify_audit_chain
from bot.store.models import AuditEvent
from cli_helpers import run_cli
from slack_app.conftest import start_bot, stop_bot, standin  # noqa: F401 - standin is a fixture
from slack_app.world import KARI, OLA, SLACK_IDS


def write_files(folder: Path) -> list[Path]:
    """Write an order report with one gift item and the card statement that charges it."""
    report = folder / "orders.csv"
    report.write_bytes((
        '"Order Date","Order ID","Currency","Title","Item Quantity","Item Subtotal","Item Net Total",'
        '"Payment reference ID","Payment Amount","Account User Email"\r\n'
        f'"02/11/2026","302-0000001-0000001","NOK","Tekopp med logo","1","149.00","149.00","REF000001",'
        f'"149.00","{OLA}"\r\n'
    ).encode("utf-8-sig"))
    statement = folder / "statement.csv"
    statement.write_bytes((
        '"Dato";"Beløpet gjelder";"Valuta";"Kurs";"Inn";"Ut"\r\n'
        '"03.11.2026";"AMAZON MKTPLACE REF000001";"";"";"";"149,00"\r\n'
    ).encode("cp1252"))
    return [report, statement]


def test_item_history_from_report_to_voucher(tmp_path, standin):  # noqa: F811 - the fixture
    bot = start_bot(tmp_path, standin)
    try:
        report = bot.pipeline.ingest_files(write_files(tmp_path))
        (outcome,) = bot.pipeline.process(report).outcomes
        item_id = outcome.item_id

        # Ola answers with the gift account, which his manager Kari must approve.
        ola = bot.dm(OLA)
        bot.requests.block_action(SLACK_IDS[OLA], "other", selected_option="a:7420", channel=ola,
                                  message_ts=bot.last_message(ola)["ts"])
        bot.standin.wait_for("chat.postMessage", lambda call: call.params["channel"] == bot.dm(KARI))
        kari = bot.dm(KARI)
        bot.requests.block_action(SLACK_IDS[KARI], "approve", channel=kari, message_ts=bot.last_message(kari)["ts"])
        bot.standin.wait_for("chat.update", lambda call: call.params["channel"] == kari)
        config = str(tmp_path / "config.toml")
        status, posted, err = run_cli(["--config", config, "post"])
        assert status == 0, err

        with bot.pipeline.store.session() as session:
            events = session.exec(select(AuditEvent).where(AuditEvent.subject_type == "item",
                                                           AuditEvent.subject_id == str(item_id))
                                  .order_by(AuditEvent.id)).all()
            assert verify_audit_chain(session) == []
    finally:
        stop_bot(bot)

    actions = [event.action for event in events]
    assert actions == ["item_parsed", "charge_linked", "suggested", "question_opened", "question_sent",
                       "answer_needs_approval", "question_sent", "approved", "posted"]
    parsed, linked, suggested, asked, sent, answered, sent_for_approval, approved, posted_event = events
    assert parsed.data["file"] == "orders.csv"
    assert parsed.data["line"] == 2
    assert linked.data["amount_nok"] == "149.00"
    assert suggested.model_version == bot.pipeline.classifier.version
    assert suggested.data["suggestions"][0]["rank"] == 1
    assert 0 <= suggested.data["suggestions"][0]["confidence"] <= 1
    assert asked.data["person"] == OLA
    assert sent.data["asked"] == OLA
    assert sent.data["slack_channel"] == bot.dm(OLA)
    assert answered.actor == OLA
    assert answered.data["approver"] == KARI
    assert answered.data["lines"][0]["allocation"].split("/")[2] == "7420"
    assert answered.data["top_suggestion"] is False
    assert sent_for_approval.data["kind"] == "approval"
    assert sent_for_approval.data["asked"] == KARI
    assert approved.actor == KARI
    assert approved.data["lines"] == answered.data["lines"]
    voucher = posted_event.data["voucher"]
    assert posted_event.data["external_id"]
    assert voucher in posted

    status, shown, err = run_cli(["--config", config, "audit", "show", str(item_id)])

    assert status == 0, err
    lines = shown.splitlines()[4:]
    assert "allocbot  Mottok filen orders.csv: 1 nye rader" in shown
    expected = [
        r"allocbot  Lest fra orders\.csv \(dokument \d+\), linje 2: 149,00 kr",
        r"allocbot  Koblet til kortlinje \d+: 149,00 kr",
        r"allocbot  Kortlinjen avstemt mot varene " + str(item_id) + ": koblet via betalingsreferanse REF000001",
        r"Foreslo .+ \(modell " + re.escape(suggested.model_version) + r"\)",
        r"Spurte ola\.hansen@example\.no",
        r"Spørsmål \d+ sendt til ola\.hansen@example\.no i Slack",
        r"ola\.hansen@example\.no  Besvart: \S+ 149,00 kr; må godkjennes av kari\.nordmann@example\.no "
        r"\(ikke det øverste forslaget\)",
        r"Godkjenningsforespørsel \d+ sendt til kari\.nordmann@example\.no i Slack",
        r"kari\.nordmann@example\.no  Godkjent: ",
        r"Bokført som bilag " + re.escape(voucher) + " via csv, ERP-id " + re.escape(posted_event.data["external_id"]),
    ]
    positions = []
    for pattern in expected:
        found = [number for number, line in enumerate(lines) if re.search(pattern, line)]
        assert found, f"no line matches {pattern!r} in:\n{shown}"
        positions.append(found[0])
    assert positions == sorted(positions), shown
