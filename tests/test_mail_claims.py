"""Claims of mailbox messages on SQLite and PostgreSQL: a stale claim is taken over by one poller only."""

from __future__ import annotations

from datetime import timedelta

from bot.store.mail import MailKey, claim_message, finish_message, reclaim_message
from bot.store.models import utc_now

KEY = MailKey("regnskap@example.no", "INBOX", 1, 7)


def claim(store):
    with store.session() as session:
        row, claimed = claim_message(session, KEY, message_id="<m@example.no>", sender="controller@example.no",
                                     subject="Kortutskrift", attachments=[])
    assert claimed
    return row


def test_reclaim_only_first_of_two_pollers(store):
    row = claim(store)
    seen = row.claimed_at
    later = utc_now() + timedelta(seconds=1)

    with store.session() as session:
        first = reclaim_message(session, row.id, seen, now=later)
    with store.session() as session:
        second = reclaim_message(session, row.id, seen, now=later + timedelta(seconds=1))
    with store.session() as session:
        renewed = reclaim_message(session, row.id, later, now=later + timedelta(seconds=2))

    assert first
    assert not second
    assert renewed


def test_reclaim_of_finished_message_fails(store):
    row = claim(store)
    with store.session() as session:
        finish_message(session, row.id, "processed")

    with store.session() as session:
        reclaimed = reclaim_message(session, row.id, row.claimed_at)

    assert not reclaimed
