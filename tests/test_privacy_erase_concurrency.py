"""An erasure keeps a change that another transaction commits to a row it is about to rewrite, on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.privacy.erase import Person, erase_person
from bot.store.models import MailMessage
from test_audit_prune_concurrency import wait_for_lock_waiter
from test_privacy_erase import EMAIL, NAME

pytestmark = pytest.mark.parametrize("store", ["postgresql"], indirect=True)

PSEUDONYM = "slettet-0a1b2c3d"


def test_erase_keeps_concurrent_text_update(store):
    with store.session() as session:
        session.add(MailMessage(account="bilag@example.no", folder="INBOX", uidvalidity=1, uid=7,
                                subject=f"Kortutskrift fra {NAME}", status="processed"))
    failures: list[BaseException] = []

    def run_erasure() -> None:
        try:
            with store.session() as session:
                erase_person(session, Person(EMAIL, (NAME,), PSEUDONYM), actor="test")
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    with store.engine.connect() as writer:
        # Another transaction changes the subject and keeps the row locked until it commits.
        writer.execute(text("UPDATE mail_message SET subject = :subject"),
                       {"subject": f"Kortutskrift fra {NAME}, andre sending"})
        erasure = threading.Thread(target=run_erasure)
        erasure.start()
        # The erasure has scanned the old subject and now waits for the writer's row lock.
        wait_for_lock_waiter(store, "transactionid")
        writer.commit()
    erasure.join(timeout=30)

    assert not erasure.is_alive()
    assert failures == []
    with store.session() as session:
        subject = session.exec(select(MailMessage.subject)).one()
    assert subject == f"Kortutskrift fra {PSEUDONYM}, andre sending"
