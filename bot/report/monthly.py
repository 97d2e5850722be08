"""Sending the monthly report once per month and channel: by email, and as a message and a chart in Slack.

The report has three deliveries: the email, the Slack message with the
figures, and the chart in Slack, which follows the message. Each delivery
that succeeds is recorded in the audit log (actions ``report_emailed``,
``report_posted`` and ``report_plot_posted``, subject ``monthly_report``
and the month as YYYY-MM). A sender holds the store lock "report"
(``bot.store.locks``) while it checks the records, sends and records, so
a second call, in this process or another replica, sends nothing twice.

A delivery whose channel is not configured is skipped and logged. A failed
delivery does not stop the others. After all of them, `ReportSendError`
names every failure, and a later call sends only the deliveries that are
not recorded yet.

NOTE: The record is written after the send. A crash between the two, or a
failure to write the record, sends that delivery again on the next call.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.errors import SlackClientError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import select

from bot.config import Settings, secret
from bot.errors import AllocbotError
from bot.failpoints import failpoint
from bot.i18n import N_, Translator
from bot.records import BOT_ACTOR
from bot.report.mailer import ReportMailError, build_message, send_message
from bot.report.months import months_ending, previous_month
from bot.report.plot import MONTHS_SHOWN, render_plot
from bot.report.slack import post_figures, upload_plot
from bot.report.stats import MonthFigures, monthly_figures
from bot.report.text import month_name, report_text, subject
from bot.store.audit import audit
from bot.store.database import Store
from bot.store.locks import store_lock
from bot.store.models import AuditEvent, utc_now

log = logging.getLogger(__name__)

AUDIT_SUBJECT = "monthly_report"
REPORT_LOCK = "report"
# Errors of one delivery that leave the others to run; anything else is a bug and propagates.
DELIVERY_ERRORS = (AllocbotError, ReportMailError, SlackClientError, OSError, ValueError)
RECORD_ATTEMPTS = 3


@dataclass(frozen=True)
class Report:
    """A month's figures with the months before it, and the chart of them."""

    history: list[MonthFigures]  # oldest first; the last entry is the reported month
    plot: bytes  # PNG

    @property
    def figures(self) -> MonthFigures:
        return self.history[-1]

    @property
    def month_key(self) -> str:
        return self.figures.month.strftime("%Y-%m")

    @property
    def plot_filename(self) -> str:
        return f"allocbot-report-{self.month_key}.png"


@dataclass(frozen=True)
class Delivery:
    """One way the report reaches the controllers, and the audit action that records it."""

    name: str
    action: str
    # Returns None when the channel is configured, else the message id of the reason it is skipped.
    skip_reason: Callable[[], str | None]
    # Sends the report and returns the facts to record, such as the Slack ts.
    send: Callable[[Report], dict[str, object]]
    # The delivery that must be recorded first, if any.
    after: str | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    """The result of one delivery in one call: "sent", "recorded" (sent before), "skipped" or "failed"."""

    delivery: str
    status: str
    detail: str = ""  # translated: why it was skipped, or the error


class ReportSendError(AllocbotError):
    """Deliveries of a month's report that failed; the others were sent or skipped."""

    def __init__(self, month: date, failures: list[tuple[str, str]]):
        self.month = month
        self.failures = failures  # (delivery name, error text)
        super().__init__(self.describe())

    def describe(self, translator: Translator | None = None) -> str:
        translator = translator or Translator("en")
        return "; ".join(translator("monthly report for {month} not sent by {delivery}: {error}",
                                    month=month_name(self.month, translator), delivery=name, error=error)
                         for name, error in self.failures)


def build_report(store: Store, settings: Settings, month: date) -> Report:
    """Count the figures of ``month`` and the months before it, and draw the chart."""
    with store.session() as session:
        history = monthly_figures(session, months_ending(month, MONTHS_SHOWN), settings.report)
    return Report(history, render_plot(history, Translator(settings.language)))


def send_monthly_report(settings: Settings, store: Store, *, month: date | None = None, now: datetime | None = None,
                        again: bool = False) -> bool:
    """Send the report of ``month`` by every configured delivery not yet recorded; return whether any was sent.

    ``month`` is the first day of the reported month; by default the month
    before ``now`` (the current time) in Oslo time. With ``again`` the
    recorded deliveries are sent once more. ``report.enabled`` is not
    checked here, because it governs the schedule, and the command line
    sends on request. Raises `ReportSendError` after trying every delivery
    when any of them failed.
    """
    month = month or previous_month(now or utc_now())
    outcomes = deliver_monthly_report(settings, store, month, again=again)
    failures = [(outcome.delivery, outcome.detail) for outcome in outcomes if outcome.status == "failed"]
    if failures:
        raise ReportSendError(month, failures)
    return any(outcome.status == "sent" for outcome in outcomes)


def _log_lock_wait() -> None:
    log.info("report lock is taken by another sender; waiting for it to finish")


def deliver_monthly_report(settings: Settings, store: Store, month: date, *,
                           again: bool = False) -> list[DeliveryOutcome]:
    """Send the report of ``month`` by each delivery that is configured and not recorded, and return each outcome."""
    key = month.strftime("%Y-%m")
    translator = Translator(settings.language)
    deliveries = _deliveries(settings, translator)
    log.info("monthly report for %s: sending%s", key, " again" if again else "")

    outcomes: list[DeliveryOutcome] = []
    with store_lock(store, REPORT_LOCK, wait_seconds=None, on_wait=_log_lock_wait):
        recorded = {delivery.name for delivery in deliveries if _is_recorded(store, delivery.action, key)}
        if recorded == {delivery.name for delivery in deliveries} and not again:
            log.info("monthly report for %s was sent before by every delivery; nothing to send", key)
            return [DeliveryOutcome(delivery.name, "recorded") for delivery in deliveries]

        # Counted and drawn for the first delivery that is sent, so a call that only skips stays cheap.
        report = functools.cache(lambda: build_report(store, settings, month))
        for delivery in deliveries:
            outcome = _deliver(store, delivery, key, report, recorded, again, translator)
            if outcome.status == "sent":
                recorded.add(delivery.name)
            outcomes.append(outcome)
    return outcomes


def _deliver(store: Store, delivery: Delivery, key: str, report: Callable[[], Report], recorded: set[str],
             again: bool, translator: Translator) -> DeliveryOutcome:
    """Send one delivery unless it is recorded, not configured or waits for another; record it when sent."""
    if delivery.name in recorded and not again:
        log.info("monthly report for %s: %s was sent before", key, delivery.name)
        return DeliveryOutcome(delivery.name, "recorded")
    reason = delivery.skip_reason()
    if reason is not None:
        log.info("monthly report for %s: %s skipped: %s", key, delivery.name, reason)
        return DeliveryOutcome(delivery.name, "skipped", translator(reason))
    if delivery.after is not None and delivery.after not in recorded:
        log.info("monthly report for %s: %s skipped, because %s was not sent", key, delivery.name, delivery.after)
        return DeliveryOutcome(delivery.name, "skipped", translator("{delivery} was not sent", delivery=delivery.after))

    try:
        facts = delivery.send(report())
    except DELIVERY_ERRORS as exc:
        log.exception("monthly report for %s: %s failed", key, delivery.name)
        return DeliveryOutcome(delivery.name, "failed", _error_text(exc, translator))
    failpoint("report.after_send")

    try:
        _record(store, delivery.action, key, facts)
    except SQLAlchemyError as exc:
        log.exception("monthly report for %s: %s sent, but not recorded; the next call sends it again", key,
                      delivery.name)
        return DeliveryOutcome(delivery.name, "failed",
                               translator("sent, but not recorded, so the next call sends it again: {error}",
                                          error=str(exc)))
    log.info("monthly report for %s: %s sent", key, delivery.name)
    return DeliveryOutcome(delivery.name, "sent")


def _deliveries(settings: Settings, translator: Translator) -> list[Delivery]:
    token = secret("slack_bot_token")

    def email_skip_reason() -> str | None:
        if not settings.smtp.host:
            return N_("smtp.host is not set")
        if not settings.report.recipients:
            return N_("report.recipients is empty")
        return None

    def slack_skip_reason() -> str | None:
        if not settings.slack.controller_channel:
            return N_("slack.controller_channel is not set")
        if not token:
            return N_("SLACK_BOT_TOKEN is not set")
        return None

    def send_email(report: Report) -> dict[str, object]:
        message = build_message(settings, subject=subject(report.figures.month, translator),
                                body=report_text(report.figures, settings.report, translator), plot=report.plot,
                                plot_filename=report.plot_filename)
        send_message(settings, message, settings.report.recipients)
        return {"recipients": len(settings.report.recipients), "message_id": str(message["Message-ID"])}

    def post_message(report: Report) -> dict[str, object]:
        ts = post_figures(settings, token or "", report.figures, translator)
        return {"channel": settings.slack.controller_channel, "ts": ts}

    def post_plot(report: Report) -> dict[str, object]:
        file_id = upload_plot(settings, token or "", report.plot, filename=report.plot_filename,
                              title=subject(report.figures.month, translator))
        return {"channel": settings.slack.controller_channel, "file_id": file_id}

    return [
        Delivery("email", "report_emailed", email_skip_reason, send_email),
        Delivery("slack", "report_posted", slack_skip_reason, post_message),
        Delivery("slack_plot", "report_plot_posted", slack_skip_reason, post_plot, after="slack"),
    ]


def _is_recorded(store: Store, action: str, key: str) -> bool:
    with store.session() as session:
        statement = select(AuditEvent.id).where(AuditEvent.action == action, AuditEvent.subject_type == AUDIT_SUBJECT,
                                                AuditEvent.subject_id == key).limit(1)
        return session.exec(statement).first() is not None


def _record(store: Store, action: str, key: str, facts: dict[str, object]) -> None:
    """Append the delivery's audit event, retrying when another writer appended to the chain at the same time."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            with store.session() as session:
                audit(session, actor=BOT_ACTOR, action=action, subject_type=AUDIT_SUBJECT, subject_id=key,
                      data={"month": key, **facts})
            return
        except IntegrityError:
            # Only SQLite raises this for a race on the chain end; PostgreSQL writers wait for each other.
            if attempt == RECORD_ATTEMPTS:
                raise
            log.warning("audit event %s for the %s report raced another writer; retrying", action, key)


def _error_text(error: Exception, translator: Translator) -> str:
    if isinstance(error, AllocbotError):
        return error.describe(translator)
    return str(error) or type(error).__name__

