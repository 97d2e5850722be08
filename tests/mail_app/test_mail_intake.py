"""Reading forwarded statements from a real Dovecot mailbox and answering through a real SMTP server.

The sample company's November forward (a report, a CSV statement and a PDF
statement, forwarded as an attachment) is the plain statement mail; small
hand-made messages cover the other cases.
"""

from __future__ import annotations

import os
from datetime import timedelta
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.commands import build_pipeline
from bot.config import load_settings
from bot.mail.intake import CLAIM_LEASE, MailIntake
from bot.mail.mailbox import Mailbox
from bot.mail.replier import MailReplier
from bot.sample.generator import generate
from bot.store.models import AmazonItem, Document, MailMessage, utc_now

from .conftest import SMTP_PASSWORD, SMTP_USER

CONTROLLER = "controller@nordlys-teknikk.no"
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("sample"))


def write_config(folder: Path, sample, dovecot, smtp_sink, **mailbox) -> Path:
    allowed = mailbox.pop("allowed_senders", ["nordlys-teknikk.no"])
    config = folder / "config.toml"
    config.write_text(
        f'master_data = "{sample.master_data}"\n'
        "[store]\n"
        f'url = "sqlite:///{folder}/allocbot.db"\n'
        "[mail]\n"
        f'documents_dir = "{folder}/documents"\n'
        "[model]\n"
        f'dir = "{folder}/models"\n'
        "[export]\n"
        f'export_dir = "{folder}/export"\n'
        "[mailbox]\n"
        f'host = "127.0.0.1"\nport = {mailbox.pop("port", dovecot.tls_port)}\n'
        f'security = "{mailbox.pop("security", "tls")}"\n'
        f'username = "{dovecot.user}"\npassword_env = "TEST_IMAP_PASSWORD"\n'
        f"allowed_senders = {allowed!r}\n".replace("'", '"')
        + "[smtp]\n"
        f'host = "127.0.0.1"\nport = {smtp_sink.port}\nsecurity = "starttls"\n'
        f'username = "{SMTP_USER}"\npassword_env = "TEST_SMTP_PASSWORD"\n'
        'from_address = "allocbot@nordlys-teknikk.no"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture
def secrets(monkeypatch, dovecot):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)


def make_intake(config: Path, dovecot, port: int | None = None) -> MailIntake:
    settings = load_settings(config)
    if port is not None:
        settings = settings.model_copy(update={"mailbox": settings.mailbox.model_copy(update={"port": port})})
    pipeline = build_pipeline(settings)
    context = dovecot.certificate.client_context()
    replier = MailReplier(settings, pipeline.master, _translator(settings), ssl_context=context)
    return MailIntake(settings, pipeline, replier,
                      mailbox_factory=lambda: Mailbox(settings.mailbox, ssl_context=context))


def _translator(settings):
    from bot.i18n import Translator

    return Translator(settings.language)


def small_mail(sender: str = CONTROLLER, *, subject: str = "Kortutskrift", message_id: str = "<small@example.no>",
               attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "regnskap@example.no"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Se vedlegg.")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def mail_rows(intake: MailIntake) -> list[MailMessage]:
    with intake.pipeline.store.session() as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.id)))


def test_statement_mail_is_processed_and_answered(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(sample.eml.read_bytes())

    result = intake.poll_once()

    assert result.processed == 1
    assert dovecot.uids("INBOX") == []
    assert len(dovecot.uids("Behandlet")) == 1
    with intake.pipeline.store.session() as session:
        assert len(session.exec(select(AmazonItem)).all()) > 200
    reply = smtp_sink.wait_for(1)[0]
    row = mail_rows(intake)[0]
    assert reply.envelope_to == [row.sender]
    assert reply.message["In-Reply-To"] == row.message_id
    body = reply.message.get_content()
    assert "kortlinjer" in body or "Kontoutskrift" in body


def test_duplicate_mail_is_recognised(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(sample.eml.read_bytes())
    intake.poll_once()
    with intake.pipeline.store.session() as session:
        documents = len(session.exec(select(Document)).all())

    dovecot.append(sample.eml.read_bytes())
    result = intake.poll_once()

    assert result.processed == 1
    with intake.pipeline.store.session() as session:
        assert len(session.exec(select(Document)).all()) == documents
    second = smtp_sink.wait_for(2)[1].message.get_content()
    assert "mottatt før" in second


def test_unknown_sender_is_moved_unanswered(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(small_mail("spam@example.com", attachments=[("a.pdf", "application/pdf", b"%PDF-1.4\n")]))

    result = intake.poll_once()

    assert result.rejected == 1
    assert len(dovecot.uids("Avvist")) == 1
    assert smtp_sink.messages == []
    assert mail_rows(intake)[0].status == "rejected"


def test_broken_attachment_fails_with_reply(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    broken = b"%PDF-1.4\nthis is not really a PDF\n"
    dovecot.append(small_mail(attachments=[("kontoutskrift.pdf", "application/pdf", broken)]))

    result = intake.poll_once()

    assert result.failed == 1
    assert len(dovecot.uids("Feilet")) == 1
    row = mail_rows(intake)[0]
    assert row.status == "failed"
    assert row.error
    reply = smtp_sink.wait_for(1)[0].message.get_content()
    assert "kontoutskrift.pdf" in reply


def test_logo_only_mail_is_recorded(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    dovecot.append(small_mail(attachments=[("logo.png", "image/png", png)]))

    result = intake.poll_once()
    again = intake.poll_once()

    assert result.empty == 1
    assert again.empty == 0
    assert mail_rows(intake)[0].status == "empty"
    replies = smtp_sink.wait_for(1)
    assert len(replies) == 1
    # With nothing else attached, the reply names the logo, so it does not claim the mail had no attachment.
    assert "logo.png" in replies[0].message.get_content()
    assert "ingen vedlegg" not in replies[0].message.get_content()


def test_server_restart_between_polls(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(small_mail(message_id="<first@example.no>",
                              attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))
    intake.poll_once()

    dovecot.restart()
    dovecot.append(small_mail(message_id="<second@example.no>",
                              attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))
    result = intake.poll_once()

    assert result.empty == 1
    assert [row.message_id for row in mail_rows(intake)] == ["<first@example.no>", "<second@example.no>"]


def test_dropped_connection_mid_poll(tmp_path, sample, dovecot, smtp_sink, secrets, proxy):
    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    cutter = proxy(dovecot.tls_port)
    intake = make_intake(config, dovecot, port=cutter.port)
    for number in range(3):
        dovecot.append(small_mail(message_id=f"<m{number}@example.no>",
                                  attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))
    # The first connection breaks after the server sent a little more than the greeting and login.
    cutter.cut_after(server_bytes=2000)

    result = intake.poll_once()

    rows = mail_rows(intake)
    assert sorted(row.message_id for row in rows) == ["<m0@example.no>", "<m1@example.no>", "<m2@example.no>"]
    assert all(row.status == "empty" for row in rows)
    assert dovecot.uids("INBOX") == []
    assert result.empty + result.moved_again == 3
    assert len(smtp_sink.messages) == 3


def test_new_uidvalidity_does_not_store_twice(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(sample.eml.read_bytes())
    intake.poll_once()
    with intake.pipeline.store.session() as session:
        items = len(session.exec(select(AmazonItem)).all())

    dovecot.recreate_folder("INBOX")
    dovecot.append(sample.eml.read_bytes())
    intake.poll_once()

    with intake.pipeline.store.session() as session:
        assert len(session.exec(select(AmazonItem)).all()) == items
    assert len({row.uidvalidity for row in mail_rows(intake)}) == 2


def test_starttls_login(tmp_path, sample, dovecot, smtp_sink, secrets):
    config = write_config(tmp_path, sample, dovecot, smtp_sink, port=dovecot.starttls_port, security="starttls")
    intake = make_intake(config, dovecot)
    dovecot.append(small_mail(attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))

    assert intake.poll_once().empty == 1


def test_poll_once_command(tmp_path, sample, dovecot, smtp_sink, secrets):
    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    dovecot.append(sample.eml.read_bytes())
    environment = {**os.environ, "SSL_CERT_FILE": str(dovecot.cafile)}

    finished = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), "poll", "--once"],
                              cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300)

    assert finished.returncode == 0, finished.stderr
    assert "1 behandlet" in finished.stdout
    assert len(dovecot.uids("Behandlet")) == 1
    reply = smtp_sink.wait_for(1)[0]
    assert reply.message["Content-Language"] == "nb"


def test_oversized_attachment_refused_with_reply(tmp_path, sample, dovecot, smtp_sink, secrets):
    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    config.write_text(config.read_text().replace("[mailbox]\n", "[mailbox]\nmax_attachment_mb = 0.01\n"))
    intake = make_intake(config, dovecot)
    big = b"%PDF-1.4\n" + b"0" * 20_000
    dovecot.append(small_mail(attachments=[("stor.pdf", "application/pdf", big)]))

    result = intake.poll_once()

    assert result.empty == 1
    reply = smtp_sink.wait_for(1)[0].message.get_content()
    assert "stor.pdf" in reply


def test_crash_mid_message_is_handled_again(tmp_path, sample, dovecot, smtp_sink, secrets, monkeypatch):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    dovecot.append(sample.eml.read_bytes())
    real_process = intake.pipeline.process

    def crash(report):
        raise KeyboardInterrupt("the process stops in the middle of the message")

    monkeypatch.setattr(intake.pipeline, "process", crash)
    with pytest.raises(KeyboardInterrupt):
        intake.poll_once()
    assert mail_rows(intake)[0].status == "claimed"
    assert len(dovecot.uids("INBOX")) == 1

    assert intake.poll_once().skipped == 1
    # The claim is left by a crash once it is older than the lease a working poller holds.
    with intake.pipeline.store.session() as session:
        session.exec(update(MailMessage).values(claimed_at=utc_now() - CLAIM_LEASE - timedelta(minutes=1)))
    monkeypatch.setattr(intake.pipeline, "process", real_process)
    result = intake.poll_once()

    assert result.processed == 1
    assert mail_rows(intake)[0].status == "processed"
    with intake.pipeline.store.session() as session:
        items = session.exec(select(AmazonItem)).all()
    assert len(items) == len({item.item_key for item in items})
    assert len(dovecot.uids("Behandlet")) == 1


def test_slow_message_keeps_claim_from_second_poller(tmp_path, sample, dovecot, smtp_sink, secrets):
    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    working, second = make_intake(config, dovecot), make_intake(config, dovecot)
    for intake in (working, second):
        intake.claim_lease = timedelta(seconds=1.5)
    dovecot.append(small_mail(message_id="<slow@example.no>", attachments=[("logo.png", "image/png", b"\x89PNG")]))
    send_reply = working.reply

    def slow_reply(*args, **kwargs):
        # Longer than the claim lease, as OCR of a scanned statement can be.
        time.sleep(3)
        return send_reply(*args, **kwargs)

    working.reply = slow_reply
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("working", working.poll_once()))
    first.start()
    deadline = time.monotonic() + 10
    while not mail_rows(working) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2)
    results["second"] = second.poll_once()
    first.join(20)
    smtp_sink.wait_for(1)
    time.sleep(0.5)

    assert results["second"].skipped == 1
    assert results["working"].empty == 1
    assert len(smtp_sink.messages) == 1
    assert [row.status for row in mail_rows(working)] == ["empty"]


def test_oauth2_token_login(tmp_path, sample, dovecot, smtp_sink, secrets, monkeypatch):
    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    config.write_text(config.read_text().replace("[mailbox]\n", '[mailbox]\noauth2_token_env = "TEST_IMAP_TOKEN"\n'))
    monkeypatch.setenv("TEST_IMAP_TOKEN", dovecot.oauth2_token())
    # Without a usable password, only the token can log in.
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "wrong-password")
    intake = make_intake(config, dovecot)
    dovecot.append(small_mail(attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))

    assert intake.poll_once().empty == 1


def test_bounce_gets_no_reply(tmp_path, sample, dovecot, smtp_sink, secrets):
    intake = make_intake(write_config(tmp_path, sample, dovecot, smtp_sink), dovecot)
    bounce = small_mail("mailer-daemon@nordlys-teknikk.no", subject="Undelivered Mail Returned to Sender",
                        attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")])

    dovecot.append(bounce)
    result = intake.poll_once()

    assert result.empty == 1
    assert smtp_sink.messages == []


def test_poll_once_wrong_password_exits_2(tmp_path, sample, dovecot, smtp_sink, secrets, monkeypatch, capsys):
    from bot.cli import main

    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "wrong-password")
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cafile))

    status = main(["--config", str(config), "poll", "--once"])

    error = capsys.readouterr().err
    assert status == 2
    assert "mailbox.username" in error
    assert "Traceback" not in error


def test_poll_once_missing_smtp_password_reads_nothing(tmp_path, sample, dovecot, smtp_sink, secrets, monkeypatch,
                                                       capsys):
    from bot.cli import main

    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    monkeypatch.delenv("TEST_SMTP_PASSWORD")
    dovecot.append(small_mail(attachments=[("logo.png", "image/png", b"\x89PNG\r\n\x1a\n")]))

    status = main(["--config", str(config), "poll", "--once"])

    assert status == 2
    assert "TEST_SMTP_PASSWORD" in capsys.readouterr().err
    assert len(dovecot.uids("INBOX")) == 1


def test_poll_once_certificate_error_is_readable(tmp_path, sample, dovecot, smtp_sink, secrets, monkeypatch,
                                                 capsys):
    from bot.cli import main

    config = write_config(tmp_path, sample, dovecot, smtp_sink)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setattr("bot.mail.intake.RECONNECT_ATTEMPTS", 1)

    status = main(["--config", str(config), "poll", "--once"])

    error = capsys.readouterr().err
    assert status == 1
    assert "CERTIFICATE_VERIFY_FAILED" in error
