"""Fixtures of the service tests: the sample mail, and a ServiceWorld with its servers per test.

The tests need the local PostgreSQL (127.0.0.1:5432) and Dovecot
(the Debian package dovecot-imapd, run as root). Without either they are
skipped with the reason, or fail when the environment variable CI is
``true``, as the mail tests do.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.sample.generator import SampleFiles, generate

from conftest import POSTGRES_ADMIN_URL
from mail_app.certificate import LoopbackCertificate, make_certificate
from mail_app.dovecot import Dovecot, unavailable_reason
from mail_app.smtp_sink import SmtpSink
from slack_app.standin import SlackStandIn, SlackUser
from .harness import BOT_TOKEN, CONTROLLER_CHANNEL, ServiceWorld
from .mail_input import MailInput, build_mail_input

SMTP_USER = "bilag@nordlys-teknikk.no"
SMTP_PASSWORD = "service-test-smtp-password"
SCOPES = ("chat:write", "im:write", "im:history", "channels:history", "groups:history", "users:read",
          "users:read.email", "commands")
# Log lines printed at teardown, which pytest shows for a failed test only.
LOG_LINES_ON_FAILURE = 80


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleFiles:
    return generate(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def mail_input(sample: SampleFiles) -> MailInput:
    return build_mail_input(sample)


@pytest.fixture(scope="session")
def service_certificate(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    return make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture
def service_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL, dropped after the test; the replicas migrate it."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        _skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {error.orig}")

    database = f"allocbot_service_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(tmp_path: Path, sample: SampleFiles, mail_input: MailInput, service_certificate: LoopbackCertificate,
          service_database: str) -> Iterator[ServiceWorld]:
    """The servers and files of one test; every process the test started is ended when it finishes."""
    reason = unavailable_reason()
    if reason is not None:
        _skip_or_fail(reason)

    dovecot = Dovecot(tmp_path / "dovecot", service_certificate).start()
    smtp = SmtpSink(service_certificate, user=SMTP_USER, password=SMTP_PASSWORD).start()
    employees = tomllib.loads(sample.master_data.read_text(encoding="utf-8"))["employees"]
    users = [SlackUser(id=f"U{number:04d}", email=employee["email"], name=employee["email"].split("@")[0],
                       real_name=employee["name"]) for number, employee in enumerate(employees, start=1)]
    standin = SlackStandIn(bot_token=BOT_TOKEN, users=users, channels=[CONTROLLER_CHANNEL], scopes=SCOPES).start()
    controller = next(employee["email"] for employee in employees if employee["role"] == "controller")
    running = ServiceWorld(tmp_path, service_database, dovecot, smtp, standin, sample.master_data,
                           mail_input.sender, service_certificate.cafile,
                           slack_ids={user.email: user.id for user in users}, controller=controller)
    try:
        yield running
    finally:
        running.stop_all()
        standin.stop()
        smtp.stop()
        dovecot.stop()
        for name, text_of_log in running.logs().items():
            print(f"--- {name}, last lines:")
            print("\n".join(text_of_log.splitlines()[-LOG_LINES_ON_FAILURE:]))

