"""``kill -9`` in the middle of the flow, then a restart: the flow completes, and nothing is done twice or lost.

A failpoint (env ALLOCBOT_FAILPOINTS, see bot/failpoints.py) makes the
process SIGKILL itself at a named point. The points tested are: after a
mail message is claimed, after its documents are stored, after questions
are claimed for a Slack message, after that message is sent, and after
vouchers are claimed or sent. The restart runs without failpoints, and
the checks are those of the replica test.

``allocbot post`` reaches the posting failpoints. It runs the same posting
run as the service's scheduled job, so those tests need not wait for a
minute boundary, and their replica has a schedule that does not fire.
One more test kills the replica from outside at a moment read from the
database: while a mail message is claimed.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from sqlmodel import select

from bot.store.models import MailMessage

from .flow import (FlowCounts, answer_all, check_exactly_once, deliver_mail, items_stored, tracebacks,
                   wait_for_mail)
from .harness import Replica, ServiceWorld, wait_until
from .mail_input import MailInput

pytestmark = pytest.mark.postgres

# Startup, the mail and the Slack messages take about 20 s; a process that lives longer missed its failpoint.
FAILPOINT_SECONDS = 90
POST_SECONDS = 60
# A posting schedule that does not fire during a test: midnight on 1 January.
NEVER = "0 0 1 1 *"


@pytest.mark.parametrize("failpoint", ["mail.after_claim", "mail.after_store", "slack.after_claim_delivery",
                                       "slack.after_send"])
def test_failpoint_kill_then_restart(world: ServiceWorld, mail_input: MailInput, failpoint: str):
    started = time.monotonic()
    deliver_mail(world, mail_input)
    world.store.migrate()

    crashed = world.start("r1", failpoints=failpoint)
    status = _wait_for_death(crashed, failpoint)
    died = time.monotonic()
    replica = world.start("r1")
    world.wait_listening(replica)
    counts = complete_flow(world, mail_input, replica)

    print(f"{failpoint}: {counts.summary()}; died after {died - started:.1f} s, completed "
          f"{time.monotonic() - died:.1f} s after the restart")
    assert status == -signal.SIGKILL
    assert not counts.problems, "\n".join(counts.problems)
    assert tracebacks(world) == {}


@pytest.mark.parametrize("failpoint", ["posting.after_claim", "posting.after_send"])
def test_posting_failpoint_kill_then_rerun(world: ServiceWorld, mail_input: MailInput, failpoint: str):
    started = time.monotonic()
    deliver_mail(world, mail_input)
    world.store.migrate()
    replica = world.start("r1", post_cron=NEVER)
    world.wait_listening(replica)
    wait_for_mail(world, mail_input, alive=lambda: _alive(replica))
    answer_all(world, mail_input, [replica], alive=lambda: _alive(replica))

    crashed = world.command("r1", "post", failpoints=failpoint)
    status = crashed.wait(POST_SECONDS)
    # Three runs at once after the crash: the posting lock lets one of them finish the vouchers left sending.
    after = [world.command("r1", "post") for _ in range(3)]
    statuses = [process.wait(POST_SECONDS) for process in after]
    exits = world.stop_all()
    counts = check_exactly_once(world, mail_input)

    print(f"{failpoint}: {counts.summary()}; total {time.monotonic() - started:.1f} s")
    assert status == -signal.SIGKILL
    assert statuses == [0, 0, 0]
    assert not counts.problems, "\n".join(counts.problems)
    assert exits == {"r1": 0}
    assert tracebacks(world) == {}


def test_sigkill_while_mail_claimed(world: ServiceWorld, mail_input: MailInput):
    started = time.monotonic()
    deliver_mail(world, mail_input)
    world.store.migrate()
    replica = world.start("r1")

    claimed = wait_until(lambda: _claimed_mail(world), FAILPOINT_SECONDS, "a mail message to be claimed",
                         lambda: _alive(replica))
    replica.kill()
    with world.store.session() as session:
        left = session.get(MailMessage, claimed)
    killed = time.monotonic()
    replica = world.start("r1")
    world.wait_listening(replica)
    counts = complete_flow(world, mail_input, replica)

    print(f"kill -9 with mail message {claimed} claimed: {counts.summary()}; killed after {killed - started:.1f} s, "
          f"completed {time.monotonic() - killed:.1f} s after the restart")
    assert left.status == "claimed", "the kill came after the message was handled, so it tested nothing"
    assert replica.exits == [-signal.SIGKILL, 0]
    assert not counts.problems, "\n".join(counts.problems)
    assert tracebacks(world) == {}


def complete_flow(world: ServiceWorld, mail: MailInput, replica: Replica) -> FlowCounts:
    """Let the restarted replica finish the mail and the questions, answer everything, post, stop, and count.

    Mail left unhandled does not stop the flow while every item is stored,
    so that the count shows what else the restart did or did twice.
    """
    wait_for_mail(world, mail, alive=lambda: _alive(replica), strict=False)
    complete = items_stored(world, mail)
    if complete:
        answer_all(world, mail, [replica], alive=lambda: _alive(replica))
        posting = world.command(replica.name, "post")
        assert posting.wait(POST_SECONDS) == 0, posting.log()[-3000:]
    exits = world.stop_all()

    counts = check_exactly_once(world, mail, answered=complete, posted=complete)
    if exits != {replica.name: 0}:
        counts.problems.append(f"the replica exited with {exits} after SIGTERM")
    return counts


def _wait_for_death(replica: Replica, failpoint: str) -> int:
    """Wait for the replica to kill itself at ``failpoint``; return its exit status."""
    try:
        return replica.wait_exit(FAILPOINT_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"replica {replica.name} still runs {FAILPOINT_SECONDS} s after its start, so it never "
                             f"reached failpoint {failpoint}") from None


def _claimed_mail(world: ServiceWorld) -> int | None:
    with world.store.session() as session:
        row = session.exec(select(MailMessage).where(MailMessage.status == "claimed")).first()
    return row.id if row else None


def _alive(replica: Replica) -> None:
    assert replica.running(), f"replica {replica.name} died:\n{replica.log()[-3000:]}"

