"""Prometheus metrics, read from the store at scrape time.

Every figure comes from the shared store when Prometheus scrapes, so all
replicas of one installation report the same values: take ``max`` over the
replicas in PromQL, because ``sum`` counts each figure once per replica.
Each figure is an aggregate query (COUNT, MIN or MAX); docs/operations.md
gives the time a scrape takes on 100 000 items. A store that cannot be read gives
``allocbot_store_up 0`` and no store figures, not a failed scrape.

Points in time are Unix timestamps in seconds, as Prometheus recommends,
so an alert computes the age itself: ``time() - allocbot_mail_last_finished_timestamp_seconds``.
A timestamp of something that does not exist (no open question, no
message yet) is left out, not reported as 0.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.store.database import Store
from bot.store.models import (
    AllocationRow,
    AmazonItem,
    JobRun,
    Lease,
    MailMessage,
    Question,
    TrainingLabel,
    VoucherRow,
    utc_now,
)

log = logging.getLogger(__name__)

# The age bands of open questions, by the time since they were created: under a day, one to three days, more.
QUESTION_AGES = ("under_1d", "1d_to_3d", "over_3d")
# The recent window of the share of decisions booked automatically.
AUTO_BOOKED_WINDOW = timedelta(days=30)


def build_registry(store: Store) -> CollectorRegistry:
    """Return a registry with the store's figures and the process metrics of ``prometheus_client``.

    The process metrics (CPU, memory, open files, garbage collection) come
    from the library's default registry, and so does any metric object
    that other modules register there.
    """
    registry = CollectorRegistry()
    registry.register(StoreCollector(store))
    registry.register(_DefaultRegistry())
    return registry


class StoreCollector(Collector):
    """The figures of one store, queried anew on every scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._failing = False

    def collect(self) -> Iterator[Metric]:
        started = time.monotonic()
        try:
            with self.store.session() as session:
                families = _store_families(session, utc_now())
        except SQLAlchemyError as exc:
            # The scrape still succeeds, so an alert on allocbot_store_up can fire.
            self._log_failure(exc)
            families = []
        else:
            if self._failing:
                log.info("metrics: the store %s can be read again", self.store.display_url)
            self._failing = False
        up = GaugeMetricFamily("allocbot_store_up", "1 when the last scrape could read the store, else 0.",
                               value=1 if families else 0)
        duration = GaugeMetricFamily("allocbot_store_scrape_duration_seconds",
                                     "Time the store queries of the last scrape took.",
                                     value=time.monotonic() - started)
        return iter([*families, up, duration])

    def _log_failure(self, exc: SQLAlchemyError) -> None:
        """Log the first of a series of failed scrapes as an error, and the ones after it at debug level."""
        reason = str(getattr(exc, "orig", None) or exc).strip()
        if self._failing:
            log.debug("metrics: still cannot read the store %s: %s", self.store.display_url, reason)
        else:
            log.error("metrics: cannot read the store %s: %s", self.store.display_url, reason)
        self._failing = True


class _DefaultRegistry(Collector):
    """The default registry of ``prometheus_client``, forwarded into a registry of our own."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def _store_families(session: Session, now: datetime) -> list[Metric]:
    return [
        _items(session),
        *_questions(session, now),
        *_allocations(session, now),
        *_vouchers(session),
        *_job_runs(session),
        *_mail(session),
        _leases(session),
    ]


def _items(session: Session) -> Metric:
    family = GaugeMetricFamily("allocbot_items", "Items in the store, by state, without the labeled history that "
                                                 "allocbot learn imports.", labels=["state"])
    history = select(TrainingLabel.item_id).where(TrainingLabel.source == "history")
    rows = session.exec(select(AmazonItem.state, func.count()).where(col(AmazonItem.id).not_in(history))
                        .group_by(col(AmazonItem.state))).all()
    for state, count in sorted(rows):
        family.add_metric([state], count)
    return family


def _questions(session: Session, now: datetime) -> list[Metric]:
    """Open questions by kind and age band, the oldest open one, and the open ones not sent yet."""
    band = case(
        (col(Question.created_at) > now - timedelta(days=1), "under_1d"),
        (col(Question.created_at) > now - timedelta(days=3), "1d_to_3d"),
        else_="over_3d",
    )
    rows = session.exec(
        select(Question.kind, band, func.count())
        .where(Question.status == "open")
        .group_by(col(Question.kind), band)
    ).all()
    counted = {(kind, label): count for kind, label, count in rows}

    by_age = GaugeMetricFamily("allocbot_questions_open", "Open questions and approval requests, by kind and age "
                               "since they were created.", labels=["kind", "age"])
    for kind in sorted({kind for kind, _ in counted}):
        for label in QUESTION_AGES:
            by_age.add_metric([kind, label], counted.get((kind, label), 0))

    oldest, unsent = session.exec(
        select(func.min(Question.created_at), func.count(col(Question.id)).filter(col(Question.sent_at).is_(None)))
        .where(Question.status == "open")
    ).one()
    oldest_family = GaugeMetricFamily("allocbot_question_oldest_open_timestamp_seconds",
                                      "Creation time of the oldest open question; absent when none is open.")
    if oldest is not None:
        oldest_family.add_metric([], oldest.timestamp())
    unsent_family = GaugeMetricFamily("allocbot_questions_unsent", "Open questions not delivered to Slack yet.",
                                      value=unsent)
    return [by_age, oldest_family, unsent_family]


def _allocations(session: Session, now: datetime) -> list[Metric]:
    """Decisions by source, and the share of them booked automatically, all time and in the recent window.

    The share counts every stored decision, pending approvals and rejected
    ones included, because each was either booked by the bot or made by a person.
    """
    family = GaugeMetricFamily("allocbot_allocations", "Stored decisions, by source (auto, human, rule, history).",
                               labels=["source"])
    share = GaugeMetricFamily("allocbot_auto_booked_ratio", "Share of the decisions made in the window that the "
                              "bot booked automatically; absent when the window has none.", labels=["window"])

    all_time = _count_by_source(session, since=None)
    for source, count in sorted(all_time.items()):
        family.add_metric([source], count)

    window_label = f"{AUTO_BOOKED_WINDOW.days}d"
    for window, counts in (("all", all_time), (window_label, _count_by_source(session, since=now - AUTO_BOOKED_WINDOW))):
        total = sum(counts.values())
        if total:
            share.add_metric([window], counts.get("auto", 0) / total)
    return [family, share]


def _count_by_source(session: Session, *, since: datetime | None) -> dict[str, int]:
    statement = select(AllocationRow.source, func.count()).group_by(col(AllocationRow.source))
    if since is not None:
        statement = statement.where(col(AllocationRow.decided_at) >= since)
    return dict(session.exec(statement).all())


def _vouchers(session: Session) -> list[Metric]:
    """Vouchers by status, and the oldest one still "sending", which a failed or stopped posting run left."""
    family = GaugeMetricFamily("allocbot_vouchers", "Vouchers by status (sending, posted, rejected).",
                               labels=["status"])
    rows = session.exec(select(VoucherRow.status, func.count()).group_by(col(VoucherRow.status))).all()
    for status, count in sorted(rows):
        family.add_metric([status], count)

    oldest = session.exec(select(func.min(VoucherRow.created_at)).where(VoucherRow.status == "sending")).one()
    oldest_family = GaugeMetricFamily("allocbot_voucher_oldest_sending_timestamp_seconds",
                                      "Creation time of the oldest voucher still sending; absent when none is.")
    if oldest is not None:
        oldest_family.add_metric([], oldest.timestamp())
    return [family, oldest_family]


def _job_runs(session: Session) -> list[Metric]:
    """Runs of the scheduled jobs by job and status, and each job's last successful end."""
    runs = GaugeMetricFamily("allocbot_job_runs", "Stored runs of the scheduled jobs, by job and status "
                             "(running, done, failed).", labels=["job", "status"])
    rows = session.exec(
        select(JobRun.job, JobRun.status, func.count()).group_by(col(JobRun.job), col(JobRun.status))
    ).all()
    for job, status, count in sorted(rows):
        runs.add_metric([job, status], count)

    last_done = GaugeMetricFamily("allocbot_job_last_success_timestamp_seconds",
                                  "End of the newest successful run of each scheduled job.", labels=["job"])
    rows = session.exec(
        select(JobRun.job, func.max(JobRun.finished_at)).where(JobRun.status == "done").group_by(col(JobRun.job))
    ).all()
    for job, finished_at in sorted(rows):
        if finished_at is not None:
            last_done.add_metric([job], finished_at.timestamp())
    return [runs, last_done]


def _mail(session: Session) -> list[Metric]:
    """Mailbox messages by status, the newest one finished, and the oldest one still being handled."""
    family = GaugeMetricFamily("allocbot_mail_messages", "Messages read from the mailbox, by status.",
                               labels=["status"])
    rows = session.exec(select(MailMessage.status, func.count()).group_by(col(MailMessage.status))).all()
    for status, count in sorted(rows):
        family.add_metric([status], count)

    newest_finished, oldest_claimed = session.exec(
        select(func.max(MailMessage.finished_at),
               func.min(MailMessage.claimed_at).filter(col(MailMessage.status) == "claimed"))
    ).one()
    finished = GaugeMetricFamily("allocbot_mail_last_finished_timestamp_seconds",
                                 "Time the newest mailbox message was finished; absent before the first.")
    if newest_finished is not None:
        finished.add_metric([], newest_finished.timestamp())
    claimed = GaugeMetricFamily("allocbot_mail_oldest_claimed_timestamp_seconds",
                                "Claim time of the oldest message still being handled; absent when none is.")
    if oldest_claimed is not None:
        claimed.add_metric([], oldest_claimed.timestamp())
    return [family, finished, claimed]


def _leases(session: Session) -> Metric:
    """When each lease runs out, by holder: a lease renewed in time shows that its work, such as polling, goes on."""
    family = GaugeMetricFamily("allocbot_lease_expiry_timestamp_seconds", "Time each lease runs out unless its "
                               "holder renews it.", labels=["lease", "holder"])
    for name, holder, expires_at in session.exec(select(Lease.name, Lease.holder, Lease.expires_at)
                                                 .order_by(col(Lease.name))).all():
        family.add_metric([name, holder], expires_at.timestamp())
    return family
