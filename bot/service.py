"""The long-running bot (``allocbot run``): the Slack app and the scheduled jobs, until a signal stops it.

Jobs: the full retrain on ``model.retrain_cron``, reminders and escalation
every 15 minutes in working hours, and a resend of unsent questions at
the start and every five minutes, which makes good a send that failed
during an outage. The mailbox is not polled yet: documents come in with
``allocbot ingest``.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from apscheduler.triggers.interval import IntervalTrigger
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.commands import build_pipeline
from bot.config import Settings, secret
from bot.errors import ConfigError, InputError
from bot.handlers.reminders import REMINDER_JOB
from bot.handlers.server import HttpServer, SocketServer
from bot.handlers.wiring import SlackParts, build_slack
from bot.i18n import N_, Translator
from bot.mail.intake import MailIntake
from bot.mail.replier import MailReplier
from bot.mail.watcher import MailboxWatcher
from bot.jobs import build_scheduler
from bot.store.questions import forget_requests

log = logging.getLogger(__name__)

T = TypeVar("T")

RESEND_JOB = "slack-resend"
# bolt rejects requests older than five minutes, so older replay keys can go.
REQUEST_KEY_AGE = timedelta(minutes=10)


def run(settings: Settings, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM or SIGINT (or until ``stop`` is set); return the exit status."""
    stop = stop or threading.Event()
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
    scheduler = _scheduler(settings, pipeline, slack)

    for signal_number in (signal.SIGTERM, signal.SIGINT):
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal_number, lambda *_: stop.set())

    watcher = _mailbox_watcher(settings, pipeline, slack)

    log.info("allocbot starting in Slack %s mode", settings.slack.mode)
    _connect(settings, server.start, "SLACK_APP_TOKEN")
    scheduler.start()
    if watcher is not None:
        watcher.start()
    try:
        slack.asker.resend()
        stop.wait()
    finally:
        log.info("allocbot stopping")
        if watcher is not None:
            watcher.stop()
        scheduler.shutdown(wait=False)
        server.stop()
        pipeline.store.close()
    log.info("allocbot stopped")
    return 0


def _mailbox_watcher(settings: Settings, pipeline, slack: SlackParts) -> MailboxWatcher | None:
    """Return the mailbox job, or None when no mailbox is configured (documents then come by ``ingest``)."""
    if not settings.mailbox.host:
        log.info("no mailbox configured: documents come in with allocbot ingest")
        return None
    replier = MailReplier(settings, pipeline.master, Translator(settings.language))
    intake = MailIntake(settings, pipeline, replier, lock=slack.decisions.lock)
    return MailboxWatcher(intake, settings.mailbox.poll_seconds)


def _prepare_classifier(pipeline) -> None:
    """Load or train the model; without usable history, the bot starts with the untrained classifier."""
    from bot.nlp.classifier import TrainingDataError

    try:
        pipeline.prepare_classifier()
    except TrainingDataError as exc:
        # A new installation has no decided items yet, and the questions answered in Slack train the model.
        log.warning("no model trained, suggestions come from master data and rules only: %s", exc)


def _scheduler(settings: Settings, pipeline, slack: SlackParts):
    scheduler = build_scheduler(settings, pipeline.train)
    scheduler.add_job(_logged(slack.reminders.run, "reminders"), slack.reminders.trigger(), id=REMINDER_JOB,
                      name=REMINDER_JOB,
                      max_instances=1, coalesce=True)
    scheduler.add_job(_logged(lambda: _housekeeping(pipeline, slack), "resend"), IntervalTrigger(minutes=5),
                      name=RESEND_JOB,
                      id=RESEND_JOB, max_instances=1, coalesce=True)
    return scheduler


def _housekeeping(pipeline, slack: SlackParts) -> None:
    slack.asker.resend()
    with pipeline.store.session() as session:
        forget_requests(session, datetime.now(timezone.utc) - REQUEST_KEY_AGE)


def _logged(job, name: str):
    def run_job() -> None:
        try:
            job()
        except Exception:
            # The job runs again at its next time; nothing it did half is committed.
            log.exception("scheduled job %s failed", name)
    return run_job


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
