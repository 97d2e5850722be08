"""The ``allocbot audit`` commands: verify, show, export and prune.

``verify`` and ``export`` exit with status 1 when the chain is broken and
print one line that names the first broken event: its id, its time in
Norwegian time, its action and subject, and what does not match.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

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
)

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


def audit_verify(settings: Settings) -> int:
    """Check the chain; print the first problem and return 1, or print the count and newest hash and return 0."""
    translator = Translator(settings.language)
    with _session(settings) as session:
        status = check_audit_chain(session)
        anchor = newest_anchor(session)

    if status.problems:
        print(describe_problem(status.problems[0], translator))
        return 1
    if status.newest is None:
        print(translator("Audit log intact: no events yet."))
        return 0
    # The newest hash is printed so that it can be kept outside the database: the
    # chain alone cannot show that its newest events were removed.
    print(translator("Audit log intact: {count} events checked; the newest is event {id} with hash {hash}.",
                     count=status.count, id=status.newest.id, hash=status.newest.hash))
    if anchor is not None:
        print(translator("Events through {through_id} were deleted after the retention period.",
                         through_id=anchor.through_id))
    return 0


def audit_prune(settings: Settings, *, dry_run: bool) -> int:
    """Delete the events older than audit.retention_years, or with ``dry_run`` only print how many would go."""
    translator = Translator(settings.language)
    years = settings.audit.retention_years
    with _session(settings) as session:
        plan = plan_prune(session, retention_years=years)
        if not dry_run and plan.count:
            try:
                prune_audit(session, retention_years=years, actor=cli_actor())
            except AuditChainBroken as exc:
                print(describe_problem(exc.problem, translator))
                print("allocbot: " + translator("no audit events deleted, because the log is damaged"),
                      file=sys.stderr)
                return 1

    kept_from = translator.date(_fiscal_year_start(plan))
    if plan.count == 0:
        print(translator("No audit events are older than {years} fiscal years; the log starts within the "
                         "period kept, which begins {date}.", years=years, date=kept_from))
    elif dry_run:
        print(translator("Dry run: {count} audit events written before {date}, through event {through_id}, "
                         "would be deleted.", count=plan.count, date=kept_from, through_id=plan.through.id))
    else:
        print(translator("Deleted {count} audit events written before {date}, through event {through_id}.",
                         count=plan.count, date=kept_from, through_id=plan.through.id))
    return 0


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
