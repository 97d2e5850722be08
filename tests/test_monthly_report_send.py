"""Sending the monthly report to a real SMTP server (aiosmtpd) and the local Slack stand-in, once per month.

Every server listens on 127.0.0.1 with a port the OS picks. The SMTP sink
requires STARTTLS and a login, and the client trusts its test CA through
SSL_CERT_FILE, as a deployment with a private CA would.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

import bot.mail.smtp
from bot.cli import main
from bot.config import ReportSettings, Settings, SlackSettings, SmtpSettings
from bot.report.monthly import ReportSendError, send_monthly_report
from bot.store.audit import audit
from bot.store.database import Store
from bot.store.models import AuditEvent
from mail_app.certificate import LoopbackCertificate, make_certificate
from mail_app.smtp_sink import SmtpSink
from slack_app.standin import SlackStandIn
from test_monthly_report import IT, NOVEMBER, Decision, write_rows

BOT_TOKEN = "xoxb-allocbot-report-test"
CHANNEL = "C0CONTROL"
SMTP_USER = "allocbot@example.no"
SMTP_PASSWORD = "report-test-password"
PASSWORD_VARIABLE = "ALLOCBOT_TEST_REPORT_SMTP_PASSWORD"
RECIPIENTS = ("controller@example.no", "okonomi@example.no")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    return make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture
def environment(monkeypatch, certificate):
    """Point the SMTP client at the test CA, and slack_sdk and its uploads past any proxy."""
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cafile))
    monkeypatch.setenv(PASSWORD_VARIABLE, SMTP_PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("ALLOCBOT_FAILPOINTS", raising=False)
    # A refused connection is retried; the tests need not wait for the backoff.
    monkeypatch.setattr(bot.mail.smtp, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def sqlite_store(tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[Store]:
    """A migrated SQLite store, for the tests of what the report contains, which do not depend on the database."""
    path = tmp_path / "allocbot.db"
    shutil.copyfile(migrated_sqlite_file, path)
    store = Store(f"sqlite:///{path}")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def sink(certificate, environment) -> Iterator[SmtpSink]:
    with SmtpSink(certificate, user=SMTP_USER, password=SMTP_PASSWORD) as running:
        yield running


@pytest.fixture
def standin(environment) -> Iterator[SlackStandIn]:
    with SlackStandIn(bot_token=BOT_TOKEN, channels=[CHANNEL], scopes=("chat:write", "files:write")) as running:
        yield running


def report_settings(*, smtp_port: int | None, standin: SlackStandIn | None, language: str = "nb") -> Settings:
    smtp = SmtpSettings()
    if smtp_port is not None:
        smtp = SmtpSettings(host="127.0.0.1", port=smtp_port, security="starttls", username=SMTP_USER,
                            password_env=PASSWORD_VARIABLE, from_address="allocbot@example.no")
    slack = SlackSettings()
    if standin is not None:
        slack = SlackSettings(api_url=standin.api_url, controller_channel=CHANNEL)
    return Settings(language=language, smtp=smtp, slack=slack, report=ReportSettings(recipients=RECIPIENTS))


def closed_port() -> int:
    """Return a loopback port that nothing listens on, for an SMTP server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recorded_actions(store) -> list[tuple[str, str]]:
    with store.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.subject_type == "monthly_report")
                              .order_by(AuditEvent.id)).all()
        return [(event.action, event.subject_id) for event in events]


def november_rows(store) -> None:
    write_rows(store, [Decision(datetime(2026, 11, 2, 12, tzinfo=timezone.utc), "auto", (IT,), IT)], [])


def test_email_in_norwegian_with_chart(sqlite_store, sink):
    november_rows(sqlite_store)
    settings = report_settings(smtp_port=sink.port, standin=None)

    assert send_monthly_report(settings, sqlite_store, now=datetime(2026, 12, 1, 6, tzinfo=timezone.utc))

    (received,) = sink.wait_for(1)
    assert sorted(received.envelope_to) == sorted(RECIPIENTS)
    message = received.message
    assert message["Subject"] == "allocbot: månedsrapport for november 2026"
    assert message["Content-Language"] == "nb"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",)).get_content()
    assert "Varer behandlet:" in body
    assert "Bokført automatisk:" in body
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "image/png"
    assert attachment.get_filename() == "allocbot-report-2026-11.png"
    assert attachment.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert recorded_actions(sqlite_store) == [("report_emailed", "2026-11")]


def test_email_in_english(sqlite_store, sink):
    settings = report_settings(smtp_port=sink.port, standin=None, language="en")

    assert send_monthly_report(settings, sqlite_store, month=date(2026, 10, 1))

    (received,) = sink.wait_for(1)
    assert received.message["Subject"] == "allocbot: monthly report for October 2026"
    assert received.message["Content-Language"] == "en"
    assert "Items processed:" in received.message.get_body(("plain",)).get_content()


def test_slack_message_and_chart(sqlite_store, standin):
    november_rows(sqlite_store)
    settings = report_settings(smtp_port=None, standin=standin)

    assert send_monthly_report(settings, sqlite_store, month=NOVEMBER)

    message, shared = standin.messages(CHANNEL)
    assert message["blocks"][0]["text"]["text"] == "allocbot: månedsrapport for november 2026"
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    assert fields[0] == "*Varer behandlet*\n1"
    assert fields[1] == "*Bokført automatisk*\n1 (100,0 %)"
    assert message["text"].startswith("allocbot: månedsrapport for november 2026\n")
    (upload,) = standin.calls_to("upload")
    (file,) = shared["files"]
    assert upload.params["file_id"] == file["id"]
    assert file["name"] == "allocbot-report-2026-11.png"
    assert standin.file_content(file["id"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert recorded_actions(sqlite_store) == [("report_posted", "2026-11"), ("report_plot_posted", "2026-11")]


def test_second_call_sends_nothing(store, sink, standin):
    settings = report_settings(smtp_port=sink.port, standin=standin)
    assert send_monthly_report(settings, store, month=NOVEMBER)

    assert not send_monthly_report(settings, store, month=NOVEMBER)

    assert len(sink.messages) == 1
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert len(standin.calls_to("files.completeUploadExternal")) == 1
    assert len(recorded_actions(store)) == 3


def test_again_sends_once_more(sqlite_store, sink, standin):
    settings = report_settings(smtp_port=sink.port, standin=standin)
    send_monthly_report(settings, sqlite_store, month=NOVEMBER)

    assert send_monthly_report(settings, sqlite_store, month=NOVEMBER, again=True)

    assert len(sink.wait_for(2)) == 2
    assert len(standin.messages(CHANNEL)) == 4
    assert [action for action, _ in recorded_actions(sqlite_store)].count("report_emailed") == 2


def test_smtp_down_slack_still_sent(store, standin, sink, environment):
    settings = report_settings(smtp_port=closed_port(), standin=standin)

    with pytest.raises(ReportSendError) as failure:
        send_monthly_report(settings, store, month=NOVEMBER)

    assert failure.value.failures[0][0] == "email"
    assert "recipients not sent via 127.0.0.1" in failure.value.failures[0][1]
    assert "monthly report for November 2026 not sent by email" in str(failure.value)
    assert len(standin.messages(CHANNEL)) == 2
    assert recorded_actions(store) == [("report_posted", "2026-11"), ("report_plot_posted", "2026-11")]

    # Once the server is back, the next call sends the email alone.
    assert send_monthly_report(report_settings(smtp_port=sink.port, standin=standin), store, month=NOVEMBER)
    assert len(sink.wait_for(1)) == 1
    assert len(standin.messages(CHANNEL)) == 2


def test_slack_failure_skips_chart(sqlite_store, sink, standin):
    standin.fail("chat.postMessage", "channel_not_found")
    settings = report_settings(smtp_port=sink.port, standin=standin)

    with pytest.raises(ReportSendError) as failure:
        send_monthly_report(settings, sqlite_store, month=NOVEMBER)

    assert [name for name, _ in failure.value.failures] == ["slack"]
    assert "channel_not_found" in failure.value.failures[0][1]
    assert standin.calls_to("files.getUploadURLExternal") == []
    assert len(sink.wait_for(1)) == 1
    assert recorded_actions(sqlite_store) == [("report_emailed", "2026-11")]


def test_nothing_configured_sends_nothing(sqlite_store, environment, caplog):
    caplog.set_level("INFO", logger="bot.report.monthly")

    assert not send_monthly_report(report_settings(smtp_port=None, standin=None), sqlite_store, month=NOVEMBER)

    assert recorded_actions(sqlite_store) == []
    assert "email skipped: smtp.host is not set" in caplog.text
    assert "slack skipped: slack.controller_channel is not set" in caplog.text


def test_concurrent_calls_send_once(store, sink, standin):
    settings = report_settings(smtp_port=sink.port, standin=standin)
    results: list[bool] = []

    def send() -> None:
        results.append(send_monthly_report(settings, store, month=NOVEMBER))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False, False, True]
    assert len(sink.messages) == 1
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_crash_after_send_sends_again(store, sink, standin, tmp_path):
    """A process killed between the send and its record leaves nothing recorded, so the next call sends again."""
    settings = report_settings(smtp_port=sink.port, standin=None)
    script = (
        "import sys\n"
        "from bot.config import Settings\n"
        "from bot.store.database import Store\n"
        "from bot.report.monthly import send_monthly_report\n"
        "from datetime import date\n"
        "settings = Settings.model_validate_json(sys.stdin.read())\n"
        f"send_monthly_report(settings, Store({store.engine.url.render_as_string(hide_password=False)!r}), "
        "month=date(2026, 11, 1))\n"
    )
    environment = {**os.environ, "ALLOCBOT_FAILPOINTS": "report.after_send"}

    crashed = subprocess.run([sys.executable, "-c", script], input=settings.model_dump_json(), env=environment,
                             capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)

    assert crashed.returncode == -9, crashed.stderr
    assert len(sink.wait_for(1)) == 1
    assert recorded_actions(store) == []
    assert send_monthly_report(settings, store, month=NOVEMBER)
    assert len(sink.wait_for(2)) == 2


def write_config(store, tmp_path: Path, sink: SmtpSink, standin: SlackStandIn) -> Path:
    config = tmp_path / "config.toml"
    url = store.engine.url.render_as_string(hide_password=False)
    config.write_text(
        f'language = "nb"\n[store]\nurl = "{url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nusername = "{SMTP_USER}"\n'
        f'password_env = "{PASSWORD_VARIABLE}"\nfrom_address = "allocbot@example.no"\n'
        f'[slack]\napi_url = "{standin.api_url}"\ncontroller_channel = "{CHANNEL}"\n'
        f'[report]\nrecipients = ["{RECIPIENTS[0]}"]\n',
        encoding="utf-8")
    return config


def run_cli(*arguments: str) -> tuple[int, str]:
    output = io.StringIO()
    with redirect_stdout(output):
        status = main(list(arguments))
    return status, output.getvalue()


def test_cli_prints_figures_and_writes_chart(sqlite_store, tmp_path, sink, standin):
    november_rows(sqlite_store)
    config = write_config(sqlite_store, tmp_path, sink, standin)
    chart = tmp_path / "charts" / "november.png"

    status, output = run_cli("report", "monthly", "--month", "2026-11", "--output", str(chart), "--config",
                             str(config))

    assert status == 0
    assert output.startswith("allocbot: månedsrapport for november 2026\n")
    assert "Varer behandlet:" in output
    assert f"Diagrammet er skrevet til {chart}." in output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sink.messages == []
    assert standin.calls == []


def test_cli_sends_once_then_again(sqlite_store, tmp_path, sink, standin):
    config = write_config(sqlite_store, tmp_path, sink, standin)

    status, output = run_cli("report", "monthly", "--month", "2026-11", "--send", "--config", str(config))
    assert status == 0
    assert output.splitlines() == ["Månedsrapport for november 2026:", "e-post: sendt", "Slack-melding: sendt",
                                   "Slack-diagram: sendt"]

    status, output = run_cli("report", "monthly", "--month", "2026-11", "--send", "--config", str(config))
    assert status == 0
    assert output.splitlines()[1] == "e-post: sendt før; bruk --again for å sende den én gang til"

    status, output = run_cli("report", "monthly", "--month", "2026-11", "--send", "--again", "--config", str(config))
    assert status == 0
    assert output.splitlines()[1:] == ["e-post: sendt", "Slack-melding: sendt", "Slack-diagram: sendt"]
    assert len(sink.wait_for(2)) == 2


def test_cli_reports_failed_delivery(sqlite_store, tmp_path, sink, standin):
    config = write_config(sqlite_store, tmp_path, sink, standin)
    standin.fail("chat.postMessage", "not_in_channel")

    status, output = run_cli("report", "monthly", "--month", "2026-11", "--send", "--config", str(config))

    assert status == 1
    assert "Slack-melding: mislyktes: " in output
    assert "not_in_channel" in output
    assert "Slack-diagram: hoppet over, slack ble ikke sendt" in output


def test_cli_rejects_bad_arguments(sqlite_store, tmp_path, sink, standin, capsys):
    config = write_config(sqlite_store, tmp_path, sink, standin)

    assert main(["report", "monthly", "--again", "--config", str(config)]) == 2
    assert "--again gjelder bare når rapporten sendes" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "monthly", "--month", "2026-13", "--config", str(config)])
    assert exit_info.value.code == 2
    assert "invalid month '2026-13'" in capsys.readouterr().err


def test_standin_rejects_incomplete_upload(standin):
    """The stand-in's upload methods fail loudly on what the report must never do, so a test cannot pass by luck."""
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    reserved = client.files_getUploadURLExternal(filename="chart.png", length=4)

    with pytest.raises(SlackApiError) as missing_bytes:
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}], channel_id=CHANNEL)
    with pytest.raises(SlackApiError) as unknown_file:
        client.files_completeUploadExternal(files=[{"id": "F0UNKNOWN"}], channel_id=CHANNEL)

    assert missing_bytes.value.response["error"] == "standin_unsupported"
    assert unknown_file.value.response["error"] == "file_not_found"
    assert standin.file_content(reserved["file_id"]) is None
    assert standin.messages(CHANNEL) == []


def test_email_and_slack_carry_newest_audit_hash(sqlite_store, sink, standin):
    with sqlite_store.session() as session:
        newest = audit(session, actor="allocbot", action="model_trained", subject_type="model", subject_id="model-1",
                       data={})
        check = f"allocbot audit verify --expect {newest.id}:{newest.hash}"
    settings = report_settings(smtp_port=sink.port, standin=standin)

    assert send_monthly_report(settings, sqlite_store, month=NOVEMBER)

    (received,) = sink.wait_for(1)
    assert check in received.message.get_body(("plain",)).get_content()
    message, _ = standin.messages(CHANNEL)
    assert check in message["text"]
    notes = [element["text"] for element in message["blocks"][2]["elements"]]
    assert len(notes) == 2
    assert check in notes[1]
