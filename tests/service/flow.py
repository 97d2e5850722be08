"""Steps through the whole flow against running replicas, and the check that each thing happened exactly once.

The steps wait on the database, the mail servers and the Slack stand-in,
never on a replica's log, so they hold whichever replica did the work.
``check_exactly_once`` collects every problem before it fails, so that one
run of a failing test shows all the duplicates and losses at once.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from itertools import cycle
from typing import Any

from sqlalchemy import inspect, text
from sqlmodel import select

from bot.policy import CONTROLLERS
from bot.store.models import (AllocationRow, AmazonItem, CardTransaction, Document, MailMessage, Posting, Question,
                              VoucherRow)

from .harness import Replica, ServiceWorld, wait_until
from .mail_input import MailInput

log = logging.getLogger(__name__)

# Three poll intervals and the processing, which takes a few seconds.
MAIL_SECONDS = 30
QUESTION_SECONDS = 60
ANSWER_SECONDS = 30
ANSWER_ROUNDS = 4
FINAL_MAIL = ("processed", "failed", "rejected", "empty")
# The first button of a question books its top suggestion; an approval has its own button.
ANSWER_ACTIONS = {"question": "choose:1", "approval": "approve"}


@dataclass
class FlowCounts:
    """What the store, the mail sink, Slack and the export folder hold after a run; the numbers a report gives."""

    mail_messages: int = 0
    replies: int = 0
    documents: int = 0
    items: int = 0
    card_lines: int = 0
    questions: int = 0
    question_posts: int = 0
    answers: int = 0
    allocations: int = 0
    vouchers_posted: int = 0
    vouchers_in_export: int = 0
    job_runs: int = 0
    job_runs_by_replica: dict[str, int] = field(default_factory=dict)   # keys "job@replica"
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        values = {name: value for name, value in asdict(self).items() if name != "problems"}
        return ", ".join(f"{name}={value}" for name, value in values.items())


def deliver_mail(world: ServiceWorld, mail: MailInput) -> None:
    for raw in mail.messages:
        world.dovecot.append(raw)


def wait_for_mail(world: ServiceWorld, mail: MailInput, *, alive=None, strict: bool = True) -> bool:
    """Wait until every message has a final status in the store and has left the inbox.

    Without ``strict``, a timeout returns False instead of failing, so that
    the caller can go on and count what else was done.
    """
    def done() -> bool:
        with world.store.session() as session:
            rows = session.exec(select(MailMessage)).all()
        return (len(rows) >= len(mail.messages) and all(row.status in FINAL_MAIL for row in rows)
                and not world.dovecot.uids("INBOX"))

    try:
        wait_until(done, MAIL_SECONDS, lambda: f"{len(mail.messages)} mail messages to be handled; rows: "
                   f"{_mail_rows(world)}", alive)
    except AssertionError:
        if strict:
            raise
        log.warning("mail not handled within %d s: rows %s", MAIL_SECONDS, _mail_rows(world))
        return False
    return True


def items_stored(world: ServiceWorld, mail: MailInput) -> bool:
    """Tell whether the store has an item for every report row of the input."""
    with world.store.session() as session:
        return len(session.exec(select(AmazonItem.id)).all()) >= mail.report_rows


def wait_for_questions(world: ServiceWorld, mail: MailInput, *, alive=None) -> list[Question]:
    """Wait until every item without an approved allocation has an open question that Slack shows; return those.

    Returns an empty list once every item of the input is approved.
    """
    def shown() -> list[Question] | None:
        with world.store.session() as session:
            items = session.exec(select(AmazonItem)).all()
            approved = set(session.exec(select(AllocationRow.item_id).where(AllocationRow.status == "approved")).all())
            questions = session.exec(select(Question).where(Question.status == "open")).all()
        shown_items = {question.item_id for question in questions if question.slack_ts}
        waiting = [item.id for item in items if item.id not in approved and item.id not in shown_items]
        if len(items) < mail.report_rows or waiting or any(not question.slack_ts for question in questions):
            return None
        return list(questions) or [None]

    found = wait_until(shown, QUESTION_SECONDS, lambda: f"questions about all {mail.report_rows} items to reach "
                       f"Slack; questions: {_question_rows(world)}", alive)
    return [question for question in found if question is not None]


def answer_all(world: ServiceWorld, mail: MailInput, replicas: list[Replica], *, alive=None) -> int:
    """Answer questions, then the approvals that the answers ask for, until every item is approved.

    Each round answers the open questions with their first button, sent
    by the person asked, to the replicas in turn. Returns the number of
    answers sent.
    """
    answers = 0
    for _ in range(ANSWER_ROUNDS):
        questions = wait_for_questions(world, mail, alive=alive)
        if not questions:
            return answers
        answers += answer_questions(world, questions, replicas)
    raise AssertionError(f"items still not approved after {ANSWER_ROUNDS} rounds of answers: "
                         f"{_question_rows(world)}")


def answer_questions(world: ServiceWorld, questions: list[Question], replicas: list[Replica]) -> int:
    """Answer each question with its first button, to the replicas in turn; return the number answered.

    Each answer must get HTTP 200; the store is then waited on until none
    of these questions is open any more.
    """
    targets = cycle(replicas)
    for question in questions:
        replica = next(targets)
        user_id = world.slack_ids[world.controller if question.asked_email == CONTROLLERS else question.asked_email]
        response = world.requests(replica).block_action(
            user_id, ANSWER_ACTIONS[question.kind], block_id=f"q:{question.id}", channel=question.slack_channel,
            message_ts=question.slack_ts)
        assert response.status == 200, f"replica {replica.name} answered question {question.id} with " \
                                       f"HTTP {response.status}: {response.body[:500]}"

    ids = [question.id for question in questions]

    def answered() -> bool:
        with world.store.session() as session:
            still_open = session.exec(select(Question).where(Question.id.in_(ids), Question.status == "open")).all()
        return not still_open

    wait_until(answered, ANSWER_SECONDS, lambda: f"answers to questions {ids} to be stored")
    return len(questions)


def wait_for_postings(world: ServiceWorld, mail: MailInput, timeout: float, *, alive=None) -> bool:
    """Wait until every item's allocation is on a posted voucher; return False when ``timeout`` passed first.

    The caller goes on to ``check_exactly_once``, which lists what is missing.
    """
    def posted() -> bool:
        with world.store.session() as session:
            allocations = session.exec(select(AllocationRow)).all()
            postings = session.exec(select(Posting).where(Posting.status == "posted")).all()
        return len(allocations) >= mail.report_rows and len(postings) >= len(allocations)

    try:
        wait_until(posted, timeout, "the postings", alive)
    except AssertionError:
        log.warning("not everything was posted within %.0f s: vouchers %s", timeout, _voucher_rows(world))
        return False
    return True


def check_exactly_once(world: ServiceWorld, mail: MailInput, *, answered: bool = True,
                       posted: bool = True) -> FlowCounts:
    """Count what every part contains, and list each thing done twice or lost in ``FlowCounts.problems``.

    The expected numbers come from the input: one mail row and one reply
    per message, one document per attachment, one item per report row,
    one card line per statement line. Each question must appear in exactly
    one chat.postMessage call. With ``answered``, every item must have one
    approved allocation. With ``posted``, each allocation must be on exactly
    one posted voucher, and each voucher number must be in the export once.
    """
    counts = FlowCounts()
    problems = counts.problems
    with world.store.session() as session:
        mail_rows = session.exec(select(MailMessage)).all()
        documents = session.exec(select(Document)).all()
        items = session.exec(select(AmazonItem)).all()
        card_lines = session.exec(select(CardTransaction)).all()
        questions = session.exec(select(Question)).all()
        allocations = session.exec(select(AllocationRow)).all()
        postings = session.exec(select(Posting)).all()
        vouchers = session.exec(select(VoucherRow)).all()

    counts.mail_messages = len(mail_rows)
    _expect(problems, "mail_message rows", len(mail_rows), len(mail.messages))
    _expect_once(problems, "mail message", Counter(row.message_id for row in mail_rows))
    problems += [f"mail message {row.id} (UID {row.uid}) ended {row.status} {row.error}".rstrip() for row in mail_rows
                 if row.status != "processed"]

    replies = Counter(str(message.message.get("In-Reply-To", "")) for message in world.smtp.messages)
    counts.replies = sum(replies.values())
    _expect(problems, "replies in the SMTP sink", counts.replies, len(mail.messages))
    _expect_once(problems, "reply to", replies)

    counts.documents = len(documents)
    _expect(problems, "documents", len(documents), len(mail.files))
    _expect_once(problems, "document", Counter(document.sha256 for document in documents))
    counts.items = len(items)
    _expect(problems, "items", len(items), mail.report_rows)
    counts.card_lines = len(card_lines)
    _expect(problems, "card lines", len(card_lines), mail.statement_lines)

    counts.questions = len(questions)
    _expect_once(problems, "(item, kind) of question", Counter((question.item_id, question.kind) for question in questions))
    posts = _question_posts(world)
    counts.question_posts = sum(posts.values())
    for question in questions:
        if posts[question.id] != 1:
            problems.append(f"question {question.id} (item {question.item_id}) is in {posts[question.id]} "
                            f"chat.postMessage calls, not 1")
    unsent = [question.id for question in questions if not question.slack_ts]
    if unsent:
        problems.append(f"questions {unsent} were never sent")

    if answered:
        counts.answers = sum(question.status == "answered" for question in questions)
        counts.allocations = len(allocations)
        _expect(problems, "allocations", len(allocations), mail.report_rows)
        problems += [f"allocation {row.id} of item {row.item_id} is {row.status}" for row in allocations
                     if row.status != "approved"]
    if posted:
        _check_postings(world, allocations, postings, vouchers, counts)
    counts.job_runs_by_replica = _check_job_runs(world, problems)
    counts.job_runs = sum(counts.job_runs_by_replica.values())
    return counts


def _check_postings(world: ServiceWorld, allocations, postings, vouchers, counts: FlowCounts) -> None:
    problems = counts.problems
    by_voucher = {voucher.id: voucher for voucher in vouchers}
    per_allocation = Counter(posting.allocation_id for posting in postings
                             if by_voucher[posting.voucher_id].status == "posted")
    for allocation in allocations:
        if per_allocation[allocation.id] != 1:
            problems.append(f"allocation {allocation.id} is on {per_allocation[allocation.id]} posted vouchers")
    problems += [f"voucher {voucher.number} is {voucher.status}" for voucher in vouchers if voucher.status != "posted"]
    counts.vouchers_posted = sum(voucher.status == "posted" for voucher in vouchers)

    exported = export_vouchers(world)
    counts.vouchers_in_export = len(exported)
    _expect_once(problems, "exported voucher", Counter(voucher["number"] for voucher in exported))
    stored_numbers = {voucher.number for voucher in vouchers if voucher.status == "posted"}
    exported_numbers = {voucher["number"] for voucher in exported}
    if stored_numbers != exported_numbers:
        problems.append(f"posted vouchers {sorted(stored_numbers)} differ from the export "
                        f"{sorted(exported_numbers)}")

    with world.store.session() as session:
        allocated = session.execute(text("SELECT coalesce(sum(amount), 0) FROM allocation_line")).scalar_one()
    booked = sum((Decimal(line["gross_amount"]) for voucher in exported for line in voucher["lines"]
                  if not line["clearing"]), Decimal(0))
    if Decimal(allocated) != booked:
        problems.append(f"the export books {booked} kr against {allocated} kr allocated")


def _check_job_runs(world: ServiceWorld, problems: list[str]) -> dict[str, int]:
    """Check that each job and fire time in job_run ran once, on a known replica; count the runs per job and replica."""
    with world.store.session() as session:
        if not inspect(session.connection()).has_table("job_run"):
            return {}
        rows = session.execute(text("SELECT job, due_at, replica, status FROM job_run")).all()
    known = set(world.replicas)
    _expect_once(problems, "job run", Counter((job, due_at) for job, due_at, _, _ in rows))
    problems += [f"job {job} due {due_at} ran on unknown replica {replica!r}" for job, due_at, replica, _ in rows
                 if replica not in known]
    return dict(Counter(f"{job}@{replica}" for job, _, replica, _ in rows))


def export_vouchers(world: ServiceWorld) -> list[dict[str, Any]]:
    """Every voucher in the JSON files of the export folder, in file order."""
    vouchers = []
    for path in sorted(world.export_dir.glob("vouchers-*.json")):
        vouchers += json.loads(path.read_text(encoding="utf-8"))["vouchers"]
    return vouchers


def tracebacks(world: ServiceWorld) -> dict[str, int]:
    """The number of logged tracebacks per log file, only those that have any."""
    found = {name: text_of_log.count("Traceback") for name, text_of_log in world.logs().items()}
    return {name: count for name, count in found.items() if count}


def _question_posts(world: ServiceWorld) -> Counter[int]:
    """Count, per question id, the successful chat.postMessage calls whose blocks show it."""
    posts: Counter[int] = Counter()
    for call in world.standin.calls_to("chat.postMessage"):
        if call.error is not None:
            continue
        blocks = call.params.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        for block in blocks:
            block_id = str(block.get("block_id", ""))
            if block_id.startswith("q:"):
                posts[int(block_id[2:])] += 1
    return posts


def _expect(problems: list[str], what: str, found: int, expected: int) -> None:
    if found != expected:
        problems.append(f"{found} {what}, expected {expected}")


def _expect_once(problems: list[str], what: str, counter: Counter) -> None:
    problems += [f"{what} {key!r} {count} times" for key, count in counter.items() if count != 1]


def _mail_rows(world: ServiceWorld) -> list[tuple]:
    with world.store.session() as session:
        return [(row.id, row.uid, row.status) for row in session.exec(select(MailMessage))]


def _question_rows(world: ServiceWorld) -> list[tuple]:
    with world.store.session() as session:
        return [(row.id, row.item_id, row.status, row.slack_ts) for row in session.exec(select(Question))]


def _voucher_rows(world: ServiceWorld) -> list[tuple]:
    with world.store.session() as session:
        return [(row.number, row.status) for row in session.exec(select(VoucherRow))]
