"""An SMTP server on 127.0.0.1 that stores what it receives, built on aiosmtpd 1.4.6.

It speaks plain SMTP, SMTP with STARTTLS, or SMTP over implicit TLS (SMTPS), and can
require AUTH (PLAIN or LOGIN) with one user and password. Each message is stored with
its envelope, and tests read them with ``messages`` or ``wait_for()``.
"""

from __future__ import annotations

import email.policy
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from types import TracebackType
from typing import NamedTuple

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .certificate import LoopbackCertificate


class ReceivedMessage(NamedTuple):
    """A message as the sink received it.

    ``raw`` is the message from DATA, dot-unstuffed, with CRLF line ends. ``message`` is parsed
    from ``raw`` with LF line ends, so that its text parts end lines with "\\n".
    """

    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    message: EmailMessage


class _Recorder:
    """aiosmtpd handler that stores each message and wakes wait_for()."""

    def __init__(self, *, require_auth: bool) -> None:
        self.require_auth = require_auth
        self.condition = threading.Condition()
        self.messages: list[ReceivedMessage] = []

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # aiosmtpd's own auth_required counts only STARTTLS as TLS, so on SMTPS it would
        # warn on every connection. This check rejects MAIL before AUTH on both.
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        received = ReceivedMessage(envelope.mail_from or "", list(envelope.rcpt_tos), raw, message)
        with self.condition:
            self.messages.append(received)
            self.condition.notify_all()
        return "250 OK"


class _FreePortController(Controller):
    """A Controller that binds an OS-chosen port when given port 0."""

    def _trigger_server(self) -> None:
        # The base class connects to self.port to check that the server responds, so it
        # needs the bound port, which exists only once the server has started.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """An SMTP server that accepts every message, stores it and delivers nothing.

    With ``certificate`` the server offers STARTTLS, and rejects mail before STARTTLS
    when ``require_starttls`` is true. ``implicit_tls`` makes it SMTPS: TLS from the
    first byte. With ``user`` and ``password`` it requires AUTH before MAIL, and offers
    AUTH only over TLS.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        certificate: LoopbackCertificate | None = None,
        *,
        require_starttls: bool = True,
        implicit_tls: bool = False,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        if certificate is None and (implicit_tls or user is not None):
            raise ValueError("implicit TLS and AUTH need a certificate")
        if (user is None) != (password is None):
            raise ValueError("give both user and password, or neither")

        self.certificate = certificate
        self.require_starttls = require_starttls
        self.implicit_tls = implicit_tls
        self.user = user
        self.password = password
        self.port = 0
        self._recorder = _Recorder(require_auth=user is not None)
        self._controller: _FreePortController | None = None

    # ----- lifecycle

    def start(self) -> SmtpSink:
        self._controller = _FreePortController(self._recorder, hostname=self.host, port=0, **self._smtp_options())
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # ----- received mail

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._recorder.condition:
            return list(self._recorder.messages)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages have arrived and return all of them.

        Raises AssertionError after ``timeout`` seconds, naming how many arrived.
        """
        deadline = time.monotonic() + timeout
        with self._recorder.condition:
            while len(self._recorder.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"SMTP sink on port {self.port} received {len(self._recorder.messages)} "
                        f"messages within {timeout} s, expected {count}"
                    )
                self._recorder.condition.wait(remaining)
            return list(self._recorder.messages)

    # ----- helpers

    def _smtp_options(self) -> dict[str, object]:
        """Return the keyword arguments for aiosmtpd's Controller and SMTP for this sink's settings."""
        # A fixed host name keeps aiosmtpd from looking up the machine's FQDN, which may query DNS.
        options: dict[str, object] = {"server_hostname": "localhost"}
        if self.certificate is not None:
            context = self.certificate.server_context()
            if self.implicit_tls:
                options["ssl_context"] = context
            else:
                options["tls_context"] = context
                options["require_starttls"] = self.require_starttls
        if self.user is not None:
            options["authenticator"] = self._authenticate
            # aiosmtpd counts only STARTTLS as TLS, so on SMTPS it would never offer AUTH.
            options["auth_require_tls"] = not self.implicit_tls
        return options

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        assert self.user is not None and self.password is not None
        accepted = auth_data.login == self.user.encode() and auth_data.password == self.password.encode()
        return AuthResult(success=accepted, handled=False)
