"""``allocbot run``: the checks of its secrets, and the bot serving Slack until it is stopped.

A real run opens the store and loads spaCy before it listens, which took
about ten seconds in a new process on the development machine, so the
tests wait up to STARTUP_SECONDS for the port.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot import service
from bot.cli import main
from bot.commands import build_pipeline
from bot.config import Settings, load_settings
from bot.errors import InputError
from bot.store.database import Store
from bot.store.leases import get_lease
from bot.store.models import JobRun

from .conftest import BOT_TOKEN, SIGNING_SECRET
from .helpers import wait_until
from .requests import SlackRequests, sign
from .standin import SlackStandIn
from .world import OLA, add_purchases, purchase, write_settings

STARTUP_SECONDS = 60
STOP_SECONDS = 10
SHUTDOWN_SECONDS = 8
REPLICA = "replica-sigterm"
# Names of the threads that the HTTP server, the scheduler and its heartbeat start. None may be left once run() returns.
SERVICE_THREADS = ("slack-http", "APScheduler", "job-heartbeat")
REPOSITORY = Path(__file__).resolve().parents[2]


class BotThread:
    """``service.run`` in a thread, with the event that stops it and its exit status or exception."""

    def __init__(self, settings: Settings) -> None:
        self.stop = threading.Event()
        self.status: int | None = None
        self.error: BaseException | None = None
        self.port = settings.slack.listen_port
        self.thread = threading.Thread(target=self._run, args=(settings,), name="allocbot-run", daemon=True)

    def _run(self, settings: Settings) -> None:
        try:
            self.status = service.run(settings, stop=self.stop)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever ended the run
            self.error = exc

    def start(self) -> None:
        self.thread.start()
        wait_for_port(self.port, alive=self.thread.is_alive, failure=lambda: self.error)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(STOP_SECONDS)


def free_port() -> int:
    """Return a port that the system reports free; another process may take it before the bot binds it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Tell whether a server could listen on ``port`` now (with SO_REUSEADDR, as servers bind)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, *, alive, failure) -> None:
    """Poll until something listens on ``port``; fail at once when the bot ended before it listened."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"the bot ended before it listened on port {port}: {failure()!r}")
        if is_listening(port):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on port {port} within {STARTUP_SECONDS} s")


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            # When the system picks ``port`` itself as the source port, TCP connects the socket to
            # itself although nothing listens.
            return connection.getsockname() != connection.getpeername()
    except OSError:
        return False


class StderrReader:
    """Reads a process's stderr in a thread, so that the pipe never fills, and waits for a line."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.ended = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), name="stderr-reader", daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._condition:
                self.lines.append(line)
                self._condition.notify_all()
        with self._condition:
            self.ended = True
            self._condition.notify_all()

    def wait_for(self, text: str, timeout: float) -> None:
        """Wait until a line contains ``text``; fail when the stream ends or ``timeout`` seconds pass first."""
        with self._condition:
            self._condition.wait_for(lambda: self.ended or self._contains(text), timeout)
            if not self._contains(text):
                raise AssertionError(f"no line with {text!r} on stderr; the last lines: {self.lines[-20:]}")

    def text(self) -> str:
        """Return everything read so far; after the process ends, waits for the rest of the stream."""
        self._thread.join(STOP_SECONDS)
        with self._condition:
            return "".join(self.lines)

    def _contains(self, text: str) -> bool:
        return any(text in line for line in self.lines)



def service_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith(SERVICE_THREADS)]


def requests_to_thread(bot_thread: BotThread, standin: SlackStandIn) -> SlackRequests:
    url = f"http://127.0.0.1:{bot_thread.port}/slack/events"
    return SlackRequests(url, SIGNING_SECRET, standin.team_id, standin.app_id, standin)


def run_settings(folder: Path, standin: SlackStandIn) -> Settings:
    """Write the settings of a bot on the stand-in, listening on a free port of 127.0.0.1.

    The health endpoint is off, and so is the monthly report, which a bot
    started in the first days of a month would otherwise send at once.
    """
    settings = write_settings(folder, standin.api_url)
    return settings.model_copy(update={"slack": settings.slack.model_copy(update={"listen_port": free_port()}),
                                       "service": settings.service.model_copy(update={"health_port": 0}),
                                       "report": settings.report.model_copy(update={"enabled": False})})


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest.fixture
def bot_thread(tmp_path: Path, standin: SlackStandIn, secrets_set) -> Iterator[BotThread]:
    running = BotThread(run_settings(tmp_path, standin))
    try:
        yield running
    finally:
        running.finish()


def test_missing_bot_token_exits_2(tmp_path, standin, monkeypatch, capsys):
    write_settings(tmp_path, standin.api_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)

    status = main(["run", "--config", str(tmp_path / "config.toml")])

    assert status == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    assert standin.calls == []


def test_run_json_logs_name_default_replica(tmp_path, standin):
    write_settings(tmp_path, standin.api_url)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[service]\nlog_format = "json"\n', encoding="utf-8")
    environment = {name: value for name, value in os.environ.items() if name != "SLACK_BOT_TOKEN"}
    command = [sys.executable, "-m", "bot.cli", "run", "--config", str(config)]

    finished = subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True, text=True,
                              timeout=STARTUP_SECONDS)
    records = [json.loads(line) for line in finished.stderr.splitlines() if line.startswith("{")]
    started = [record for record in records if record.get("message") == "allocbot run started"]

    assert finished.returncode == 2
    assert len(started) == 1
    # No service.replica is configured, so the name is "<host name>-<process id>".
    assert re.fullmatch(rf"{re.escape(socket.gethostname())}-\d+", started[0].get("replica", ""))


def test_missing_signing_secret_exits_2(tmp_path, standin, monkeypatch, capsys):
    write_settings(tmp_path, standin.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)

    status = main(["run", "--config", str(tmp_path / "config.toml")])

    assert status == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err
    assert standin.calls == []


def test_socket_mode_needs_app_token(tmp_path, standin, monkeypatch, capsys):
    write_settings(tmp_path, standin.api_url)
    with (tmp_path / "config.toml").open("a", encoding="utf-8") as config:
        config.write('mode = "socket"\n')  # [slack] is the file's last section
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)

    status = main(["run", "--config", str(tmp_path / "config.toml")])

    assert status == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err


def test_run_serves_until_stopped(bot_thread, standin):
    bot_thread.start()
    requests = requests_to_thread(bot_thread, standin)

    verified = requests.url_verification("challenge-1234")
    forged = requests.url_verification("challenge-5678", secret="wrong-secret")
    threads_while_running = {name for name in service_threads() if name in SERVICE_THREADS}
    bot_thread.finish()

    assert threads_while_running == set(SERVICE_THREADS)
    assert verified.status == 200
    assert "challenge-1234" in verified.body
    assert forged.status == 401
    assert not bot_thread.thread.is_alive()
    assert bot_thread.error is None
    assert bot_thread.status == 0
    assert port_is_free(bot_thread.port)
    assert wait_until(lambda: not service_threads(), message="the server and scheduler threads to end")


def test_stop_closes_open_connections(bot_thread):
    bot_thread.start()
    body = b'{"type": "url_verification", "challenge": "kept-alive", "token": "t"}'
    headers = {"Content-Type": "application/json", **sign(body, SIGNING_SECRET)}
    # HTTP/1.1 keeps the connection open after the response, as a reverse proxy in front of the bot does.
    connection = http.client.HTTPConnection("127.0.0.1", bot_thread.port, timeout=5)
    try:
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        bot_thread.finish()
        threads_at_stop = service_threads()
    finally:
        connection.close()

    assert response.status == 200
    assert not bot_thread.thread.is_alive()
    assert "slack-http" not in threads_at_stop
    assert port_is_free(bot_thread.port)


def test_run_logs_no_secret(bot_thread, standin, caplog):
    caplog.set_level(logging.DEBUG)
    bot_thread.start()
    requests_to_thread(bot_thread, standin).url_verification()
    bot_thread.finish()

    assert caplog.records
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text


def test_run_sends_unsent_questions_at_start(tmp_path, standin, secrets_set, capsys):
    settings = run_settings(tmp_path, standin)
    # Without a Slack asker the pipeline prints the question and leaves it unsent.
    pipeline = build_pipeline(settings)
    add_purchases(pipeline.store, [purchase(1, "Logitech MX Master 3S trådløs mus", OLA, "899.00")])
    pipeline.process()
    pipeline.store.close()
    running = BotThread(settings)

    try:
        running.start()
        posted = standin.wait_for("chat.postMessage", lambda call: call.error is None)
    finally:
        running.finish()

    assert len(posted) == 1
    assert posted[0].params["channel"] == standin.dm_channel("U0OLA")
    assert running.status == 0


def test_sigterm_stops_allocbot_run(tmp_path, standin):
    settings = run_settings(tmp_path, standin)
    health_port = free_port()
    # The mailbox job holds the "mailbox" lease whether or not the server answers; nothing listens on this port.
    config = tmp_path / "config.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f"listen_port = {settings.slack.listen_port}\n"
                      + f'[service]\nreplica = "{REPLICA}"\nshutdown_seconds = {SHUTDOWN_SECONDS}\n'
                      + f"lease_seconds = 10\nhealth_port = {health_port}\n"
                      + f'[mailbox]\nhost = "127.0.0.1"\nport = {free_port()}\nusername = "bot"\n'
                      + "[report]\nenabled = false\n",
                      encoding="utf-8")
    store = Store(load_settings(config).store.url)
    environment = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                   "ALLOCBOT_IMAP_PASSWORD": "not-used"}
    command = [sys.executable, "-m", "bot.cli", "run", "--verbose", "--config", str(config)]

    process = subprocess.Popen(command, cwd=REPOSITORY, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    stderr = StderrReader(process.stderr)
    try:
        stderr.wait_for(f"allocbot running: replica {REPLICA}", STARTUP_SECONDS)
        holder = wait_until(lambda: lease_holder(store, "mailbox"), message="the mailbox lease to be taken")
        with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/healthz", timeout=5) as response:
            health_status = response.status
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        process.wait(SHUTDOWN_SECONDS + STOP_SECONDS)
        stop_seconds = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    errors = stderr.text()
    holder_after = lease_holder(store, "mailbox")
    with store.session() as session:
        running = session.exec(select(JobRun).where(JobRun.status == "running")).all()
    store.close()

    assert process.returncode == 0, errors[-2000:]
    assert stop_seconds < SHUTDOWN_SECONDS
    assert holder == REPLICA
    assert health_status == 200
    assert holder_after is None
    assert running == []
    assert f"allocbot stopping: replica {REPLICA}" in errors
    assert f"allocbot stopped: replica {REPLICA}" in errors
    assert BOT_TOKEN not in errors
    assert SIGNING_SECRET not in errors


def lease_holder(store: Store, name: str) -> str | None:
    with store.session() as session:
        lease = get_lease(session, name)
    return lease.holder if lease else None


def test_rejected_bot_token_exits_2(tmp_path, standin, monkeypatch, capsys):
    write_settings(tmp_path, standin.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)

    status = main(["run", "--config", str(tmp_path / "config.toml")])

    error = capsys.readouterr().err
    assert status == 2
    assert "SLACK_BOT_TOKEN" in error
    assert "invalid_auth" in error
    assert "xoxb-revoked" not in error


def test_unreachable_slack_exits_1(tmp_path, monkeypatch, capsys):
    # A port that nothing listens on: the connection is refused at once.
    write_settings(tmp_path, f"http://127.0.0.1:{free_port()}/api/")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)

    status = main(["run", "--config", str(tmp_path / "config.toml")])

    error = capsys.readouterr().err
    assert status == 1
    assert "Slack" in error
    assert "Traceback" not in error


def test_port_in_use_is_clear_error(tmp_path, standin, secrets_set):
    settings = run_settings(tmp_path, standin)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.slack.listen_port))
        taken.listen()

        with pytest.raises(InputError) as raised:
            service.run(settings, stop=threading.Event())

    assert str(settings.slack.listen_port) in raised.value.describe()
    assert raised.value.exit_status == 1
