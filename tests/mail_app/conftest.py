"""Mail servers for the mailbox tests: Dovecot for IMAP, an SMTP sink and a cutting TCP proxy.

All of them listen on 127.0.0.1 only. The Dovecot tests need the Debian package
dovecot-imapd and root. Without them the tests are skipped, or fail when the environment
variable CI is ``true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .certificate import LoopbackCertificate, make_certificate
from .dovecot import Dovecot, unavailable_reason
from .proxy import CuttingProxy
from .smtp_sink import SmtpSink

SMTP_USER = "allocbot@example.no"
SMTP_PASSWORD = "smtp-test-password"

# Log lines printed at teardown. pytest shows them only for a failed test.
LOG_LINES_ON_FAILURE = 60


@pytest.fixture(scope="session")
def mail_certificate(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    """The CA and server certificate that every mail server of the session presents."""
    return make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture
def dovecot(tmp_path: Path, mail_certificate: LoopbackCertificate) -> Iterator[Dovecot]:
    """A running Dovecot with an empty INBOX for the user regnskap@example.no."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)

    server = Dovecot(tmp_path / "dovecot", mail_certificate).start()
    try:
        yield server
    finally:
        server.stop()
        print(f"Dovecot log {server.log_path}, last lines:")
        print("\n".join(server.log().splitlines()[-LOG_LINES_ON_FAILURE:]))


@pytest.fixture
def make_smtp_sink(mail_certificate: LoopbackCertificate) -> Iterator[Callable[..., SmtpSink]]:
    """Start an SmtpSink with the session's certificate; keyword arguments go to SmtpSink."""
    sinks: list[SmtpSink] = []

    def make(**options: Any) -> SmtpSink:
        options.setdefault("certificate", mail_certificate)
        sink = SmtpSink(**options).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()


@pytest.fixture
def smtp_sink(make_smtp_sink: Callable[..., SmtpSink]) -> SmtpSink:
    """An SMTP sink that requires STARTTLS and then AUTH as ``SMTP_USER`` with ``SMTP_PASSWORD``."""
    return make_smtp_sink(user=SMTP_USER, password=SMTP_PASSWORD)


@pytest.fixture
def proxy() -> Iterator[Callable[[int], CuttingProxy]]:
    """Start a CuttingProxy in front of a port on 127.0.0.1: ``proxy(dovecot.tls_port)``."""
    proxies: list[CuttingProxy] = []

    def make(target_port: int) -> CuttingProxy:
        started = CuttingProxy(target_port).start()
        proxies.append(started)
        return started

    yield make
    for started in proxies:
        started.stop()
