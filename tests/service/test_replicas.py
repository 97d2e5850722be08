"""Three replicas of ``allocbot run`` at once on one PostgreSQL database: nothing done twice, nothing lost.

The replicas start together on an empty database, the mailbox receives the
sample mail, the questions are answered through all three replicas in turn,
and the scheduled posting (``service.post_cron`` every minute) posts the
allocations. Then every part is counted against the input.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import text

from .flow import (answer_all, check_exactly_once, deliver_mail, tracebacks, wait_for_mail, wait_for_postings,
                   wait_for_questions)
from .harness import ServiceWorld

pytestmark = pytest.mark.postgres

REPLICAS = ("r1", "r2", "r3")
# The posting job runs on minute boundaries: at most a minute to the next one, and time to post.
POSTING_SECONDS = 100
POSTING_RUN = "posting run started"


def test_replicas_migrate_empty_database_at_once(world: ServiceWorld):
    # Each replica migrates the store when it starts, so three first starts migrate the same database at once.
    replicas = [world.start(name) for name in REPLICAS]

    world.wait_listening(*replicas)
    exits = world.stop_all()

    assert exits == {name: 0 for name in REPLICAS}
    assert tracebacks(world) == {}


def test_three_replicas_do_everything_once(world: ServiceWorld, mail_input):
    # Migrated first, as a deploy step would, so that this test checks the flow even while concurrent
    # migrations fail (see the test above).
    world.store.migrate()
    started = time.monotonic()
    replicas = [world.start(name) for name in REPLICAS]
    world.wait_listening(*replicas)
    listening = time.monotonic()

    def all_alive() -> None:
        dead = [replica.name for replica in replicas if not replica.running()]
        assert not dead, f"replicas {dead} died"

    deliver_mail(world, mail_input)
    wait_for_mail(world, mail_input, alive=all_alive)
    wait_for_questions(world, mail_input, alive=all_alive)
    questions_sent = time.monotonic()
    answer_all(world, mail_input, replicas, alive=all_alive)
    posted_in_time = wait_for_postings(world, mail_input, POSTING_SECONDS, alive=all_alive)
    posted = time.monotonic()
    exits = world.stop_all()

    counts = check_exactly_once(world, mail_input)
    posting_runs = sum(len(re.findall(POSTING_RUN, world.replicas[name].log())) for name in REPLICAS)
    print(f"3 replicas: {counts.summary()}, posting runs logged={posting_runs}; started in "
          f"{listening - started:.1f} s, questions sent after {questions_sent - listening:.1f} s, posted after "
          f"{posted - questions_sent:.1f} s, total {time.monotonic() - started:.1f} s")
    assert not counts.problems, "\n".join(counts.problems)
    assert posted_in_time
    assert tracebacks(world) == {}
    assert exits == {name: 0 for name in REPLICAS}
    assert counts.job_runs > 0, "no job_run rows: the scheduled jobs are not claimed per fire time"
    assert posting_runs == _posting_job_runs(world)


def _posting_job_runs(world: ServiceWorld) -> int:
    """Count the job_run rows of the posting job; each must match one posting run in the replicas' logs."""
    with world.store.session() as session:
        return session.execute(text("SELECT count(*) FROM job_run WHERE job LIKE '%post%'")).scalar_one()
