"""The long-running bot (``allocbot run``): the Slack app, the mailbox job and the scheduled jobs, until stopped.

The scheduled jobs are listed in ``bot.jobs``. Several replicas may run
against one PostgreSQL store: each fire time of a job runs on one of them
(``bot.scheduling``), one polls the mailbox while it holds the "mailbox"
lease, and one at a time sends questions (the delivery lock in
``bot.handlers.delivery``). Unsent questions are also sent at the start.

SIGTERM or SIGINT stops the replica: it stops the Slack server and takes
no new work, lets the job runs and the mail message in progress finish
within one shared ``service.shutdown_seconds``, hands back the runs still
going and releases its leases, so another replica takes them over at once.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.commands import build_pipeline
from bot.config import Settings, secret
from bot.errors import ConfigError, InputError
from bot.handlers.server import HttpServer, SocketServer
from bot.handlers.wiring import SlackParts, build_slack
from bot.i18n import N_, Translator
from bot.lease_keeper import LeaseKeeper
from bot.mail.intake import MailIntake
from bot.mail.replier import MailReplier
from bot.mail.watcher import MailboxWatcher
from bot.scheduling import JobRunner, build_scheduler, replica_name
from bot.service_jobs import service_jobs

log = logging.getLogger(__name__)

T = TypeVar("T")

MAILBOX_LEASE = "mailbox"


def run(settings: Settings, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM or SIGINT (or until ``stop`` is set); return the exit status."""
    stop = stop or threading.Event()
    replica = replica_name(settings.service.replica)
    bot_token = _required_secret(settings, "slack_bot_token", "SLACK_BOT_TOKEN")
    socket_mode = settings.slack.mode == "socket"
    signing_secret = None if socket_mode else _required_secret(settings, "slack_signing_secret",
                                                                "SLACK_SIGNING_SECRET")
    app_token = _required_secret(settings, "slack_app_token", "SLACK_APP_TOKEN") if socket_mode else None

    pipeline = build_pipeline(settings)
    _prepare_classifier(pipeline)
    slack = _connect(settings, lambda: build_slack(settings, pipeline, bot_token=bot_token,
                                                   signing_secret=signing_secret), "SLACK_BOT_TOKEN")
    if socket_mode:
        server = SocketServer(slack.app, app_token)
    else:
        server = _listen(settings, lambda: HttpServer(slack.app, settings.slack))

    service = settings.service
    runner = JobRunner(pipeline.store, replica, service_jobs(settings, pipeline, slack),
                       lease_seconds=service.lease_seconds, misfire_grace_seconds=service.misfire_grace_seconds)
    scheduler = build_scheduler(runner, misfire_grace_seconds=service.misfire_grace_seconds)
    watcher = _mailbox_watcher(settings, pipeline, slack, replica)
    checks = {"scheduler": lambda: scheduler.running, "heartbeat": runner.heartbeat_healthy}
    if watcher is not None:
        checks["mailbox"] = watcher.healthy

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal_number, lambda *_: stop.set())

    log.info("allocbot starting: replica %s, Slack %s mode", replica, settings.slack.mode)
    health = None
    try:
        _connect(settings, server.start, "SLACK_APP_TOKEN")
        health = _health_server(settings, pipeline.store, replica, checks)
        scheduler.start()
        runner.start()
        if watcher is not None:
            watcher.start()
        log.info("allocbot running: replica %s", replica)
        slack.asker.resend()
        stop.wait()
    finally:
        _shutdown(settings, replica, server, scheduler, runner, watcher)
        if health is not None:
            health.stop()
        pipeline.store.close()
    log.info("allocbot stopped: replica %s", replica)
    return 0


def _shutdown(settings: Settings, replica: str, server, scheduler, runner: JobRunner,
              watcher: MailboxWatcher | None) -> None:
    """Take no new work, let the work in progress finish within ``service.shutdown_seconds``, hand back the rest.

    The job runs and the mail message in progress share one deadline: the
    mailbox job stops in a thread of its own while this thread waits for
    the runs. The heartbeat renews the runs' leases until they end or the
    time is up, so no other replica takes over a run that still works here.
    """
    limit = settings.service.shutdown_seconds
    deadline = time.monotonic() + limit
    log.info("allocbot stopping: replica %s, waiting up to %d s for the work in progress", replica, limit)
    server.stop()
    runner.stop_taking_work()
    if scheduler.running:
        scheduler.shutdown(wait=False)
    mailbox_stopping = None
    if watcher is not None:
        remaining = max(0.0, deadline - time.monotonic())
        mailbox_stopping = threading.Thread(target=watcher.stop, kwargs={"timeout": remaining}, name="mailbox-stop")
        mailbox_stopping.start()

    idle = runner.wait_idle(max(0.0, deadline - time.monotonic()))
    if not idle:
        log.warning("jobs %s still running after %d s; replica %s hands them back", runner.active_jobs(), limit,
                    replica)
    if mailbox_stopping is not None:
        # watcher.stop bounds its own wait by the limit and then releases the mailbox lease.
        mailbox_stopping.join()
    runner.stop_heartbeat()
    # A run still going when the time is up is handed back last, right before the process exits. Its daemon
    # thread ends with the process, in the middle of its work. Another replica then runs the fire time again
    # from the start, as after a crash.
    runner.hand_back(running_too=not idle)


def _mailbox_watcher(settings: Settings, pipeline, slack: SlackParts, replica: str) -> MailboxWatcher | None:
    """Return the mailbox job, or None when no mailbox is configured (documents then come by ``ingest``)."""
    if not settings.mailbox.host:
        log.info("no mailbox configured: documents come in with allocbot ingest")
        return None
    replier = MailReplier(settings, pipeline.master, Translator(settings.language))
    intake = MailIntake(settings, pipeline, replier, lock=slack.decisions.lock,
                        claim_lease=timedelta(seconds=settings.service.lease_seconds))
    lease = LeaseKeeper(pipeline.store, MAILBOX_LEASE, replica, settings.service.lease_seconds)
    return MailboxWatcher(intake, settings.mailbox.poll_seconds, lease=lease)


def _health_server(settings: Settings, store, replica: str, checks: dict[str, Callable[[], bool]]):
    """Start the health endpoint and return it, or return None when ``service.health_port`` is 0."""
    if settings.service.health_port == 0:
        return None
    from bot.ops.health import HealthServer

    health = HealthServer(settings, store, replica, checks)
    health.start()
    return health


def _prepare_classifier(pipeline) -> None:
    """Load or train the model; without usable history, the bot starts with the untrained classifier."""
    from bot.nlp.classifier import TrainingDataError

    try:
        pipeline.prepare_classifier()
    except TrainingDataError as exc:
        # A new installation has no decided items yet, and the questions answered in Slack train the model.
        log.warning("no model trained, suggestions come from master data and rules only: %s", exc)


def _required_secret(settings: Settings, name: str, variable: str) -> str:
    value = secret(name)
    if value is None:
        raise ConfigError(settings.source or "config.toml", N_("environment variable {variable} is not set"),
                          fix=N_("export {variable} with the value from the Slack app's settings"),
                          variable=variable)
    return value


def _connect(settings: Settings, step: Callable[[], T], token_variable: str) -> T:
    """Run a step that talks to Slack; turn a rejected token or an unreachable Slack into a clear error.

    bolt calls auth.test while it builds the app, and Socket Mode opens its
    connection with apps.connections.open, so both fail here first.
    """
    try:
        return step()
    except (BoltError, SlackApiError) as exc:
        reason = _slack_error(exc)
        log.error("Slack rejected %s: %s", token_variable, reason)
        # The token comes from the environment, so the error names the variable rather than the config file.
        raise ConfigError(token_variable, N_("Slack rejected the token in {variable}: {reason}"),
                          fix=N_("copy the token again from the Slack app's settings"),
                          variable=token_variable, reason=reason) from None
    except OSError as exc:
        log.error("cannot reach Slack at %s: %s", settings.slack.api_url, exc)
        raise InputError(settings.slack.api_url, N_("cannot reach Slack: {reason}"),
                         fix=N_("check the network connection and slack.api_url"), reason=str(exc)) from None


def _listen(settings: Settings, step: Callable[[], T]) -> T:
    """Open the HTTP port; a port in use becomes a clear error instead of a traceback."""
    try:
        return step()
    except OSError as exc:
        address = f"{settings.slack.listen_host}:{settings.slack.listen_port}"
        log.error("cannot listen on %s: %s", address, exc)
        raise InputError(address, N_("cannot listen for Slack requests: {reason}"),
                         fix=N_("choose a free slack.listen_port or stop the program that uses it"),
                         reason=exc.strerror or str(exc)) from None


def _slack_error(exc: BoltError | SlackApiError) -> str:
    """Return Slack's error code, such as invalid_auth; bolt puts auth.test's answer into its message."""
    if isinstance(exc, SlackApiError):
        return exc.response.get("error", "") or str(exc)
    found = re.search(r"'error': '([a-z_]+)'", str(exc))
    return found.group(1) if found else str(exc)
