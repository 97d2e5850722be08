"""Replicas of ``allocbot run`` as real processes around one PostgreSQL database, one mailbox and one Slack.

A ``ServiceWorld`` is everything one test runs the service against: a new
database on the local PostgreSQL, a Dovecot mailbox, an SMTP sink for the
replies, the Slack stand-in, a shared JSON export folder and the sample
company's master data. It writes a config.toml per replica and starts
``<venv>/bin/allocbot --config FILE run`` as a child process whose log
goes to a file. ``stop_all`` ends every process it started: SIGTERM first,
SIGKILL after ``STOP_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bot.store.database import Store

from mail_app.dovecot import Dovecot
from mail_app.smtp_sink import SmtpSink
from slack_app.requests import SlackRequests
from slack_app.standin import SlackStandIn

log = logging.getLogger(__name__)

T = TypeVar("T")

ALLOCBOT = Path(sys.executable).with_name("allocbot")
BOT_TOKEN = "xoxb-service-test"
SIGNING_SECRET = "service-test-signing-secret"
IMAP_PASSWORD_ENV = "SERVICE_TEST_IMAP_PASSWORD"
SMTP_PASSWORD_ENV = "SERVICE_TEST_SMTP_PASSWORD"
CONTROLLER_CHANNEL = "C0CONTROL"

# spaCy and the store take about ten seconds to load in a new process; three at once on two cores take longer.
STARTUP_SECONDS = 90
STOP_SECONDS = 20
POLL_SECONDS = 5
LEASE_SECONDS = 10
# The scheduled posting runs every minute, the shortest a crontab allows.
POST_CRON = "* * * * *"


@dataclass
class Replica:
    """One ``allocbot run`` process: its settings file, ports, log file and, while it runs, its process."""

    name: str
    config: Path
    slack_port: int
    health_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.slack_port}/slack/events"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to end and return its exit status (negative: the signal that ended it)."""
        assert self.process is not None, f"replica {self.name} was not started"
        status = self.process.wait(timeout)
        self.exits.append(status)
        self.process = None
        return status

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``STOP_SECONDS``; return the exit status, None when it was not running."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.wait_exit(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("replica %s outlived SIGTERM by %s s; sending SIGKILL", self.name, STOP_SECONDS)
                self.process.kill()
        return self.wait_exit(STOP_SECONDS)

    def kill(self) -> int:
        """End the process with SIGKILL from outside, as an OOM killer or a lost machine does."""
        assert self.process is not None, f"replica {self.name} was not started"
        self.process.kill()
        return self.wait_exit(STOP_SECONDS)


@dataclass
class Command:
    """An allocbot command other than ``run``, such as ``post``, running as a child process."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def wait(self, timeout: float) -> int:
        """Wait for the command to end and return its exit status (negative: the signal that ended it)."""
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class ServiceWorld:
    """The servers, files and database that the replicas of one test share."""

    folder: Path
    database_url: str
    dovecot: Dovecot
    smtp: SmtpSink
    standin: SlackStandIn
    master_data: Path
    allowed_sender: str
    cafile: Path
    slack_ids: dict[str, str]
    controller: str
    replicas: dict[str, Replica] = field(default_factory=dict)
    commands: list[Command] = field(default_factory=list)
    _store: Store | None = None

    @property
    def export_dir(self) -> Path:
        return self.folder / "export"

    @property
    def store(self) -> Store:
        """A store on the test's database for reading what the replicas did; migrated by the replicas."""
        if self._store is None:
            self._store = Store(self.database_url)
        return self._store

    # -- replicas ------------------------------------------------------------

    def replica(self, name: str, *, post_cron: str = POST_CRON) -> Replica:
        """Return the replica ``name``, writing its settings file the first time."""
        if name not in self.replicas:
            folder = self.folder / name
            folder.mkdir(parents=True, exist_ok=True)
            replica = Replica(name, folder / "config.toml", free_port(), free_port(), folder / "allocbot.log")
            replica.config.write_text(self._config(replica, folder, post_cron), encoding="utf-8")
            self.replicas[name] = replica
        return self.replicas[name]

    def start(self, name: str, *, failpoints: str = "", post_cron: str = POST_CRON) -> Replica:
        """Start ``allocbot run`` for replica ``name``; its log file keeps the output of every start.

        ``post_cron`` applies when the replica starts for the first time, which writes its settings.
        """
        replica = self.replica(name, post_cron=post_cron)
        assert not replica.running(), f"replica {name} runs already"
        assert ALLOCBOT.exists(), f"{ALLOCBOT} is missing: install the project into the virtual environment"
        environment = self.environment(failpoints)
        with replica.log_path.open("ab") as output:
            output.write(f"--- start of replica {name}, failpoints {failpoints or 'none'}\n".encode())
            output.flush()
            replica.process = subprocess.Popen(
                [str(ALLOCBOT), "--config", str(replica.config), "run"], cwd=self.folder / name, env=environment,
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        log.info("started replica %s as process %d", name, replica.process.pid)
        return replica

    def wait_listening(self, *replicas: Replica) -> None:
        """Wait until every replica accepts Slack requests; fail at once when one ended before."""
        deadline = time.monotonic() + STARTUP_SECONDS
        waiting = list(replicas)
        while waiting:
            for replica in list(waiting):
                if not replica.running():
                    raise AssertionError(f"replica {replica.name} ended before it listened; its log:\n"
                                         f"{replica.log()[-4000:]}")
                if is_listening(replica.slack_port):
                    waiting.remove(replica)
            if time.monotonic() > deadline:
                raise AssertionError(f"replicas {[replica.name for replica in waiting]} did not listen within "
                                     f"{STARTUP_SECONDS} s")
            time.sleep(0.2)

    def command(self, name: str, *arguments: str, failpoints: str = "") -> Command:
        """Start another allocbot command, such as ``post``, with replica ``name``'s settings; log beside it."""
        replica = self.replica(name)
        log_path = replica.log_path.with_name(f"{'-'.join(arguments)}-{len(self.commands)}.log")
        with log_path.open("wb") as output:
            process = subprocess.Popen([str(ALLOCBOT), "--config", str(replica.config), "--verbose", *arguments],
                                       cwd=self.folder / name, env=self.environment(failpoints),
                                       stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        command = Command(process, log_path)
        self.commands.append(command)
        return command

    def requests(self, replica: Replica) -> SlackRequests:
        """Signed Slack requests to one replica's HTTP endpoint."""
        return SlackRequests(replica.url, SIGNING_SECRET, self.standin.team_id, self.standin.app_id, self.standin)

    def environment(self, failpoints: str = "") -> dict[str, str]:
        """The environment of a child process: the secrets, the test CA, and the failpoints when given."""
        environment = {key: value for key, value in os.environ.items() if key != "ALLOCBOT_FAILPOINTS"}
        environment.update({
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            IMAP_PASSWORD_ENV: self.dovecot.password,
            SMTP_PASSWORD_ENV: str(self.smtp.password),
            # Python's default SSL context trusts this file only, so the replicas accept the test servers.
            "SSL_CERT_FILE": str(self.cafile),
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        })
        environment.pop("SLACK_APP_TOKEN", None)
        if failpoints:
            environment["ALLOCBOT_FAILPOINTS"] = failpoints
        return environment

    def stop_all(self) -> dict[str, int | None]:
        """Stop every replica and command still running; return each replica's exit status."""
        for command in self.commands:
            if command.process.poll() is None:
                command.process.kill()
                command.process.wait(STOP_SECONDS)
        statuses = {name: replica.stop() for name, replica in self.replicas.items()}
        if self._store is not None:
            self._store.close()
            self._store = None
        return statuses

    def logs(self) -> dict[str, str]:
        """Every log file of the test by name: the replicas' and the commands'."""
        return {path.relative_to(self.folder).as_posix(): path.read_text(encoding="utf-8", errors="replace")
                for path in sorted(self.folder.glob("*/*.log"))}

    # -- settings ------------------------------------------------------------

    def _config(self, replica: Replica, folder: Path, post_cron: str) -> str:
        """The settings of one replica: shared store, mailbox, Slack and export; its own ports and model folder."""
        return (
            f'master_data = "{self.master_data}"\n'
            "[store]\n"
            f'url = "{self.database_url}"\n'
            "[mail]\n"
            f'documents_dir = "{self.folder / "documents"}"\n'
            f'inbox_dir = "{folder / "inbox"}"\n'
            "[model]\n"
            f'dir = "{folder / "models"}"\n'
            "[export]\n"
            'connector = "json"\n'
            'grouping = "item"\n'
            f'export_dir = "{self.export_dir}"\n'
            "backoff_seconds = 0.2\n"
            "[mailbox]\n"
            f'host = "127.0.0.1"\nport = {self.dovecot.tls_port}\nsecurity = "tls"\n'
            f'username = "{self.dovecot.user}"\npassword_env = "{IMAP_PASSWORD_ENV}"\n'
            f'allowed_senders = ["{self.allowed_sender.partition("@")[2]}"]\n'
            f"poll_seconds = {POLL_SECONDS}\n"
            "[smtp]\n"
            f'host = "127.0.0.1"\nport = {self.smtp.port}\nsecurity = "starttls"\n'
            f'username = "{self.smtp.user}"\npassword_env = "{SMTP_PASSWORD_ENV}"\n'
            'from_address = "bilag@nordlys-teknikk.no"\n'
            "[slack]\n"
            f'api_url = "{self.standin.api_url}"\n'
            f'controller_channel = "{CONTROLLER_CHANNEL}"\n'
            f"listen_port = {replica.slack_port}\n"
            "[service]\n"
            f'replica = "{replica.name}"\n'
            f"health_port = {replica.health_port}\n"
            f"lease_seconds = {LEASE_SECONDS}\n"
            f'post_cron = "{post_cron}"\n'
            "shutdown_seconds = 10\n"
        )


def free_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            # A connection to a free port can connect to itself when the system picks that port as its source.
            return connection.getsockname() != connection.getpeername()
    except OSError:
        return False


def wait_until(condition: Callable[[], T], timeout: float, message: str | Callable[[], str],
               alive: Callable[[], None] | None = None) -> T:
    """Poll ``condition`` every 0.25 s until it returns something truthy; fail naming ``message`` on timeout.

    ``alive`` runs on every round and raises to stop waiting early, for example when a replica died.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if alive is not None:
            alive()
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {text}")
        time.sleep(0.25)
