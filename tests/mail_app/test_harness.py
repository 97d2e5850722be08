"""Checks that the mail test servers behave like the real servers that the bot will meet."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from . import dovecot as dovecot_module
from .certificate import LoopbackCertificate
from .conftest import SMTP_PASSWORD, SMTP_USER
from .dovecot import Dovecot
from .proxy import CuttingProxy
from .smtp_sink import SmtpSink

STATEMENT = (
    b"From: kontroller@example.no\r\n"
    b"To: regnskap@example.no\r\n"
    b"Subject: Kortutskrift november\r\n"
    b"Message-ID: <statement-1@example.no>\r\n"
    b"\r\n"
    b"Vedlagt kortutskrift.\r\n"
)


def large_message(lines: int) -> bytes:
    return b"Subject: Amazon order report\r\n\r\n" + (b"y" * 76 + b"\r\n") * lines


def imap_over_tls(port: int, dovecot: Dovecot) -> IMAPClient:
    context = ssl.create_default_context(cafile=dovecot.cafile)
    return IMAPClient(dovecot.host, port, ssl=True, ssl_context=context, timeout=5)


def reply(to: str = "kontroller@example.no") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "regnskap@example.no"
    message["To"] = to
    message["Subject"] = "Re: Kortutskrift november"
    message.set_content("Mottatt: 3 kjøp fordelt, 1 spørsmål sendt.")
    return message


# ----- Dovecot: login


def test_dovecot_login_over_implicit_tls(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    client.login(dovecot.user, dovecot.password)

    assert b"IDLE" in client.capabilities()
    assert b"UIDPLUS" in client.capabilities()
    client.logout()


def test_dovecot_login_over_starttls(dovecot: Dovecot) -> None:
    client = IMAPClient(dovecot.host, dovecot.starttls_port, ssl=False, timeout=5)
    before_tls = client.capabilities()

    client.starttls(ssl.create_default_context(cafile=dovecot.cafile))
    client.login(dovecot.user, dovecot.password)

    assert b"STARTTLS" in before_tls
    assert b"LOGINDISABLED" in before_tls
    assert client.list_folders() != []
    client.logout()


def test_dovecot_rejects_login_before_starttls(dovecot: Dovecot) -> None:
    client = IMAPClient(dovecot.host, dovecot.starttls_port, ssl=False, timeout=5)

    with pytest.raises(LoginError, match="PRIVACYREQUIRED"):
        client.login(dovecot.user, dovecot.password)


def test_dovecot_rejects_wrong_password(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
        client.login(dovecot.user, "wrong-password")
    assert "password mismatch" in dovecot.log().lower()


def test_dovecot_xoauth2_login(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    client.oauth2_login(dovecot.user, dovecot.oauth2_token())

    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert "method=XOAUTH2" in dovecot.log()
    client.logout()


def test_dovecot_oauthbearer_login(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    client.oauthbearer_login(dovecot.user, dovecot.oauth2_token())

    assert "method=OAUTHBEARER" in dovecot.log()
    client.logout()


def test_dovecot_rejects_expired_token(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
        client.oauth2_login(dovecot.user, dovecot.oauth2_token(expires_in=-60))
    assert "Token has expired" in dovecot.log()


def test_dovecot_rejects_token_of_other_user(dovecot: Dovecot) -> None:
    client = imap_over_tls(dovecot.tls_port, dovecot)

    with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
        client.oauth2_login(dovecot.user, dovecot.oauth2_token(user="innkjop@example.no"))
    assert "did not match 'innkjop@example.no'" in dovecot.log()


def test_dovecot_certificate_needs_test_ca(dovecot: Dovecot) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, dovecot.tls_port, ssl=True, ssl_context=ssl.create_default_context(), timeout=5)


# ----- Dovecot: mailbox helpers


def test_dovecot_append_uids_fetch_round_trip(dovecot: Dovecot) -> None:
    second = STATEMENT.replace(b"statement-1", b"statement-2")

    first_uid = dovecot.append(STATEMENT)
    second_uid = dovecot.append(second)

    assert dovecot.uids() == [first_uid, second_uid]
    assert dovecot.fetch("INBOX", first_uid) == STATEMENT
    assert dovecot.fetch("INBOX", second_uid) == second


def test_dovecot_fetch_keeps_message_unseen(dovecot: Dovecot) -> None:
    uid = dovecot.append(STATEMENT)

    dovecot.fetch("INBOX", uid)

    with dovecot.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search("UNSEEN") == [uid]


def test_dovecot_fetch_missing_uid_raises(dovecot: Dovecot) -> None:
    with pytest.raises(LookupError, match="no message with UID 99 in INBOX"):
        dovecot.fetch("INBOX", 99)


def test_dovecot_folders_and_append_to_folder(dovecot: Dovecot) -> None:
    dovecot.create_folder("Behandlet")

    uid = dovecot.append(STATEMENT, folder="Behandlet")

    assert sorted(dovecot.folders()) == ["Behandlet", "INBOX"]
    assert dovecot.uids("Behandlet") == [uid]
    assert dovecot.uids("INBOX") == []


def test_dovecot_recreate_folder_changes_uidvalidity(dovecot: Dovecot) -> None:
    dovecot.create_folder("Behandlet")
    dovecot.append(STATEMENT, folder="Behandlet")
    before = dovecot.uidvalidity("Behandlet")

    after = dovecot.recreate_folder("Behandlet")

    assert after != before
    assert dovecot.uidvalidity("Behandlet") == after
    assert dovecot.uids("Behandlet") == []


def test_dovecot_recreate_inbox_empties_it(dovecot: Dovecot) -> None:
    old_uid = dovecot.append(STATEMENT)
    before = dovecot.uidvalidity()

    after = dovecot.recreate_folder("INBOX")
    new_uid = dovecot.append(STATEMENT)

    assert after != before
    assert dovecot.uidvalidity() == after
    assert dovecot.uids() == [new_uid]
    assert new_uid > old_uid


def test_dovecot_change_uidvalidity_keeps_messages(dovecot: Dovecot) -> None:
    uid = dovecot.append(STATEMENT)
    before = dovecot.uidvalidity()

    after = dovecot.change_uidvalidity()

    assert after != before
    assert dovecot.uidvalidity() == after
    assert dovecot.uids() == [uid]


def test_dovecot_idle_reports_new_message(dovecot: Dovecot) -> None:
    with dovecot.connect() as client:
        client.select_folder("INBOX")
        client.idle()

        uid = dovecot.append(STATEMENT)
        responses = client.idle_check(timeout=5)
        client.idle_done()

    assert (1, b"EXISTS") in responses
    assert dovecot.uids() == [uid]


# ----- Dovecot: restart and dropped connections


def test_dovecot_restart_keeps_messages_and_ports(dovecot: Dovecot) -> None:
    uid = dovecot.append(STATEMENT)
    uidvalidity = dovecot.uidvalidity()
    ports = (dovecot.tls_port, dovecot.starttls_port)

    dovecot.restart()

    assert (dovecot.tls_port, dovecot.starttls_port) == ports
    assert dovecot.uids() == [uid]
    assert dovecot.uidvalidity() == uidvalidity
    assert dovecot.fetch("INBOX", uid) == STATEMENT
    with dovecot.connect(starttls=True) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 1


def test_dovecot_restart_drops_connected_client(dovecot: Dovecot) -> None:
    client = dovecot.connect()
    client.select_folder("INBOX")

    dovecot.restart()

    with pytest.raises(IMAPClient.AbortError):
        client.noop()


def test_dovecot_start_retries_taken_port(
    dovecot: Dovecot, tmp_path: Path, mail_certificate: LoopbackCertificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first probe returns the port of the running server, as if another process had
    # taken a probed port before Dovecot bound it.
    taken_ports = [dovecot.tls_port]
    real_free_port = dovecot_module._free_port

    def probe_port() -> int:
        return taken_ports.pop() if taken_ports else real_free_port()

    monkeypatch.setattr(dovecot_module, "_free_port", probe_port)
    second = Dovecot(tmp_path / "second", mail_certificate)

    with second:
        assert second.tls_port != dovecot.tls_port
        assert second.uids() == []
    assert "Address already in use" in second.log()


def test_dovecot_stop_closes_ports(dovecot: Dovecot) -> None:
    ports = (dovecot.tls_port, dovecot.starttls_port)

    dovecot.stop()

    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((dovecot.host, port), timeout=1)


def test_dovecot_kick_drops_connected_client(dovecot: Dovecot) -> None:
    client = dovecot.connect()
    client.select_folder("INBOX")

    kicked = dovecot.kick()

    assert kicked is True
    with pytest.raises(IMAPClient.AbortError):
        client.noop()
    assert dovecot.kick() is False
    with dovecot.connect() as again:
        assert again.select_folder("INBOX")[b"EXISTS"] == 0


# ----- SMTP sink


def test_smtp_sink_receives_over_starttls_with_auth(smtp_sink: SmtpSink, mail_certificate: LoopbackCertificate) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.starttls(context=ssl.create_default_context(cafile=mail_certificate.cafile))
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(reply(), from_addr="regnskap@example.no", to_addrs=["kontroller@example.no"])

    [received] = smtp_sink.wait_for(1)
    assert received.envelope_from == "regnskap@example.no"
    assert received.envelope_to == ["kontroller@example.no"]
    assert received.message["Subject"] == "Re: Kortutskrift november"
    assert received.message.get_content() == "Mottatt: 3 kjøp fordelt, 1 spørsmål sendt.\n"
    assert b"Subject: Re: Kortutskrift november" in received.raw


def test_smtp_sink_requires_starttls(smtp_sink: SmtpSink) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.ehlo()
        assert not client.has_extn("auth")

        with pytest.raises(smtplib.SMTPSenderRefused, match="STARTTLS"):
            client.send_message(reply())

    assert smtp_sink.messages == []


def test_smtp_sink_rejects_wrong_password(smtp_sink: SmtpSink, mail_certificate: LoopbackCertificate) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.starttls(context=mail_certificate.client_context())

        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(SMTP_USER, "wrong-password")
        with pytest.raises(smtplib.SMTPSenderRefused, match="Authentication required"):
            client.send_message(reply())

    assert smtp_sink.messages == []


def test_smtp_sink_over_implicit_tls(make_smtp_sink: Callable[..., SmtpSink], mail_certificate: LoopbackCertificate) -> None:
    sink = make_smtp_sink(implicit_tls=True, user=SMTP_USER, password=SMTP_PASSWORD)

    with smtplib.SMTP_SSL(sink.host, sink.port, timeout=5, context=mail_certificate.client_context()) as client:
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(reply("a@example.no"))
        client.send_message(reply("b@example.no"))

    received = sink.wait_for(2)
    assert [message.envelope_to for message in received] == [["a@example.no"], ["b@example.no"]]


def test_smtp_sink_over_implicit_tls_requires_auth(
    make_smtp_sink: Callable[..., SmtpSink], mail_certificate: LoopbackCertificate
) -> None:
    sink = make_smtp_sink(implicit_tls=True, user=SMTP_USER, password=SMTP_PASSWORD)

    with smtplib.SMTP_SSL(sink.host, sink.port, timeout=5, context=mail_certificate.client_context()) as client:
        with pytest.raises(smtplib.SMTPSenderRefused, match="Authentication required"):
            client.send_message(reply())

    assert sink.messages == []


def test_smtp_sink_wait_for_times_out(smtp_sink: SmtpSink) -> None:
    with pytest.raises(AssertionError, match="received 0 messages within 0.1 s, expected 1"):
        smtp_sink.wait_for(1, timeout=0.1)


# ----- cutting proxy


def test_proxy_cut_breaks_imap_connection(dovecot: Dovecot, proxy: Callable[[int], CuttingProxy]) -> None:
    front = proxy(dovecot.tls_port)
    client = imap_over_tls(front.port, dovecot)
    client.login(dovecot.user, dovecot.password)
    client.select_folder("INBOX")

    cut = front.cut()

    assert cut == 1
    assert front.open_connections == 0
    with pytest.raises(IMAPClient.AbortError, match="EOF"):
        client.noop()

    again = imap_over_tls(front.port, dovecot)
    again.login(dovecot.user, dovecot.password)
    assert front.accepted_connections == 2
    again.logout()


def test_proxy_cut_with_reset_sends_rst(proxy: Callable[[int], CuttingProxy]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        front = proxy(server.getsockname()[1])
        client = socket.create_connection((front.host, front.port), timeout=5)
        upstream, _ = server.accept()
        client.sendall(b"EHLO")
        assert upstream.recv(4) == b"EHLO"

        cut = front.cut(reset=True)

        assert cut == 1
        with pytest.raises(ConnectionResetError):
            client.recv(1)
        with pytest.raises(ConnectionResetError):
            upstream.recv(1)
        client.close()
        upstream.close()


def test_proxy_cut_after_server_bytes_breaks_fetch(dovecot: Dovecot, proxy: Callable[[int], CuttingProxy]) -> None:
    report = large_message(3000)
    uid = dovecot.append(report)
    front = proxy(dovecot.tls_port)
    client = imap_over_tls(front.port, dovecot)
    client.login(dovecot.user, dovecot.password)
    client.select_folder("INBOX")

    front.cut_after(server_bytes=len(report) // 2)

    with pytest.raises(IMAPClient.AbortError):
        client.fetch([uid], ["BODY.PEEK[]"])

    again = imap_over_tls(front.port, dovecot)
    again.login(dovecot.user, dovecot.password)
    again.select_folder("INBOX")
    assert again.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == report
    assert front.accepted_connections == 2
    again.logout()
