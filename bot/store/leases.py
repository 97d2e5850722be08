"""Leases on work that one replica at a time does, and claims of the fire times of scheduled jobs.

Like the repository, every function works in the caller's session and
never commits. Each claim is a single INSERT ... ON CONFLICT or a single
conditional UPDATE, so when replicas race for the same lease or job run,
the database lets exactly one of them win. PostgreSQL makes a concurrent
writer wait for the winner's commit and then checks the condition again
against the new row. SQLite runs one writer at a time.

Times come from the replica's clock, so the hosts of the replicas need
synchronised clocks (NTP). An offset between two hosts shortens or
lengthens a lease by that much.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_, update
from sqlmodel import Session, col, select

from bot.store.models import JobRun, Lease, utc_now
from bot.store.upsert import dialect_insert

log = logging.getLogger(__name__)


# --- leases ----------------------------------------------------------------------


def acquire_lease(session: Session, name: str, holder: str, *, seconds: float, now: datetime | None = None) -> bool:
    """Take the lease ``name`` for ``seconds``, or extend it when ``holder`` has it already; return whether it is held.

    A lease that another holder has is taken only after its ``expires_at`` has passed.
    """
    now = now or utc_now()
    insert = dialect_insert(session, Lease).values(name=name, holder=holder, acquired_at=now,
                                                  expires_at=now + timedelta(seconds=seconds))
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={
            "holder": insert.excluded.holder,
            # A holder that renews by acquiring again keeps its first acquired_at.
            "acquired_at": case((col(Lease.holder) == holder, col(Lease.acquired_at)),
                                else_=insert.excluded.acquired_at),
            "expires_at": insert.excluded.expires_at,
        },
        where=or_(col(Lease.expires_at) < now, col(Lease.holder) == holder),
    ).returning(col(Lease.name))
    return session.exec(statement).first() is not None


def renew_lease(session: Session, name: str, holder: str, *, seconds: float, now: datetime | None = None) -> bool:
    """Extend a lease that ``holder`` still has; return False when another holder took it or it was released."""
    now = now or utc_now()
    result = session.exec(
        update(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=now + timedelta(seconds=seconds))
    )
    return result.rowcount == 1


def release_lease(session: Session, name: str, holder: str) -> bool:
    """Give up a lease so another replica can take it at once; return False when ``holder`` did not have it."""
    result = session.exec(delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder))
    return result.rowcount == 1


def get_lease(session: Session, name: str) -> Lease | None:
    return session.get(Lease, name, populate_existing=True)


# --- job runs --------------------------------------------------------------------


def claim_job_run(session: Session, job: str, due_at: datetime, replica: str, *, seconds: float,
                  now: datetime | None = None) -> JobRun | None:
    """Claim the run of ``job`` due at ``due_at`` for ``replica``; return its row, or None when it is not free.

    A run is free when nobody claimed it yet, or when it is still
    "running" but its ``lease_until`` has passed, because the replica that
    claimed it died or handed it back. A finished run is never claimed again.
    """
    now = now or utc_now()
    lease_until = now + timedelta(seconds=seconds)
    inserted = session.exec(
        dialect_insert(session, JobRun)
        .values(job=job, due_at=due_at, replica=replica, status="running", started_at=now, lease_until=lease_until,
                error="")
        .on_conflict_do_nothing(index_elements=["job", "due_at"])
        .returning(col(JobRun.id))
    ).scalar()
    if inserted is None:
        lapsed = session.exec(select(JobRun.replica, JobRun.lease_until)
                              .where(col(JobRun.job) == job, col(JobRun.due_at) == due_at)).first()
        inserted = session.exec(
            update(JobRun)
            .where(col(JobRun.job) == job, col(JobRun.due_at) == due_at, col(JobRun.status) == "running",
                   col(JobRun.lease_until) < now)
            .values(replica=replica, started_at=now, lease_until=lease_until)
            .returning(col(JobRun.id))
        ).scalar()
        if inserted is None:
            return None
        log.warning("job run %s (%s due at %s) of replica %s lapsed at %s; replica %s takes it over", inserted, job,
                    due_at.isoformat(), lapsed[0], lapsed[1].isoformat(), replica)
    return session.get(JobRun, inserted, populate_existing=True)


def renew_job_run(session: Session, run_id: int, replica: str, *, seconds: float,
                  now: datetime | None = None) -> bool:
    """Extend the lease of a running job run; return False when it is no longer this replica's."""
    now = now or utc_now()
    result = session.exec(
        update(JobRun)
        .where(col(JobRun.id) == run_id, col(JobRun.replica) == replica, col(JobRun.status) == "running")
        .values(lease_until=now + timedelta(seconds=seconds))
    )
    return result.rowcount == 1


def finish_job_run(session: Session, run_id: int, replica: str, *, error: str | None = None,
                   now: datetime | None = None) -> bool:
    """Record a run as "done", or "failed" with ``error``; return False when another replica took it over."""
    result = session.exec(
        update(JobRun)
        .where(col(JobRun.id) == run_id, col(JobRun.replica) == replica, col(JobRun.status) == "running")
        .values(status="failed" if error is not None else "done", error=error or "", finished_at=now or utc_now())
    )
    return result.rowcount == 1


def hand_back_job_runs(session: Session, replica: str, *, keep: Collection[int] = (),
                       now: datetime | None = None) -> list[int]:
    """End the leases of this replica's running job runs but those in ``keep``, so another replica takes them over."""
    now = now or utc_now()
    handed_back = session.exec(
        update(JobRun)
        .where(col(JobRun.replica) == replica, col(JobRun.status) == "running", col(JobRun.id).not_in(list(keep)))
        .values(lease_until=now - timedelta(microseconds=1))
        .returning(col(JobRun.id))
    )
    return sorted(handed_back.scalars().all())


def retry_job_run(session: Session, job: str, due_at: datetime, replica: str, *, seconds: float,
                  failed_before: datetime, now: datetime | None = None) -> JobRun | None:
    """Claim a failed run of ``job`` due at ``due_at`` again, if it failed before ``failed_before``; return its row.

    The row keeps the error of the failed attempt until this attempt
    finishes. Like a claim, it is one conditional UPDATE, so of several
    replicas that try at once only one gets the run.
    """
    now = now or utc_now()
    claimed = session.exec(
        update(JobRun)
        .where(col(JobRun.job) == job, col(JobRun.due_at) == due_at, col(JobRun.status) == "failed",
               col(JobRun.finished_at) < failed_before)
        .values(status="running", replica=replica, started_at=now, lease_until=now + timedelta(seconds=seconds),
                finished_at=None)
        .returning(col(JobRun.id))
    ).scalar()
    return None if claimed is None else session.get(JobRun, claimed, populate_existing=True)


def failed_job_runs(session: Session, jobs: Collection[str], *, failed_before: datetime,
                    due_after: datetime) -> list[JobRun]:
    """Return the failed runs of ``jobs`` due after ``due_after`` that ended before ``failed_before``, oldest first."""
    statement = (
        select(JobRun)
        .where(col(JobRun.job).in_(list(jobs)), col(JobRun.status) == "failed",
               col(JobRun.finished_at) < failed_before, col(JobRun.due_at) > due_after)
        .order_by(col(JobRun.due_at), col(JobRun.id))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def prune_job_runs(session: Session, finished_before: datetime) -> int:
    """Delete the runs that finished before ``finished_before``, but the newest run of each job; return how many."""
    newest = select(func.max(JobRun.id)).group_by(col(JobRun.job))
    result = session.exec(
        delete(JobRun)
        .where(col(JobRun.status) != "running", col(JobRun.finished_at) < finished_before,
               col(JobRun.id).not_in(newest))
    )
    return result.rowcount


def lapsed_job_runs(session: Session, jobs: Collection[str], *, now: datetime | None = None) -> list[JobRun]:
    """Return the running job runs of ``jobs`` whose lease has passed, oldest fire time first."""
    now = now or utc_now()
    statement = (
        select(JobRun)
        .where(col(JobRun.job).in_(list(jobs)), col(JobRun.status) == "running", col(JobRun.lease_until) < now)
        .order_by(col(JobRun.due_at), col(JobRun.id))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement))


def later_run(session: Session, job: str, due_at: datetime) -> JobRun | None:
    """Return a run of ``job`` due after ``due_at``, if any replica claimed one."""
    statement = (
        select(JobRun).where(col(JobRun.job) == job, col(JobRun.due_at) > due_at)
        .order_by(col(JobRun.due_at).desc())
    )
    return session.exec(statement).first()


def job_run(session: Session, job: str, due_at: datetime) -> JobRun | None:
    statement = select(JobRun).where(col(JobRun.job) == job, col(JobRun.due_at) == due_at)
    return session.exec(statement.execution_options(populate_existing=True)).first()
