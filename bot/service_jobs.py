"""The work of each scheduled job of ``allocbot run``; their names and schedules are in ``bot.jobs``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from bot.config import Settings
from bot.handlers.wiring import SlackParts
from bot.i18n import Translator
from bot.jobs import (
    AUDIT_RETENTION_CRON,
    AUDIT_RETENTION_JOB,
    POSTING_JOB,
    REMINDER_JOB,
    REPORT_JOB,
    RESEND_CRON,
    RESEND_JOB,
    RETRAIN_JOB,
    crontab_trigger,
    retrain_trigger,
)
from bot.pipeline import Pipeline
from bot.scheduling import ScheduledJob
from bot.store.database import Store
from bot.store.leases import prune_job_runs
from bot.store.questions import forget_requests

log = logging.getLogger(__name__)

# bolt rejects requests older than five minutes, so older replay keys can go.
REQUEST_KEY_AGE = timedelta(minutes=10)
# A monthly report that fell due while every replica was down is still sent by a replica that starts
# within this time, which covers a long weekend.
REPORT_CATCH_UP = timedelta(days=4)
# Finished job runs older than this are deleted, but the newest run of each job stays.
JOB_RUN_AGE = timedelta(days=30)


def service_jobs(settings: Settings, pipeline: Pipeline, slack: SlackParts) -> list[ScheduledJob]:
    """Return the jobs of ``allocbot run``; the monthly report only when ``report.enabled``.

    A failed posting run or report is tried again (``retry``): a posting run
    sends only what the ERP does not hold yet, and the report sends only the
    deliveries of the month that are not recorded.
    """
    jobs = [
        ScheduledJob(RETRAIN_JOB, retrain_trigger(settings), lambda due_at: pipeline.train()),
        ScheduledJob(REMINDER_JOB, slack.reminders.trigger(), lambda due_at: slack.reminders.run()),
        ScheduledJob(RESEND_JOB, crontab_trigger(RESEND_CRON), lambda due_at: housekeeping(pipeline.store, slack)),
        ScheduledJob(POSTING_JOB, crontab_trigger(settings.service.post_cron),
                     lambda due_at: post_approved(settings, pipeline.store), retry=True),
        ScheduledJob(AUDIT_RETENTION_JOB, crontab_trigger(AUDIT_RETENTION_CRON),
                     lambda due_at: prune_audit_events(settings, pipeline.store, due_at)),
    ]
    if settings.report.enabled:
        jobs.append(ScheduledJob(REPORT_JOB, crontab_trigger(settings.report.cron),
                                 lambda due_at: send_report(settings, pipeline.store, due_at),
                                 catch_up=REPORT_CATCH_UP, retry=True))
    return jobs


def housekeeping(store: Store, slack: SlackParts) -> None:
    """Send unsent questions, forget handled Slack request keys older than any replay, and prune old job runs."""
    slack.asker.resend()
    now = datetime.now(timezone.utc)
    with store.session() as session:
        forgotten = forget_requests(session, now - REQUEST_KEY_AGE)
    log.debug("forgot %d handled Slack request keys", forgotten)
    prune_job_history(store, now)


def prune_job_history(store: Store, now: datetime) -> int:
    """Delete job runs that finished ``JOB_RUN_AGE`` before ``now``, but each job's newest; return how many."""
    with store.session() as session:
        deleted = prune_job_runs(session, now - JOB_RUN_AGE)
    if deleted:
        log.info("deleted %d job runs that finished more than %d days ago", deleted, JOB_RUN_AGE.days)
    return deleted


def post_approved(settings: Settings, store: Store) -> None:
    """Run ``allocbot post``: finish vouchers left sending, post new approvals, and tell the controllers what is left."""
    # Imported here because the connectors pull in HTTP clients that the other jobs do not need.
    from bot.commands import check_export_folder, opened_poster
    from bot.posting.notify import notify_controllers
    from bot.posting.run import run_posting

    # A wrong folder fails the job before any voucher is claimed, instead of leaving vouchers "sending".
    check_export_folder(settings)
    with opened_poster(settings) as poster:
        result = run_posting(store, poster, settings, Translator(settings.language))
    notify_controllers(result, settings)


def send_report(settings: Settings, store: Store, due_at: datetime) -> None:
    """Send the report on the month before ``due_at``; a month already sent is not sent again."""
    from bot.report.monthly import send_monthly_report

    sent = send_monthly_report(settings, store, now=due_at)
    log.info("monthly report due at %s: %s", due_at.isoformat(), "sent" if sent else "sent before, nothing new")


def prune_audit_events(settings: Settings, store: Store, due_at: datetime) -> None:
    """Delete the audit events older than ``audit.retention_years``, counted from ``due_at``."""
    from bot.store.audit import prune_audit

    with store.session() as session:
        deleted = prune_audit(session, retention_years=settings.audit.retention_years, now=due_at)
    log.info("audit retention: %d events older than %d years deleted", deleted, settings.audit.retention_years)
