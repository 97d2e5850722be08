"""The ``allocbot audit`` commands: verify, show, export and prune.

``verify`` and ``export`` exit with status 1 when the chain is broken and
print one line that names the first broken event: its id, its time in
Norwegian time, its action and subject, and what does not match.
``verify --expect ID:HASH`` also exits with status 1 when event ID no
longer has HASH, a hash copied earlier from ``verify`` or the monthly report.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from bot.audit_export import export_audit_log
from bot.audit_history import load_item_history, local_time, render_item_history
from bot.commands import cli_actor, open_store
from bot.config import Settings
from bot.errors import UsageError
from bot.i18n import N_, Translator
from bot.store.audit import (
    FISCAL_TIMEZONE,
    AuditChainBroken,
    ChainProblem,
    PrunePlan,
    check_audit_chain,
    newest_anchor,
    plan_prune,
    prune_audit,
    prune_event,
)
from bot.store.models import AuditAnchor, AuditEvent

_PROBLEMS = {
    "changed": N_("its content does not match its hash, so it was changed after it was written"),
    "unlinked": N_("it does not follow event {previous}: an event between them was deleted, or this event "
                   "was inserted or changed together with its hash"),
    "unlinked_at_start": N_("it does not follow the start of the log: events before it were deleted, or this "
                            "event was inserted"),
    "anchor_unlinked": N_("it does not follow event {through_id}, the newest one deleted after the retention "
                          "period: events after that one were deleted, or this event was inserted"),
}


def describe_problem(problem: ChainProblem, translator: Translator) -> str:
    """Return one line that names the broken event (or anchor) and what does not match."""
    if problem.kind == "anchor_unrecorded":
        return translator("Audit log damaged: anchor {anchor}, which says events through {through_id} were "
                          "deleted, is recorded by no audit_pruned event, so it was forged or changed.",
                          anchor=problem.anchor.id, through_id=problem.anchor.through_id)

    event = problem.event
    kind = "unlinked_at_start" if problem.kind == "unlinked" and problem.previous_id is None else problem.kind
    what = translator(_PROBLEMS[kind], previous=problem.previous_id,
                      through_id=problem.anchor.through_id if problem.anchor else None)
    subject = f"{event.subject_type} {event.subject_id}"
    return translator("Audit log damaged at event {id} ({time}, {action}, {subject}): {problem}.",
                      id=event.id, time=local_time(event.at, translator), action=event.action, subject=subject,
                      problem=what)


def audit_verify(settings: Settings, *, expect: tuple[int, str] | None = None) -> int:
    """Check the chain, and with ``expect`` (event id, hash) compare an outside copy of a hash; 1 on any mismatch.

    Prints the first problem, or the count and the newest hash. The newest
    hash is printed so that it can be kept outside the database, because the
    chain alone cannot show that events were rewritten together with every
    later hash, or that its newest events were removed.
    """
    translator = Translator(settings.language)
    with _session(settings) as session:
        status = check_audit_chain(session)
        anchor = newest_anchor(session)
        if status.problems:
            print(describe_problem(status.problems[0], translator))
            return 1
        if status.newest is None:
            print(translator("Audit log intact: no events yet."))
        else:
            print(translator("Audit log intact: {count} events checked; the newest is event {id} with hash {hash}.",
                             count=status.count, id=status.newest.id, hash=status.newest.hash))
        if anchor is not None:
            print(translator("Events through {through_id} were deleted after the retention period.",
                             through_id=anchor.through_id))
        if expect is None:
            return 0
        return _compare_expected(session, expect, anchor, translator)


def _compare_expected(session: Session, expect: tuple[int, str], anchor: AuditAnchor | None,
                      translator: Translator) -> int:
    """Print whether event ``expect[0]`` is still in the log with hash ``expect[1]``; return 0 when it is, else 1."""
    event_id, expected = expect
    if anchor is not None and event_id <= anchor.through_id:
        print(_describe_pruned(session, event_id, anchor, translator))
        return 1

    event = session.get(AuditEvent, event_id)
    if event is None:
        print(translator("Audit log changed: event {id} is not in the log, so it was removed, or the id is wrong.",
                         id=event_id))
        return 1
    if event.hash != expected:
        print(translator("Audit log changed: event {id} has hash {stored}, not {expected}, so it or an event "
                         "before it was changed or removed, and the later hashes were recomputed.",
                         id=event_id, stored=event.hash, expected=expected))
        return 1
    print(translator("Event {id} still has hash {hash}, so the events up to it are as they were when that "
                     "hash was copied.", id=event_id, hash=expected))
    return 0


def _describe_pruned(session: Session, event_id: int, anchor: AuditAnchor, translator: Translator) -> str:
    """Say which prune deleted the event, so the auditor can tell from the copy's date whether it was forged."""
    # The chain verified, so an audit_pruned event records the anchor.
    pruned = prune_event(session, anchor)
    return translator("Event {id} was deleted by the prune on {pruned_on} of the events written before {cutoff}, so "
                      "its hash cannot be compared. If the hash was copied after {cutoff}, that prune was forged; "
                      "otherwise compare a copy taken after event {through_id}.", id=event_id,
                      pruned_on=local_time(pruned.at, translator), cutoff=_cutoff_day(pruned, translator),
                      through_id=anchor.through_id)


def _cutoff_day(pruned: AuditEvent, translator: Translator) -> str:
    """Return the prune's recorded cutoff as a day in Norwegian time, or as stored when it is no ISO time."""
    recorded = str(pruned.data.get("cutoff"))
    try:
        cutoff = datetime.fromisoformat(recorded)
    except ValueError:
        return recorded
    return translator.date(cutoff.astimezone(FISCAL_TIMEZONE).date())


def audit_prune(settings: Settings, *, dry_run: bool) -> int:
    """Delete the events older than audit.retention_years, or with ``dry_run`` only print how many would go."""
    translator = Translator(settings.language)
    years = settings.audit.retention_years
    with _session(settings) as session:
        # Also when nothing is old enough to go, so that a damaged log never looks fine here.
        problems = check_audit_chain(session).problems
        if problems:
            return _refuse_prune(problems[0], translator)
        plan = plan_prune(session, retention_years=years)
        deleted, through_id = plan.count, plan.through.id if plan.through else None
        if not dry_run and plan.count:
            try:
                # A prune that ran meanwhile can leave fewer events to delete than the plan counted.
                deleted = prune_audit(session, retention_years=years, actor=cli_actor())
            except AuditChainBroken as exc:
                return _refuse_prune(exc.problem, translator)
            through_id = newest_anchor(session).through_id if deleted else None

    kept_from = translator.date(_fiscal_year_start(plan))
    if deleted == 0:
        print(translator("No audit events are older than {years} fiscal years; the log starts within the "
                         "period kept, which begins {date}.", years=years, date=kept_from))
    elif dry_run:
        print(translator("Dry run: {count} audit events written before {date}, through event {through_id}, "
                         "would be deleted.", count=deleted, date=kept_from, through_id=through_id))
    else:
        print(translator("Deleted {count} audit events written before {date}, through event {through_id}.",
                         count=deleted, date=kept_from, through_id=through_id))
    return 0


def _refuse_prune(problem: ChainProblem, translator: Translator) -> int:
    print(describe_problem(problem, translator))
    print("allocbot: " + translator("no audit events deleted, because the log is damaged"), file=sys.stderr)
    return 1


def audit_show(settings: Settings, item_id: int) -> int:
    """Print one item's audit history in the configured language; an unknown item id is a UsageError."""
    translator = Translator(settings.language)
    with _session(settings) as session:
        history = load_item_history(session, item_id)
        lines = render_item_history(history, translator)
    print("\n".join(lines))
    return 0


def audit_export(settings: Settings, *, file_format: str, output: Path, since: date | None,
                 until: date | None) -> int:
    """Write the audit log to ``output`` and print the count; a broken chain still writes it but returns 1."""
    translator = Translator(settings.language)
    if since is not None and until is not None and since > until:
        raise UsageError("--since", N_("{since} is after --until {until}"), fix=N_("swap the two dates"),
                         since=since.isoformat(), until=until.isoformat())
    if not output.parent.is_dir():
        raise UsageError(output.resolve(), N_("folder {folder} not found"), fix=N_("check the path"),
                         folder=str(output.parent.resolve()))

    with _session(settings) as session:
        result = export_audit_log(session, output, file_format, since=since, until=until)
    print(translator("Wrote {count} audit events to {path}.", count=result.count, path=str(output)))
    if result.problems:
        print(describe_problem(result.problems[0], translator), file=sys.stderr)
        return 1
    print(translator("Audit log intact."))
    return 0


def _fiscal_year_start(plan: PrunePlan) -> date:
    return plan.cutoff.astimezone(FISCAL_TIMEZONE).date()


def _session(settings: Settings):
    """Open the configured store and one transaction on it."""
    return open_store(settings).session()
