"""Leases and job-run claims on SQLite and PostgreSQL: one winner per race, takeover only after the lease lapses."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from bot.lease_keeper import LeaseKeeper
from bot.store.leases import (
    acquire_lease,
    claim_job_run,
    finish_job_run,
    get_lease,
    hand_back_job_runs,
    job_run,
    lapsed_job_runs,
    later_run,
    prune_job_runs,
    release_lease,
    renew_job_run,
    renew_lease,
    retry_job_run,
)
from bot.store.locks import store_lock
from bot.store.models import JobRun

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)
DUE = datetime(2026, 12, 5, 8, 30, tzinfo=timezone.utc)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_lease_acquired_when_free(store):
    with store.session() as session:
        acquired = acquire_lease(session, "mailbox", "a", seconds=60, now=NOW)
    with store.session() as session:
        lease = get_lease(session, "mailbox")

    assert acquired
    assert lease.holder == "a"
    assert lease.expires_at == later(60)


def test_lease_refused_while_held(store):
    with store.session() as session:
        acquire_lease(session, "mailbox", "a", seconds=60, now=NOW)
    with store.session() as session:
        taken = acquire_lease(session, "mailbox", "b", seconds=60, now=later(59))
    with store.session() as session:
        lease = get_lease(session, "mailbox")

    assert not taken
    assert lease.holder == "a"


def test_lease_taken_over_after_lapse(store):
    with store.session() as session:
        acquire_lease(session, "mailbox", "a", seconds=60, now=NOW)
    with store.session() as session:
        taken = acquire_lease(session, "mailbox", "b", seconds=60, now=later(61))
    with store.session() as session:
        renewed_by_old = renew_lease(session, "mailbox", "a", seconds=60, now=later(62))
        lease = get_lease(session, "mailbox")

    assert taken
    assert not renewed_by_old
    assert lease.holder == "b"
    assert lease.acquired_at == later(61)


def test_holder_extends_own_lease(store):
    with store.session() as session:
        acquire_lease(session, "mailbox", "a", seconds=60, now=NOW)
    with store.session() as session:
        again = acquire_lease(session, "mailbox", "a", seconds=60, now=later(30))
        renewed = renew_lease(session, "mailbox", "a", seconds=60, now=later(40))
        lease = get_lease(session, "mailbox")

    assert again
    assert renewed
    assert lease.acquired_at == NOW
    assert lease.expires_at == later(100)


def test_released_lease_free_at_once(store):
    with store.session() as session:
        acquire_lease(session, "mailbox", "a", seconds=60, now=NOW)
    with store.session() as session:
        released_by_other = release_lease(session, "mailbox", "b")
        released = release_lease(session, "mailbox", "a")
    with store.session() as session:
        taken = acquire_lease(session, "mailbox", "b", seconds=60, now=later(1))

    assert not released_by_other
    assert released
    assert taken


def test_two_sessions_race_for_lease(store):
    """Both sessions try at once; the database lets exactly one of them take the lease."""
    start = threading.Barrier(2)
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def contend(holder: str) -> None:
        try:
            start.wait(5)
            with store.session() as session:
                results[holder] = acquire_lease(session, "mailbox", holder, seconds=60)
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(holder,)) for holder in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with store.session() as session:
        lease = get_lease(session, "mailbox")

    assert errors == []
    assert sorted(results.values()) == [False, True]
    assert results[lease.holder] is True


def test_waiting_claim_sees_committed_winner(store):
    """A claim that waits on the winner's uncommitted row checks its condition again after the commit."""
    results: list[bool] = []

    def second_claim() -> None:
        with store.session() as second:
            results.append(acquire_lease(second, "mailbox", "b", seconds=60))

    waiter = threading.Thread(target=second_claim)
    with store.session() as first:
        assert acquire_lease(first, "mailbox", "a", seconds=60)
        waiter.start()
        waiter.join(0.5)
        blocked = waiter.is_alive()
    waiter.join(10)
    with store.session() as session:
        lease = get_lease(session, "mailbox")

    assert blocked
    assert results == [False]
    assert lease.holder == "a"


def test_job_run_claimed_once(store):
    with store.session() as session:
        first = claim_job_run(session, "posting", DUE, "a", seconds=60, now=NOW)
    with store.session() as session:
        second = claim_job_run(session, "posting", DUE, "b", seconds=60, now=later(1))
        other_time = claim_job_run(session, "posting", DUE + timedelta(minutes=30), "b", seconds=60, now=later(1))

    assert first is not None
    assert first.replica == "a"
    assert first.status == "running"
    assert first.lease_until == later(60)
    assert second is None
    assert other_time is not None


def test_two_sessions_race_for_job_run(store):
    start = threading.Barrier(4)
    won: list[str] = []
    errors: list[BaseException] = []

    def contend(replica: str) -> None:
        try:
            start.wait(5)
            with store.session() as session:
                if claim_job_run(session, "retrain", DUE, replica, seconds=60) is not None:
                    won.append(replica)
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"replica-{index}",)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with store.session() as session:
        row = job_run(session, "retrain", DUE)

    assert errors == []
    assert len(won) == 1
    assert row.replica == won[0]


def test_running_job_run_taken_over_after_lapse(store):
    with store.session() as session:
        first = claim_job_run(session, "report", DUE, "a", seconds=60, now=NOW)
    with store.session() as session:
        early = claim_job_run(session, "report", DUE, "b", seconds=60, now=later(59))
        late = claim_job_run(session, "report", DUE, "b", seconds=60, now=later(61))
    with store.session() as session:
        renewed_by_old = renew_job_run(session, first.id, "a", seconds=60, now=later(62))
        finished_by_old = finish_job_run(session, first.id, "a", now=later(63))
        finished_by_new = finish_job_run(session, first.id, "b", now=later(64))
        row = job_run(session, "report", DUE)

    assert early is None
    assert late is not None
    assert late.id == first.id
    assert late.replica == "b"
    assert not renewed_by_old
    assert not finished_by_old
    assert finished_by_new
    assert row.status == "done"
    assert row.finished_at == later(64)


def test_renewed_job_run_not_taken_over(store):
    with store.session() as session:
        run = claim_job_run(session, "retrain", DUE, "a", seconds=60, now=NOW)
    with store.session() as session:
        renewed = renew_job_run(session, run.id, "a", seconds=60, now=later(50))
        taken = claim_job_run(session, "retrain", DUE, "b", seconds=60, now=later(70))

    assert renewed
    assert taken is None


def test_finished_job_run_never_claimed_again(store):
    with store.session() as session:
        run = claim_job_run(session, "posting", DUE, "a", seconds=60, now=NOW)
        finish_job_run(session, run.id, "a", error="ErpUnavailable: timed out", now=later(5))
    with store.session() as session:
        again = claim_job_run(session, "posting", DUE, "b", seconds=60, now=later(3600))
        row = job_run(session, "posting", DUE)

    assert again is None
    assert row.status == "failed"
    assert row.error == "ErpUnavailable: timed out"


def test_handed_back_run_free_at_once(store):
    with store.session() as session:
        mine = claim_job_run(session, "report", DUE, "a", seconds=60, now=NOW)
        done = claim_job_run(session, "retrain", DUE, "a", seconds=60, now=NOW)
        finish_job_run(session, done.id, "a", now=NOW)
        others = claim_job_run(session, "posting", DUE, "b", seconds=60, now=NOW)
    with store.session() as session:
        handed_back = hand_back_job_runs(session, "a", now=later(1))
    with store.session() as session:
        lapsed = lapsed_job_runs(session, ["report", "retrain", "posting"], now=later(2))
        taken = claim_job_run(session, "report", DUE, "b", seconds=60, now=later(2))

    assert handed_back == [mine.id]
    assert [row.id for row in lapsed] == [mine.id]
    assert others is not None
    assert taken is not None


def test_lapsed_runs_only_of_given_jobs(store):
    with store.session() as session:
        claim_job_run(session, "report", DUE, "a", seconds=60, now=NOW)
        claim_job_run(session, "retired-job", DUE, "a", seconds=60, now=NOW)

    with store.session() as session:
        lapsed = lapsed_job_runs(session, ["report"], now=later(61))

    assert [row.job for row in lapsed] == ["report"]


def test_later_run_found(store):
    with store.session() as session:
        claim_job_run(session, "posting", DUE, "a", seconds=60, now=NOW)
        claim_job_run(session, "posting", DUE + timedelta(minutes=30), "b", seconds=60, now=NOW)

    with store.session() as session:
        newer = later_run(session, "posting", DUE)
        none_newer = later_run(session, "posting", DUE + timedelta(minutes=30))

    assert newer.due_at == DUE + timedelta(minutes=30)
    assert none_newer is None


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_keepers_hold_lease_one_at_a_time(store):
    keepers = [LeaseKeeper(store, "mailbox", holder, lease_seconds=0.9) for holder in ("a", "b")]
    for keeper in keepers:
        keeper.start()
    try:
        assert wait_for(lambda: any(keeper.held.is_set() for keeper in keepers))
        time.sleep(1.0)
        holders = [keeper.holder for keeper in keepers if keeper.held.is_set()]
        first = next(keeper for keeper in keepers if keeper.held.is_set())
        second = next(keeper for keeper in keepers if keeper is not first)

        first.stop()
        taken_over = wait_for(second.held.is_set, timeout=2.0)
        with store.session() as session:
            lease = get_lease(session, "mailbox")
    finally:
        for keeper in keepers:
            keeper.stop()

    assert len(holders) == 1
    assert taken_over
    assert lease.holder == second.holder


def test_keeper_loses_lease_taken_by_other(store):
    keeper = LeaseKeeper(store, "mailbox", "a", lease_seconds=60)
    assert keeper.try_acquire()
    with store.session() as session:
        release_lease(session, "mailbox", "a")
        acquire_lease(session, "mailbox", "b", seconds=60)

    kept = keeper.try_acquire()
    keeper.stop()
    with store.session() as session:
        lease = get_lease(session, "mailbox")

    assert not kept
    assert not keeper.held.is_set()
    assert lease.holder == "b"


def test_store_lock_exclusive_between_threads(store):
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store_lock(store, "slack-delivery", wait_seconds=1) as held:
            assert held
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    started = time.monotonic()
    with store_lock(store, "slack-delivery", wait_seconds=0.5) as held_meanwhile:
        waited = time.monotonic() - started
    with store_lock(store, "other-name", wait_seconds=0) as other_name:
        pass
    release.set()
    holder.join(10)
    with store_lock(store, "slack-delivery", wait_seconds=0) as held_after:
        pass

    assert not held_meanwhile
    assert waited >= 0.5
    assert other_name
    assert held_after


def test_store_lock_without_limit_waits_for_holder(store):
    holding = threading.Event()
    waiting = threading.Event()
    order: list[str] = []

    def hold() -> None:
        with store_lock(store, "report", wait_seconds=0) as held:
            assert held
            holding.set()
            assert waiting.wait(10)
            time.sleep(0.3)
            order.append("first released")

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    with store_lock(store, "report", wait_seconds=None, on_wait=waiting.set) as held:
        order.append("second holds")
    holder.join(10)

    assert held
    assert waiting.is_set()
    assert order == ["first released", "second holds"]


def finished_run(session, job: str, due_at: datetime, finished_at: datetime, *, error: str | None = None) -> int:
    row = claim_job_run(session, job, due_at, "a", seconds=60, now=due_at)
    finish_job_run(session, row.id, "a", error=error, now=finished_at)
    return row.id


def test_prune_keeps_recent_running_and_newest(store):
    cutoff = NOW - timedelta(days=30)
    with store.session() as session:
        old_done = finished_run(session, "posting", cutoff - timedelta(days=2), cutoff - timedelta(days=2))
        old_failed = finished_run(session, "posting", cutoff - timedelta(days=1), cutoff - timedelta(days=1),
                                  error="ERP timed out")
        recent = finished_run(session, "posting", NOW - timedelta(days=1), NOW - timedelta(days=1))
        newest_of_job = finished_run(session, "monthly-report", cutoff - timedelta(days=40),
                                     cutoff - timedelta(days=40))
        running = claim_job_run(session, "retrain", cutoff - timedelta(days=5), "a", seconds=60,
                                now=cutoff - timedelta(days=5)).id
    with store.session() as session:
        deleted = prune_job_runs(session, cutoff)
    with store.session() as session:
        left = {row.id for row in session.exec(select(JobRun))}

    assert deleted == 2
    assert old_done not in left
    assert old_failed not in left
    assert left == {recent, newest_of_job, running}


def test_failed_run_claimed_again_once(store):
    with store.session() as session:
        run_id = finished_run(session, "monthly-report", DUE, NOW, error="SMTP server unreachable")
    with store.session() as session:
        too_early = retry_job_run(session, "monthly-report", DUE, "b", seconds=60, failed_before=NOW, now=later(1))
    with store.session() as session:
        retried = retry_job_run(session, "monthly-report", DUE, "b", seconds=60, failed_before=later(1),
                                now=later(1))
    with store.session() as session:
        again = retry_job_run(session, "monthly-report", DUE, "c", seconds=60, failed_before=later(1),
                              now=later(2))

    assert too_early is None
    assert retried.id == run_id
    assert retried.status == "running"
    assert retried.replica == "b"
    assert retried.finished_at is None
    assert again is None


def test_housekeeping_prunes_month_old_runs(store):
    from bot.service_jobs import prune_job_history

    with store.session() as session:
        month_old = finished_run(session, "posting", NOW - timedelta(days=31), NOW - timedelta(days=31))
        week_old = finished_run(session, "posting", NOW - timedelta(days=7), NOW - timedelta(days=7))

    deleted = prune_job_history(store, NOW)
    with store.session() as session:
        left = {row.id for row in session.exec(select(JobRun))}

    assert deleted == 1
    assert month_old not in left
    assert left == {week_old}
