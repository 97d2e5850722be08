"""Sending replies to a real SMTP server (aiosmtpd) on 127.0.0.1: TLS, login, threading headers and retries.

Each test starts its own server on a port the OS picks and trusts the
server's self-signed certificate through the ``ssl_context`` argument.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import bot.mail.smtp
from bot.config import SmtpSettings
from bot.errors import ConfigError
from bot.mail.smtp import ATTEMPTS, SendError, send_reply

LOOPBACK = "127.0.0.1"
USERNAME = "allocbot-smtp"
PASSWORD = "s3cret-for-tests"
PASSWORD_VARIABLE = "ALLOCBOT_TEST_SMTP_PASSWORD"
BODY = "Kortutskrift kort-november.csv: 42 kortlinjer, til sammen 48\u00a0312,50 kr.\n– allocbot\n"
ORIGINAL_ID = "<CAF=orig-1@mail.firma.no>"
EARLIER_IDS = "<first@mail.firma.no> <second@mail.firma.no>"


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that replies to each DATA with the next response in ``replies``, then with 250,
    and records the messages it accepts."""

    replies: list[str] = field(default_factory=list)
    attempts: int = 0
    accepted: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    tls_sessions: list[bool] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        self.tls_sessions.append(session.ssl is not None)
        self.logins.append(session.auth_data.login.decode() if session.auth_data else "")
        return "250 2.0.0 OK"


def check_password(server, session, envelope, mechanism: str, auth_data: LoginPassword) -> AuthResult:
    valid = auth_data.login == USERNAME.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=valid, handled=False, auth_data=auth_data)


class LoopbackController(Controller):
    """aiosmtpd's Controller on a port the OS picks.

    aiosmtpd 1.4.6 connects to ``self.port`` once after binding to check the
    server, so the bound port is read from the socket before that check.
    """

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "allocbot test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def client_context(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test on loopback: no host name lookup for EHLO, short waits between attempts."""
    monkeypatch.setattr(socket, "getfqdn", lambda name="": "client.allocbot.test")
    monkeypatch.setattr(bot.mail.smtp, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)


def start_server(handler: RecordingHandler, **options) -> Controller:
    controller = LoopbackController(handler, hostname=LOOPBACK, port=0, server_hostname="smtp.allocbot.test",
                                    authenticator=check_password, **options)
    controller.start()
    return controller


@pytest.fixture
def starttls_server(server_context) -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    controller = start_server(handler, tls_context=server_context, require_starttls=True, auth_required=True)
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def settings_for(port: int, **changes) -> SmtpSettings:
    values = {"host": LOOPBACK, "port": port, "security": "starttls", "username": USERNAME,
              "password_env": PASSWORD_VARIABLE, "from_address": "bot@firma.no"} | changes
    return SmtpSettings(**values)


def reply(settings: SmtpSettings, context: ssl.SSLContext | None, to: str = "ola@firma.no") -> str:
    return send_reply(settings, to=to, subject="Re: Kortutskrift november", body=BODY, in_reply_to=ORIGINAL_ID,
                      references=EARLIER_IDS, language="nb", ssl_context=context)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.fixture
def delivered(starttls_server, client_context) -> tuple[str, RecordingHandler]:
    """One reply sent over STARTTLS with a login, and the server's record of it."""
    handler, port = starttls_server
    message_id = reply(settings_for(port), client_context)
    return message_id, handler


def test_starttls_delivers_once(delivered):
    _, handler = delivered

    assert len(handler.accepted) == 1
    assert handler.tls_sessions == [True]
    assert handler.logins == [USERNAME]


def test_envelope_only_recipient(delivered):
    _, handler = delivered
    sender, recipients, _ = handler.accepted[0]

    assert sender == "bot@firma.no"
    assert recipients == ["ola@firma.no"]


def test_threading_headers(delivered):
    message_id, handler = delivered
    message = parse(handler.accepted[0][2])

    assert message["Message-ID"] == message_id
    assert message["In-Reply-To"] == ORIGINAL_ID
    # Compared id by id, because a long header is folded onto a continuation line.
    assert message["References"].split() == [*EARLIER_IDS.split(), ORIGINAL_ID]


def test_reply_headers(delivered):
    _, handler = delivered
    message = parse(handler.accepted[0][2])

    assert message["From"] == "allocbot <bot@firma.no>"
    assert message["To"] == "ola@firma.no"
    assert message["Subject"] == "Re: Kortutskrift november"
    assert message["Content-Language"] == "nb"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert message["Message-ID"].endswith("@firma.no>")


def test_utf8_body(delivered):
    _, handler = delivered
    message = parse(handler.accepted[0][2])

    assert message.get_content_charset() == "utf-8"
    # Lines end in CRLF on the wire.
    assert message.get_content() == BODY.replace("\n", "\r\n")


def test_references_start_with_original(starttls_server, client_context):
    handler, port = starttls_server

    send_reply(settings_for(port), to="ola@firma.no", subject="Re: x", body=BODY, in_reply_to=ORIGINAL_ID,
               references="", language="en", ssl_context=client_context)

    assert parse(handler.accepted[0][2])["References"].split() == [ORIGINAL_ID]


def test_implicit_tls(server_context, client_context):
    handler = RecordingHandler()
    controller = start_server(handler, ssl_context=server_context, auth_require_tls=False)
    try:
        reply(settings_for(controller.port, security="tls"), client_context)
    finally:
        controller.stop()

    assert len(handler.accepted) == 1
    assert handler.logins == [USERNAME]


def test_missing_password(monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE)

    # No server runs: the password is checked before any connection.
    with pytest.raises(ConfigError) as raised:
        reply(settings_for(1), None)

    assert PASSWORD_VARIABLE in str(raised.value)


def test_non_ascii_password(monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, "blåbærsyltetøy")

    with pytest.raises(ConfigError) as raised:
        reply(settings_for(1), None)

    assert "outside ASCII" in str(raised.value)


def test_missing_from_address():
    with pytest.raises(ConfigError) as raised:
        reply(settings_for(1, from_address=""), None)

    assert "smtp.from_address" in str(raised.value)


def test_two_recipients_rejected():
    with pytest.raises(ValueError):
        reply(settings_for(1), None, to="ola@firma.no, kari@firma.no")


def test_temporary_451_retried(starttls_server, client_context, caplog):
    handler, port = starttls_server
    handler.replies = ["451 4.3.0 Try again later"]
    caplog.set_level(logging.INFO, logger="bot.mail.smtp")

    message_id = reply(settings_for(port), client_context)

    assert handler.attempts == 2
    assert len(handler.accepted) == 1
    assert f"reply {message_id} to ola@firma.no failed (attempt 1 of {ATTEMPTS})" in caplog.text


def test_permanent_550_not_retried(starttls_server, client_context):
    handler, port = starttls_server
    handler.replies = ["550 5.7.1 Relaying denied"]

    with pytest.raises(SendError) as raised:
        reply(settings_for(port), client_context)

    assert handler.attempts == 1
    assert raised.value.temporary is False
    assert "550 5.7.1 Relaying denied" in str(raised.value)


def test_temporary_errors_give_up(starttls_server, client_context):
    handler, port = starttls_server
    handler.replies = ["451 4.3.0 Try again later"] * ATTEMPTS

    with pytest.raises(SendError) as raised:
        reply(settings_for(port), client_context)

    assert handler.attempts == ATTEMPTS
    assert raised.value.temporary is True


def test_wrong_password_not_retried(starttls_server, client_context, monkeypatch, caplog):
    handler, port = starttls_server
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong-password")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SendError) as raised:
        reply(settings_for(port), client_context)

    assert "535" in str(raised.value)
    assert "retrying" not in caplog.text
    assert "wrong-password" not in caplog.text


def test_connection_refused_retried(caplog):
    # A port that was free a moment ago: the connection is refused on loopback.
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    caplog.set_level(logging.WARNING, logger="bot.mail.smtp")

    with pytest.raises(SendError) as raised:
        reply(settings_for(port), None)

    assert raised.value.temporary is True
    assert caplog.text.count("retrying") == ATTEMPTS - 1


def test_untrusted_certificate_not_retried(starttls_server, caplog):
    handler, port = starttls_server
    caplog.set_level(logging.WARNING, logger="bot.mail.smtp")
    # The system's trusted authorities, which did not sign the test server's certificate.
    untrusted = ssl.create_default_context()

    with pytest.raises(SendError) as raised:
        reply(settings_for(port), untrusted)

    assert raised.value.temporary is False
    assert "retrying" not in caplog.text
    assert handler.attempts == 0
