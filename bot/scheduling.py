"""Running scheduled jobs once per fire time across replicas of ``allocbot run``.

Every replica runs the same APScheduler schedules. Before a run starts,
the replica claims the job and the fire time it runs for in ``job_run``
(see ``bot.store.leases``), and only the replica whose claim succeeds
runs it. While the run lasts, a heartbeat renews the claim's lease every
``service.lease_seconds / 3``. A run whose replica died keeps its
"running" row until the lease passes. Then the next sweep of any replica
(the heartbeat sweeps too) takes it over and runs it again, unless a
later run of the job was claimed meanwhile, which makes the old one moot.

A job runs at most once at a time per replica. When a run is still going
at the job's next fire time, this replica logs a warning and leaves that
fire time to the other replicas, so runs never pile up behind a hung one.
Each run gets a daemon thread of its own, so a hung job cannot keep a
stopped replica from exiting.

At the start, each job also claims its last fire time within its catch-up
window (``misfire_grace_seconds``, longer for the monthly report), so a
run that fell due while every replica was down runs once after the restart.

A failed run of a job marked ``retry`` (its work is safe to repeat) is
run again by a sweep ``RETRY_INTERVAL`` after it failed, and again after
each further failure, until the job's next fire time comes or the fire
time leaves the job's catch-up window.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot.jobs import OSLO, latest_fire_time
from bot.store.database import Store
from bot.store.leases import (
    claim_job_run,
    failed_job_runs,
    finish_job_run,
    hand_back_job_runs,
    lapsed_job_runs,
    later_run,
    renew_job_run,
    retry_job_run,
)
from bot.store.models import JobRun, utc_now

log = logging.getLogger(__name__)

HEARTBEAT_THREAD = "job-heartbeat"
# How long after a failed run of a job with ``retry`` the sweep runs it again.
RETRY_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class ScheduledJob:
    """A job: its name in ``job_run``, its schedule, and its work, which gets the fire time it runs for.

    ``catch_up`` is how far back a starting replica looks for a fire time
    that no replica ran; None means ``service.misfire_grace_seconds``.
    ``retry`` marks work that is safe to repeat after a failure, so a failed
    run is tried again within that window (see ``RETRY_INTERVAL``).
    """

    name: str
    trigger: BaseTrigger
    work: Callable[[datetime], object]
    catch_up: timedelta | None = None
    retry: bool = False


@dataclass
class _ActiveRun:
    run_id: int
    job: ScheduledJob
    due_at: datetime
    overdue_logged: bool = False


def replica_name(configured: str) -> str:
    """Return ``service.replica``, or "<host name>-<process id>" when it is empty."""
    return configured or f"{socket.gethostname()}-{os.getpid()}"


class JobRunner:
    """Claims, runs and finishes the runs of ``jobs`` for one replica, and keeps the claims' leases alive."""

    def __init__(self, store: Store, replica: str, jobs: Sequence[ScheduledJob], *, lease_seconds: float,
                 misfire_grace_seconds: float) -> None:
        self.store = store
        self.replica = replica
        self.jobs = {job.name: job for job in jobs}
        self.lease_seconds = lease_seconds
        self.misfire_grace = timedelta(seconds=misfire_grace_seconds)
        self._busy = {name: threading.Lock() for name in self.jobs}
        self._active: dict[int, _ActiveRun] = {}
        self._changed = threading.Condition()
        # _stopping is set when the replica takes no new work. The heartbeat goes on renewing the runs in
        # progress until _heartbeat_stop is set, once they ended or the shutdown time is up.
        self._stopping = threading.Event()
        self._heartbeat_stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name=HEARTBEAT_THREAD, daemon=True)
        self._renewed_at = time.monotonic()

    # -- running ---------------------------------------------------------------------

    def run(self, name: str, due_at: datetime, *, failed_before: datetime | None = None) -> str:
        """Run the job's fire time ``due_at`` if this replica claims it; return the outcome.

        With ``failed_before`` (a retry), only a failed run that ended
        before that time is claimed. The outcome is "done" or
        "failed", or the reason nothing ran: "claimed" (another replica has
        or had this run), "busy" (the job still runs here), "stopping", or
        "unavailable" (the store could not be reached). An Exception from
        the job is logged and stored with the run, not raised.
        """
        job = self.jobs[name]
        due_at = due_at.astimezone(timezone.utc)
        if self._stopping.is_set():
            log.info("job %s due at %s not started: replica %s is stopping", name, _text(due_at), self.replica)
            return "stopping"
        busy = self._busy[name]
        if not busy.acquire(blocking=False):
            log.warning("job %s is still running on replica %s; its run due at %s is left to another replica",
                        name, self.replica, _text(due_at))
            return "busy"
        try:
            try:
                with self.store.session() as session:
                    row = self._claim(session, name, due_at, failed_before)
            except SQLAlchemyError as exc:
                log.error("cannot claim job %s due at %s: %s", name, _text(due_at), exc)
                return "unavailable"
            if row is None:
                log.debug("job %s due at %s is claimed by another replica", name, _text(due_at))
                return "claimed"
            return self._execute(job, row)
        finally:
            busy.release()

    def _claim(self, session, name: str, due_at: datetime, failed_before: datetime | None) -> JobRun | None:
        if failed_before is None:
            return claim_job_run(session, name, due_at, self.replica, seconds=self.lease_seconds)
        row = retry_job_run(session, name, due_at, self.replica, seconds=self.lease_seconds,
                            failed_before=failed_before)
        if row is not None:
            log.warning("job %s due at %s failed before (%s); replica %s tries it again as run %s", name,
                        _text(due_at), row.error, self.replica, row.id)
        return row

    def _execute(self, job: ScheduledJob, row: JobRun) -> str:
        with self._changed:
            self._active[row.id] = _ActiveRun(row.id, job, row.due_at)
        started = time.monotonic()
        log.info("job %s started: run %s due at %s, replica %s", job.name, row.id, _text(row.due_at), self.replica)
        error: str | None = None
        try:
            job.work(row.due_at)
        except Exception as exc:  # noqa: BLE001 - one failed run must not end the replica; the next run tries again
            log.exception("job %s failed: run %s due at %s", job.name, row.id, _text(row.due_at))
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self._finish(job, row, error, time.monotonic() - started)
        return "failed" if error is not None else "done"

    def _finish(self, job: ScheduledJob, row: JobRun, error: str | None, seconds: float) -> None:
        try:
            with self.store.session() as session:
                still_ours = finish_job_run(session, row.id, self.replica, error=error)
            if still_ours:
                log.info("job %s %s after %.1f s: run %s", job.name, "failed" if error else "finished", seconds,
                         row.id)
            else:
                log.warning("job %s finished after %.1f s, but run %s was taken over by another replica meanwhile",
                            job.name, seconds, row.id)
        except SQLAlchemyError as exc:
            # The run stays "running" until its lease passes; then another replica runs it again.
            log.error("cannot record the end of job %s run %s: %s", job.name, row.id, exc)
        finally:
            with self._changed:
                self._active.pop(row.id, None)
                self._changed.notify_all()

    def spawn(self, name: str, due_at: datetime, *, failed_before: datetime | None = None) -> threading.Thread:
        """Run a fire time of job ``name`` in a daemon thread of its own, as the scheduler does."""
        thread = threading.Thread(target=self.run, args=(name, due_at), kwargs={"failed_before": failed_before},
                                  name=f"job-{name}", daemon=True)
        thread.start()
        return thread

    # -- start, heartbeat and sweep -----------------------------------------------------

    def start(self, now: datetime | None = None) -> None:
        """Start the heartbeat, and run each job's last fire time in its catch-up window unless a replica ran it."""
        now = now or utc_now()
        self._heartbeat.start()
        for job in self.jobs.values():
            since = now - (job.catch_up or self.misfire_grace)
            due_at = latest_fire_time(job.trigger, now, since)
            if due_at is not None:
                self.spawn(job.name, due_at)

    def _beat(self) -> None:
        """Renew and sweep every ``lease_seconds / 3`` until ``stop_heartbeat``; errors are logged, not raised."""
        interval = self.lease_seconds / 3
        while not self._heartbeat_stop.wait(interval):
            try:
                if self.renew():
                    self._renewed_at = time.monotonic()
                self.sweep()
            except Exception:  # noqa: BLE001 - a dead heartbeat would let other replicas take over every run here
                log.exception("job heartbeat of replica %s failed, trying again in %.0f s", self.replica, interval)

    def heartbeat_healthy(self) -> bool:
        """Return whether the heartbeat thread runs and renewed every run of this replica within ``lease_seconds``."""
        return self._heartbeat.is_alive() and time.monotonic() - self._renewed_at < self.lease_seconds

    def renew(self, now: datetime | None = None) -> bool:
        """Extend the leases of this replica's runs, and warn once about each run that passed its next fire time.

        Returns False when the lease of a run could not be renewed because of an error, which is logged.
        """
        now = now or utc_now()
        with self._changed:
            active = list(self._active.values())
        renewed = True
        for run in active:
            try:
                self._renew_run(run, now)
            except Exception:  # noqa: BLE001 - the other runs still need their renewal
                log.exception("cannot renew the lease of job %s run %s due at %s", run.job.name, run.run_id,
                              _text(run.due_at))
                renewed = False
        return renewed

    def _renew_run(self, run: _ActiveRun, now: datetime) -> None:
        with self.store.session() as session:
            kept = renew_job_run(session, run.run_id, self.replica, seconds=self.lease_seconds, now=now)
        if not kept:
            log.error("job %s run %s lost its lease to another replica while it still runs here",
                      run.job.name, run.run_id)
        next_fire = run.job.trigger.get_next_fire_time(run.due_at, run.due_at)
        if not run.overdue_logged and next_fire is not None and now > next_fire:
            run.overdue_logged = True
            log.warning("job %s run %s due at %s is still running past its next fire time %s",
                        run.job.name, run.run_id, _text(run.due_at), _text(next_fire))

    def sweep(self, now: datetime | None = None) -> list[threading.Thread]:
        """Take over the runs whose replica died or handed them back, retry failed runs, and run each in a thread.

        A lapsed run of a job that ran again later is recorded as failed
        instead, because the later run did its work.
        """
        if self._stopping.is_set():
            return []
        now = now or utc_now()
        threads = self._take_over(now)
        failed_before = now - RETRY_INTERVAL
        threads.extend(self.spawn(name, due_at, failed_before=failed_before)
                       for name, due_at in self._retries(now, failed_before))
        return threads

    def _take_over(self, now: datetime) -> list[threading.Thread]:
        with self.store.session() as session:
            lapsed = [(row.job, row.due_at) for row in lapsed_job_runs(session, self.jobs, now=now)]
        threads = []
        for name, due_at in lapsed:
            with self.store.session() as session:
                newer = later_run(session, name, due_at)
                if newer is None:
                    threads.append(self.spawn(name, due_at))
                    continue
                row = claim_job_run(session, name, due_at, self.replica, seconds=self.lease_seconds, now=now)
                if row is not None:
                    finish_job_run(session, row.id, self.replica, now=now,
                                   error=f"not resumed: the run due at {_text(newer.due_at)} came after it")
        return threads

    def _retries(self, now: datetime, failed_before: datetime) -> list[tuple[str, datetime]]:
        """Return the failed runs to try again: of jobs with ``retry``, failed before ``failed_before``.

        A run is left alone once its job's next fire time has come (that run
        does the work) or its fire time is older than the job's catch-up window.
        """
        retrying = [job for job in self.jobs.values() if job.retry]
        if not retrying:
            return []
        oldest = now - max(job.catch_up or self.misfire_grace for job in retrying)
        with self.store.session() as session:
            failed = [(row.job, row.due_at) for row in failed_job_runs(
                session, [job.name for job in retrying], failed_before=failed_before, due_after=oldest)]
        due = []
        for name, due_at in failed:
            job = self.jobs[name]
            next_fire = job.trigger.get_next_fire_time(due_at, due_at)
            if due_at > now - (job.catch_up or self.misfire_grace) and (next_fire is None or next_fire > now):
                due.append((name, due_at))
        return due

    # -- stop -------------------------------------------------------------------------------

    def stop_taking_work(self) -> None:
        """Start no more runs: scheduled fire times, catch-ups, takeovers and retries all return "stopping".

        The heartbeat goes on renewing the runs in progress until ``stop_heartbeat``.
        """
        self._stopping.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this replica's runs to end; return whether none is left."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._active, timeout)

    def active_jobs(self) -> list[str]:
        with self._changed:
            return sorted(run.job.name for run in self._active.values())

    def hand_back(self, *, running_too: bool = False) -> list[int]:
        """End the leases of this replica's unfinished runs, so another replica takes them over at once.

        A run whose thread still works here is handed back only with
        ``running_too``, once the shutdown time is up. Call ``stop_heartbeat``
        first, or its next renewal extends the leases again.
        """
        with self._changed:
            keep = [] if running_too else list(self._active)
        try:
            with self.store.session() as session:
                handed_back = hand_back_job_runs(session, self.replica, keep=keep)
        except SQLAlchemyError as exc:
            log.error("cannot hand back the job runs of replica %s; others take them over when their leases pass: "
                      "%s", self.replica, exc)
            return []
        if handed_back:
            log.warning("replica %s handed back job runs %s, which another replica takes over", self.replica,
                        handed_back)
        return handed_back

    def stop_heartbeat(self) -> None:
        """Stop renewing and sweeping; the leases of runs still going here then lapse after ``lease_seconds``."""
        self._stopping.set()
        self._heartbeat_stop.set()
        if self._heartbeat.is_alive():
            self._heartbeat.join(timeout=5)


class ClaimingExecutor(BaseExecutor):
    """An APScheduler executor that passes each run's fire time to ``JobRunner.run``, in a daemon thread per run.

    APScheduler's own executors call the job without its fire time, which
    the claim in ``job_run`` needs, and their pool threads would hold up
    the exit of a replica whose job hangs. This executor checks the
    misfire grace as APScheduler's ``run_job`` does.
    """

    def __init__(self, runner: JobRunner) -> None:
        super().__init__()
        self.runner = runner

    def _do_submit_job(self, job, run_times: list[datetime]) -> None:
        thread = threading.Thread(target=self._run, args=(job, run_times), name=f"job-{job.id}", daemon=True)
        thread.start()

    def _run(self, job, run_times: list[datetime]) -> None:
        events = []
        try:
            for run_time in run_times:
                late = datetime.now(timezone.utc) - run_time
                if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                    log.warning("job %s due at %s missed by %.0f s, more than the misfire grace of %s s; skipped",
                                job.id, _text(run_time), late.total_seconds(), job.misfire_grace_time)
                    events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias, run_time))
                    continue
                outcome = self.runner.run(job.id, run_time)
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias, run_time, outcome))
        except BaseException as exc:  # noqa: BLE001 - the executor must count the run as ended whatever happened
            self._run_job_error(job.id, exc, exc.__traceback__)
            return
        self._run_job_success(job.id, events)


def build_scheduler(runner: JobRunner, *, misfire_grace_seconds: int) -> BackgroundScheduler:
    """Return a scheduler, not yet started, with every job of ``runner`` on its trigger, read in Europe/Oslo time.

    ``coalesce`` merges fire times missed while the scheduler was busy
    into one run, and ``max_instances`` 1 keeps a second run of a job from
    starting beside a running one.
    """
    scheduler = BackgroundScheduler(timezone=OSLO, executors={"default": ClaimingExecutor(runner)})
    for job in runner.jobs.values():
        scheduler.add_job(_placeholder, job.trigger, id=job.name, name=job.name, max_instances=1, coalesce=True,
                          misfire_grace_time=misfire_grace_seconds)
    return scheduler


def _placeholder() -> None:
    """The function APScheduler stores with each job; ClaimingExecutor calls ``JobRunner.run`` instead."""
    raise AssertionError("scheduled jobs run through ClaimingExecutor")


def _text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
