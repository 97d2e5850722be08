"""The controllers' Slack message after a posting run, sent to the local Slack stand-in, never to slack.com."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout

import pytest

from bot.cli import main
from bot.config import Settings, SlackSettings
from bot.i18n import Translator
from bot.posting.notify import LISTED_VOUCHERS, controller_message, notify_controllers
from bot.sample.master_toml import write_master_data
from bot.store.database import Store
from bot.store.masterdata_sync import sync_master_data
from posting_store import MASTER_DATA, MEETING, OFFICE, Company, RecordingErp, master_data, number, post
from slack_app.standin import SlackStandIn

BOT_TOKEN = "xoxb-allocbot-posting-test"
CHANNEL = "C0CONTROL"
AMAZON = "AMAZON EU, Luxembourg"
WITHOUT_7350 = [account for account in MASTER_DATA["accounts"] if account["number"] != "7350"]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(bot_token=BOT_TOKEN, channels=[CHANNEL], scopes=("chat:write",)) as running:
        yield running


@pytest.fixture
def slack_token(monkeypatch):
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)


def slack_settings(standin: SlackStandIn, language: str = "nb", channel: str = CHANNEL) -> Settings:
    return Settings(language=language, slack=SlackSettings(api_url=standin.api_url, controller_channel=channel))


def mixed_run(store, tmp_path):
    """Post three items one voucher each: the first is rejected, the second posted with a note, the third held back."""
    company = Company(store)
    lines = company.statement([(3, AMAZON, "600.00"), (10, AMAZON, "250.00"), (17, AMAZON, "300.00")])
    company.item(lines[0], "600.00", "Logitech MX Master 3S")
    company.item(lines[1], "250.00", "Kopipapir A4", lines=[(OFFICE, "250.00")])
    company.item(lines[2], "300.00", "Lunsj med kunde", lines=[(MEETING, "300.00")])
    with store.session() as session:
        sync_master_data(session, master_data(accounts=WITHOUT_7350))
    erp = RecordingErp(reject=lambda voucher: "Kontoen 6551 er sperret" if voucher.lines[0].account == "6551" else None,
                       note=lambda voucher: "vedlegget ble ikke lastet opp")
    return post(store, erp, tmp_path, grouping="item")


def test_notify_lists_rejected_noted_held_back(store, tmp_path, standin, slack_token):
    result = mixed_run(store, tmp_path)
    rejected, noted = number(store, 1), number(store, 2)

    assert notify_controllers(result, slack_settings(standin))

    (call,) = standin.calls_to("chat.postMessage")
    assert call.params["channel"] == CHANNEL
    (message,) = standin.messages(CHANNEL)
    lines = message["text"].split("\n")
    assert lines[0] == "allocbot post trenger en controller:"
    assert re.fullmatch(rf"• {rejected}, 03\.11\.2026, Logitech MX Master 3S, \S+ PAY-\d+: avvist av recording: "
                        rf"Kontoen 6551 er sperret \(postings\.account, HTTP 422\) \(rett det i recording eller i "
                        rf"grunndataene, og kjør så allocbot post --retry-rejected {rejected}\)", lines[1])
    assert re.fullmatch(rf"• {noted}, 10\.11\.2026, Kopipapir A4, \S+ PAY-\d+: postert som ERP-1; merknad: vedlegget "
                        r"ble ikke lastet opp", lines[2])
    assert re.fullmatch(r"• \(nytt\), 17\.11\.2026, Lunsj med kunde, \S+ PAY-\d+: holdt tilbake, ikke sendt: konto "
                        r"7350 er inaktiv i grunndataene; varer #3 Lunsj med kunde \(legg konto 7350 inn i "
                        r"grunndatafilen\)", lines[3])
    assert len(lines) == 4


def test_notify_in_english_escapes_mrkdwn(store, tmp_path, standin, slack_token):
    company = Company(store)
    (line,) = company.statement([(3, AMAZON, "600.00")])
    company.item(line, "600.00", "Skjerm")
    result = post(store, RecordingErp(reject=lambda voucher: "account <6551> & project missing"), tmp_path)

    assert notify_controllers(result, slack_settings(standin, language="en"))

    (message,) = standin.messages(CHANNEL)
    assert message["text"].startswith("allocbot post needs a controller:\n• ")
    assert "rejected by recording: account &lt;6551&gt; &amp; project missing (postings.account, HTTP 422)" in (
        message["text"])
    assert "<6551>" not in message["text"]


def test_notify_connector_failure(store, tmp_path, standin, slack_token):
    company = Company(store)
    (line,) = company.statement([(3, AMAZON, "600.00")])
    company.item(line, "600.00", "Skjerm")
    result = post(store, RecordingErp(fail=lambda voucher: "invalid"), tmp_path)
    stuck = number(store, 1)

    assert notify_controllers(result, slack_settings(standin, language="en"))

    (message,) = standin.messages(CHANNEL)
    assert (f"• recording failed while vouchers {stuck} were sent: ValueError: voucher {stuck}: account 6551 cannot "
            "be sent.") in message["text"]
    assert "run allocbot post --abandon NUMBER." in message["text"]


@pytest.mark.parametrize("channel, token", [("", BOT_TOKEN), (CHANNEL, None)])
def test_notify_needs_channel_and_token(store, tmp_path, standin, monkeypatch, channel, token):
    if token:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    else:
        monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    result = mixed_run(store, tmp_path)

    assert not notify_controllers(result, slack_settings(standin, channel=channel))

    assert standin.calls == []


def test_notify_nothing_to_report(store, tmp_path, standin, slack_token):
    company = Company(store)
    (line,) = company.statement([(3, AMAZON, "600.00")])
    company.item(line, "600.00", "Skjerm")
    result = post(store, RecordingErp(), tmp_path)

    assert not notify_controllers(result, slack_settings(standin))

    assert standin.calls == []


def test_notify_slack_failure_only_logged(store, tmp_path, standin, slack_token, caplog):
    result = mixed_run(store, tmp_path)
    standin.fail("chat.postMessage", "channel_not_found")

    assert not notify_controllers(result, slack_settings(standin))

    assert standin.messages(CHANNEL) == []
    (record,) = [record for record in caplog.records if record.name == "bot.posting.notify"
                 and record.levelno == logging.ERROR]
    assert "C0CONTROL" in record.getMessage()
    assert BOT_TOKEN not in caplog.text


def test_message_counts_entries_beyond_limit():
    lines = [f"entry {index}" for index in range(LISTED_VOUCHERS + 3)]

    text = controller_message(lines, Translator("en")).split("\n")

    assert len(text) == 1 + LISTED_VOUCHERS + 1
    assert text[LISTED_VOUCHERS] == f"• entry {LISTED_VOUCHERS - 1}"
    assert text[-1] == "… and 3 more"


def test_post_command_notifies_not_dry_run(tmp_path, standin, slack_token):
    """allocbot post sends the held back voucher to the channel; allocbot post --dry-run sends nothing."""
    master = tmp_path / "masterdata.toml"
    write_master_data(master_data(accounts=WITHOUT_7350), master)
    url = f"sqlite:///{tmp_path / 'allocbot.db'}"
    store = Store(url)
    store.migrate()
    company = Company(store)
    (line,) = company.statement([(17, AMAZON, "300.00")])
    company.item(line, "300.00", "Lunsj med kunde", lines=[(MEETING, "300.00")])
    store.close()
    config = tmp_path / "config.toml"
    config.write_text("\n".join([
        'language = "en"',
        f"master_data = {json.dumps(str(master))}",
        "[store]", f"url = {json.dumps(url)}",
        "[export]", 'connector = "csv"', f"export_dir = {json.dumps(str(tmp_path / 'export'))}",
        "[slack]", f"api_url = {json.dumps(standin.api_url)}", f'controller_channel = "{CHANNEL}"',
    ]) + "\n", encoding="utf-8")

    assert _run(["--config", str(config), "post", "--dry-run"]) == 1
    assert standin.calls == []

    assert _run(["--config", str(config), "post"]) == 1

    (message,) = standin.messages(CHANNEL)
    assert message["text"] == ("allocbot post needs a controller:\n• (new), 2026-11-17, Card statement "
                               "2026-11-17–2026-11-17, kortutskrift.csv: held back, not sent: account 7350 is inactive "
                               "in the master data; items #1 Lunsj med kunde (add account 7350 to the master data file)")


def _run(argv: list[str]) -> int:
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        return main(argv)
