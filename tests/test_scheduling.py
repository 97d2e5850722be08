"""Scheduled runs across replicas: each fire time runs once, a hung run does not pile up, a dead replica's run resumes."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import select

from bot.config import ServiceSettings, Settings
from bot.jobs import OSLO, crontab_trigger
from bot.scheduling import RETRY_INTERVAL, ClaimingExecutor, JobRunner, ScheduledJob, build_scheduler
from bot.service import _shutdown
from bot.store.leases import claim_job_run, finish_job_run, job_run
from bot.store.models import JobRun, utc_now

DUE = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


class Work:
    """A job's work that counts its calls by fire time, and can block until released."""

    def __init__(self, *, block: bool = False, error: Exception | None = None) -> None:
        self.calls: Counter[datetime] = Counter()
        self.started = threading.Event()
        self.release = threading.Event()
        if not block:
            self.release.set()
        self.error = error
        self._lock = threading.Lock()

    def __call__(self, due_at: datetime) -> None:
        with self._lock:
            self.calls[due_at] += 1
        self.started.set()
        self.release.wait(10)
        if self.error is not None:
            raise self.error


def make_runner(store, replica: str, work: Work, *, trigger=None, lease_seconds: float = 60,
                grace: float = 900, name: str = "posting") -> JobRunner:
    job = ScheduledJob(name, trigger or crontab_trigger("*/30 * * * *"), work)
    return JobRunner(store, replica, [job], lease_seconds=lease_seconds, misfire_grace_seconds=grace)


def job_runs(store) -> list[JobRun]:
    with store.session() as session:
        return list(session.exec(select(JobRun).order_by(JobRun.due_at)))


def test_run_claimed_by_one_of_two_replicas(store):
    work = Work()
    runners = [make_runner(store, replica, work) for replica in ("a", "b")]
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def fire(runner: JobRunner) -> None:
        start.wait(5)
        outcomes[runner.replica] = runner.run("posting", DUE)

    threads = [threading.Thread(target=fire, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    rows = job_runs(store)

    assert sorted(outcomes.values()) == ["claimed", "done"]
    assert work.calls == Counter({DUE: 1})
    assert len(rows) == 1
    assert rows[0].status == "done"
    assert rows[0].replica == next(replica for replica, outcome in outcomes.items() if outcome == "done")


def test_failed_run_recorded_with_error(store, caplog):
    work = Work(error=RuntimeError("ERP timed out"))
    runner = make_runner(store, "a", work)

    with caplog.at_level(logging.ERROR, logger="bot.scheduling"):
        outcome = runner.run("posting", DUE)
    rows = job_runs(store)

    assert outcome == "failed"
    assert rows[0].status == "failed"
    assert rows[0].error == "RuntimeError: ERP timed out"
    assert "job posting failed" in caplog.text


def test_hung_run_does_not_pile_up(store, caplog):
    work = Work(block=True)
    runner = make_runner(store, "a", work)
    first = runner.spawn("posting", DUE)
    assert work.started.wait(10)

    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        second = runner.run("posting", DUE + timedelta(minutes=30))
    work.release.set()
    first.join(10)

    assert second == "busy"
    assert "still running" in caplog.text
    assert [row.due_at for row in job_runs(store)] == [DUE]


def test_overdue_run_logged_once(store, caplog):
    work = Work(block=True)
    runner = make_runner(store, "a", work)
    thread = runner.spawn("posting", DUE)
    assert work.started.wait(10)

    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        runner.renew(now=DUE + timedelta(minutes=10))
        before_next_fire = caplog.text
        runner.renew(now=DUE + timedelta(minutes=31))
        runner.renew(now=DUE + timedelta(minutes=32))
    work.release.set()
    thread.join(10)

    assert "past its next fire time" not in before_next_fire
    assert caplog.text.count("past its next fire time") == 1


def test_heartbeat_extends_lease(store):
    work = Work(block=True)
    runner = make_runner(store, "a", work, lease_seconds=30)
    thread = runner.spawn("posting", DUE)
    assert work.started.wait(10)
    later = datetime.now(timezone.utc) + timedelta(seconds=25)

    runner.renew(now=later)
    with store.session() as session:
        lease_until = job_run(session, "posting", DUE).lease_until
    work.release.set()
    thread.join(10)

    assert lease_until == later + timedelta(seconds=30)


def test_dead_replicas_run_resumed_after_lapse(store):
    with store.session() as session:
        claim_job_run(session, "posting", DUE, "dead", seconds=10, now=DUE)
    work = Work()
    runner = make_runner(store, "b", work)

    threads = runner.sweep()
    for thread in threads:
        thread.join(10)
    rows = job_runs(store)

    assert work.calls == Counter({DUE: 1})
    assert rows[0].replica == "b"
    assert rows[0].status == "done"


def test_lapsed_run_with_later_run_not_resumed(store):
    with store.session() as session:
        claim_job_run(session, "posting", DUE, "dead", seconds=10, now=DUE)
        later_run = claim_job_run(session, "posting", DUE + timedelta(minutes=30), "a", seconds=10, now=DUE)
        finish_job_run(session, later_run.id, "a", now=DUE)
    work = Work()
    runner = make_runner(store, "b", work)

    threads = runner.sweep()
    rows = job_runs(store)

    assert threads == []
    assert work.calls == Counter()
    assert rows[0].status == "failed"
    assert rows[0].error.startswith("not resumed")


def test_fresh_run_of_live_replica_not_swept(store):
    with store.session() as session:
        claim_job_run(session, "posting", DUE, "alive", seconds=3600)
    work = Work()

    threads = make_runner(store, "b", work).sweep()

    assert threads == []
    assert work.calls == Counter()


def test_handed_back_run_taken_over_at_once(store):
    work = Work(block=True)
    stopping = make_runner(store, "a", work)
    thread = stopping.spawn("posting", DUE)
    assert work.started.wait(10)
    other_work = Work()
    other = make_runner(store, "b", other_work)

    stopping.stop_taking_work()
    idle = stopping.wait_idle(0.2)
    kept = stopping.hand_back()
    handed_back = stopping.hand_back(running_too=True)
    taken = other.sweep()
    for taken_thread in taken:
        taken_thread.join(10)
    work.release.set()
    thread.join(10)
    rows = job_runs(store)

    assert not idle
    assert kept == []
    assert len(handed_back) == 1
    assert other_work.calls == Counter({DUE: 1})
    assert rows[0].replica == "b"
    assert rows[0].status == "done"


def test_stopping_runner_keeps_renewing_until_idle(store):
    work = Work(block=True)
    stopping = make_runner(store, "a", work, lease_seconds=0.6, grace=1)
    other = make_runner(store, "b", Work(), lease_seconds=0.6, grace=1)
    stopping.start(now=DUE + timedelta(minutes=10))
    thread = stopping.spawn("posting", DUE)
    assert work.started.wait(10)

    stopping.stop_taking_work()
    # Twice the lease: without renewals the run would have lapsed by now.
    idle_early = stopping.wait_idle(1.2)
    taken = other.sweep()
    work.release.set()
    idle = stopping.wait_idle(10)
    stopping.stop_heartbeat()
    thread.join(10)
    rows = job_runs(store)

    assert not idle_early
    assert taken == []
    assert idle
    assert [(row.replica, row.status) for row in rows] == [("a", "done")]
    assert work.calls == Counter({DUE: 1})


class StoppedServer:
    """The Slack server's part in the shutdown: stop() only, since no request comes in here."""

    def stop(self) -> None:
        pass


def test_shutdown_hands_back_run_when_time_is_up(store):
    settings = Settings(service=ServiceSettings(shutdown_seconds=2))
    work = Work(block=True)
    stopping = make_runner(store, "a", work, lease_seconds=0.6, grace=1)
    other = make_runner(store, "b", Work(), lease_seconds=0.6, grace=1)
    stopping.start(now=DUE + timedelta(minutes=10))
    thread = stopping.spawn("posting", DUE)
    assert work.started.wait(10)
    swept: list[threading.Thread] = []
    # Sweeps twice the lease into the shutdown wait, while the run still works here.
    sweeper = threading.Timer(1.2, lambda: swept.extend(other.sweep()))
    sweeper.start()

    started = time.monotonic()
    _shutdown(settings, "a", StoppedServer(), BackgroundScheduler(), stopping, None)
    waited = time.monotonic() - started
    sweeper.join(10)
    row = job_runs(store)[0]
    work.release.set()
    thread.join(10)

    assert swept == []
    assert 2 <= waited < 4
    assert row.replica == "a"
    assert row.status == "running"
    assert row.lease_until < utc_now()


def test_heartbeat_survives_error_and_reports_it(store, caplog):
    class BrokenTrigger(CronTrigger):
        """A trigger that raises where the heartbeat requests the fire time after a run's, as a buggy one would."""

        def get_next_fire_time(self, previous_fire_time, now):
            if previous_fire_time is not None:
                raise ValueError("broken trigger")
            return super().get_next_fire_time(previous_fire_time, now)

    work = Work(block=True)
    runner = make_runner(store, "a", work, trigger=BrokenTrigger(year=2000, timezone=timezone.utc),
                         lease_seconds=0.6)
    runner.start()
    thread = runner.spawn("posting", DUE)
    assert work.started.wait(10)
    healthy_at_start = runner.heartbeat_healthy()

    time.sleep(1.5)
    alive = runner._heartbeat.is_alive()
    healthy_after_errors = runner.heartbeat_healthy()
    work.release.set()
    thread.join(10)
    runner.stop_heartbeat()
    failures = [record for record in caplog.records if "cannot renew the lease of job posting" in record.message]

    assert healthy_at_start
    assert alive
    assert not healthy_after_errors
    assert len(failures) >= 2
    assert all(record.exc_info is not None for record in failures)
    assert not runner.heartbeat_healthy()


def test_heartbeat_healthy_while_renewing(store):
    runner = make_runner(store, "a", Work(), lease_seconds=0.6, grace=1)
    before_start = runner.heartbeat_healthy()
    runner.start(now=DUE + timedelta(minutes=10))

    time.sleep(1.0)
    renewing = runner.heartbeat_healthy()
    runner.stop_heartbeat()

    assert not before_start
    assert renewing
    assert not runner.heartbeat_healthy()


def retrying_runner(store, work: Work, *, catch_up: timedelta = timedelta(days=4), retry: bool = True) -> JobRunner:
    """Return a runner with a job that fires on 1 January only, so no later fire time is near the real clock."""
    trigger = CronTrigger(month=1, day=1, hour=0, timezone=timezone.utc)
    job = ScheduledJob("monthly-report", trigger, work, catch_up=catch_up, retry=retry)
    return JobRunner(store, "a", [job], lease_seconds=60, misfire_grace_seconds=900)


class FailsOnce(Work):
    """A job's work that fails at its first call and succeeds after."""

    def __call__(self, due_at: datetime) -> None:
        super().__call__(due_at)
        if sum(self.calls.values()) == 1:
            raise RuntimeError("SMTP server unreachable")


def test_failed_run_retried_after_interval(store, caplog):
    caplog.set_level(logging.INFO, logger="bot.scheduling")
    work = FailsOnce()
    runner = retrying_runner(store, work)
    due = utc_now().replace(microsecond=0) - timedelta(hours=1)

    first = runner.run("monthly-report", due)
    failed_at = utc_now()
    too_early = runner.sweep(now=failed_at + RETRY_INTERVAL - timedelta(minutes=1))
    retried = runner.sweep(now=failed_at + RETRY_INTERVAL + timedelta(seconds=1))
    for thread in retried:
        thread.join(10)
    rows = job_runs(store)

    assert first == "failed"
    assert too_early == []
    assert len(retried) == 1
    assert work.calls == Counter({due: 2})
    assert [(row.status, row.error) for row in rows] == [("done", "")]
    retry_lines = [record.message for record in caplog.records if "tries it again" in record.message]
    assert retry_lines
    assert all("monthly-report" in line for line in retry_lines)


@pytest.mark.parametrize(("retry", "catch_up", "later"), [
    (False, timedelta(days=4), timedelta(0)),
    (True, timedelta(minutes=30), timedelta(0)),
    (True, timedelta(days=400), timedelta(days=370)),
])
def test_failed_run_not_retried(store, retry, catch_up, later):
    work = Work(error=RuntimeError("SMTP server unreachable"))
    runner = retrying_runner(store, work, catch_up=catch_up, retry=retry)
    due = utc_now().replace(microsecond=0) - timedelta(hours=1)

    runner.run("monthly-report", due)
    # After the catch-up window, after the next 1 January, or a job without retry.
    threads = runner.sweep(now=utc_now() + RETRY_INTERVAL + later + timedelta(minutes=1))

    assert threads == []
    assert work.calls == Counter({due: 1})
    assert [row.status for row in job_runs(store)] == ["failed"]


def test_stopping_runner_starts_nothing(store):
    work = Work()
    runner = make_runner(store, "a", work)
    runner.stop_taking_work()

    outcome = runner.run("posting", DUE)

    assert outcome == "stopping"
    assert job_runs(store) == []


def test_start_catches_up_missed_run_once(store):
    now = DUE + timedelta(minutes=10)
    works = [Work(), Work()]
    runners = [make_runner(store, replica, work, grace=900) for replica, work in zip(("a", "b"), works)]

    for runner in runners:
        runner.start(now=now)
    for runner in runners:
        runner.wait_idle(10)
        runner.stop_heartbeat()
    deadline = time.monotonic() + 10
    while not job_runs(store) or job_runs(store)[0].status == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)

    assert works[0].calls + works[1].calls == Counter({DUE: 1})
    assert [row.due_at for row in job_runs(store)] == [DUE]


def test_start_skips_run_outside_catch_up(store):
    now = DUE + timedelta(minutes=20)
    work = Work()
    runner = make_runner(store, "a", work, grace=600)

    runner.start(now=now)
    runner.stop_heartbeat()

    assert job_runs(store) == []
    assert work.calls == Counter()


def every_second() -> CronTrigger:
    return CronTrigger(second="*", timezone=OSLO)


def test_two_schedulers_run_each_fire_time_once(store):
    work = Work()
    runners = [make_runner(store, replica, work, trigger=every_second(), grace=5) for replica in ("a", "b")]
    schedulers = [build_scheduler(runner, misfire_grace_seconds=5) for runner in runners]

    for scheduler in schedulers:
        scheduler.start()
    time.sleep(3.2)
    for scheduler, runner in zip(schedulers, runners):
        scheduler.shutdown(wait=False)
        runner.stop_taking_work()
        runner.wait_idle(10)
    rows = job_runs(store)

    assert len(work.calls) >= 2
    assert set(work.calls.values()) == {1}
    assert sorted(work.calls) == [row.due_at for row in rows]
    assert {row.status for row in rows} == {"done"}


def test_scheduler_jobs_guarded():
    runner = JobRunner(None, "a", [ScheduledJob("retrain", crontab_trigger("0 2 * * *"), Work())],
                       lease_seconds=60, misfire_grace_seconds=900)
    scheduler = build_scheduler(runner, misfire_grace_seconds=900)
    job = scheduler.get_job("retrain")

    assert job.max_instances == 1
    assert job.coalesce is True
    assert job.misfire_grace_time == 900
    assert str(scheduler.timezone) == "Europe/Oslo"


@pytest.mark.parametrize(("late_seconds", "runs"), [(0.2, 1), (4.0, 0)])
def test_misfire_grace(store, caplog, late_seconds, runs):
    work = Work()
    runner = make_runner(store, "a", work, trigger=crontab_trigger("0 2 * * *"), grace=2, name="retrain")
    scheduler = build_scheduler(runner, misfire_grace_seconds=2)
    executor = scheduler._lookup_executor("default")
    due = datetime.now(timezone.utc) - timedelta(seconds=late_seconds)

    with caplog.at_level(logging.WARNING, logger="bot.scheduling"):
        scheduler.start(paused=True)
        executor.submit_job(scheduler.get_job("retrain"), [due])
        deadline = time.monotonic() + 10
        while executor._instances and time.monotonic() < deadline:
            time.sleep(0.05)
        scheduler.shutdown(wait=False)

    assert isinstance(executor, ClaimingExecutor)
    assert sum(work.calls.values()) == runs
    assert len(job_runs(store)) == runs
    assert ("missed by" in caplog.text) == (runs == 0)
