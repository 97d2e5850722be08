"""The plain-text replies to a controller who forwarded documents by mail.

A receipt lists what was read from each attachment and what happens next,
a failure explains what was wrong and how to fix it, and a third reply
covers a mail without a statement or order report. Texts come from the
``mail.po`` catalogs in the translator's language, and people are named as
in the command line's summary (`bot.console.person_name`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.config import MailboxSettings
from bot.console import person_name
from bot.errors import InputError
from bot.i18n import N_, Translator
from bot.masterdata import MasterData
from bot.pipeline import FileSummary, RunReport
from bot.policy import CONTROLLERS
from bot.reconcile import Reconciliation

SIGNATURE = "– allocbot"

MEGABYTE = 1024 * 1024  # the unit of mailbox.max_attachment_mb
DEFAULT_MAX_ATTACHMENT_MB = MailboxSettings.model_fields["max_attachment_mb"].default

# "Re:", and "SV:" and "AW:", the reply prefixes of Outlook in Norwegian, Danish, Swedish and German.
_REPLY_PREFIX = re.compile(r"^\s*(re|sv|aw)\s*:", re.IGNORECASE)

# Message ids by file kind: with lines, and without.
_FILE_READ = {
    "statement": N_("Card statement {filename}: {lines} {period}, a total of {amount}."),
    "order_report": N_("Order report {filename}: {lines} {period}, a total of {amount}."),
}
_FILE_EMPTY = {
    "statement": N_("Card statement {filename}: no card lines."),
    "order_report": N_("Order report {filename}: no items."),
}
_LINES = {
    "statement": (N_("1 card line"), N_("{count} card lines")),
    "order_report": (N_("1 item"), N_("{count} items")),
}


def receipt(report: RunReport, *, master: MasterData, translator: Translator,
            refused: Sequence[tuple[str, int]] = (), ignored: Sequence[str] = (),
            max_attachment_mb: float = DEFAULT_MAX_ATTACHMENT_MB) -> str:
    """Write the reply to a mail whose documents were taken in and processed.

    ``refused`` lists the attachments left unread for their size, as
    (file name, size in bytes), and ``ignored`` the names of attachments
    that are no document (such as signature images). Pass the configured
    ``mailbox.max_attachment_mb``, which the text names as the limit.

    The counts of card lines and shipments still unmatched cover everything
    open in the store, as `bot.pipeline.Pipeline.process` reconciles all
    open lines, not only this mail's.
    """
    _ = translator
    received = [_file_line(summary, _) for summary in report.files]
    received += _skipped_lines(refused, ignored, max_attachment_mb, _)
    next_steps = _next_steps(report, master, _)

    parts = []
    if received:
        parts += [_("From your mail:"), _bullets(received), ""]
    parts += [_("What happens next:"), _bullets(next_steps)]
    return "\n".join(parts) + "\n\n" + SIGNATURE + "\n"


def failure(error: InputError, *, translator: Translator) -> str:
    """Write the reply to a mail that could not be taken in, with the error and its fix.

    The text states that nothing from the mail was recorded, which is true
    because the pipeline parses every attachment before it writes anything.
    """
    _ = translator
    parts = [
        _("allocbot could not read your mail:"),
        "",
        error.describe(translator),
        "",
        _("Nothing from the mail was recorded. Correct this and send all attachments again "
          "as a reply to this mail."),
    ]
    return "\n".join(parts) + "\n\n" + SIGNATURE + "\n"


def nothing_found(*, translator: Translator, ignored: Sequence[str], refused: Sequence[tuple[str, int]],
                  max_attachment_mb: float = DEFAULT_MAX_ATTACHMENT_MB) -> str:
    """Write the reply to a mail without any attachment that could be a statement or an order report.

    ``ignored`` and ``refused`` are as for `receipt`.
    """
    _ = translator
    skipped = _skipped_lines(refused, ignored, max_attachment_mb, _)
    if skipped:
        opening = _("allocbot found no card statement or order report in your mail.")
    else:
        opening = _("allocbot found no attachments in your mail.")

    parts = [opening, ""]
    if skipped:
        parts += [_bullets(skipped), ""]
    parts.append(_("Attach the order report from Amazon Business and the card statement as CSV, XLSX or PDF, "
                   "and send them as a reply to this mail."))
    return "\n".join(parts) + "\n\n" + SIGNATURE + "\n"


def subject_for(original_subject: str, translator: Translator) -> str:
    """Return the reply's subject: the original with one "Re: " in front, on one line.

    A subject that already starts with a reply prefix ("Re:", or "SV:" and
    "AW:" from Outlook in other languages) is kept as it is.
    """
    subject = " ".join(original_subject.split())
    if not subject:
        return "Re: " + translator("(no subject)")
    if _REPLY_PREFIX.match(subject):
        return subject
    return "Re: " + subject


def _file_line(summary: FileSummary, _: Translator) -> str:
    """Describe one received file, or note that it had been received before."""
    if summary.duplicate:
        return _("{filename} was received before and was not read again.", filename=summary.filename)
    if summary.lines == 0 or summary.first is None or summary.last is None:
        return _(_FILE_EMPTY[summary.kind], filename=summary.filename)

    one, many = _LINES[summary.kind]
    amounts = [_.money(total, currency) for currency, total in sorted(summary.totals.items())]
    return _(_FILE_READ[summary.kind], filename=summary.filename,
             lines=_count(summary.lines, one, many, _),
             period=_period(summary.first, summary.last, _),
             amount=_join(amounts, _))


def _skipped_lines(refused: Sequence[tuple[str, int]], ignored: Sequence[str], max_attachment_mb: float,
                   _: Translator) -> list[str]:
    """List the attachments left unread, because they are too large or no document."""
    lines = [
        _("{filename} ({size} MB) was not read because it is larger than the limit of {limit} MB. "
          "Send a smaller export of it, such as CSV.",
          filename=filename, size=_megabytes(size / MEGABYTE, _), limit=_megabytes(max_attachment_mb, _))
        for filename, size in refused
    ]
    if ignored:
        lines.append(_("Not read (neither a card statement nor an order report): {files}.",
                       files=", ".join(ignored)))
    return lines


def _next_steps(report: RunReport, master: MasterData, _: Translator) -> list[str]:
    """List what was booked, who is asked or must approve, and what still waits for its counterpart."""
    steps = []
    outcomes = report.outcomes
    if not outcomes:
        steps.append(_("No items were matched to card lines this time."))

    booked = [outcome.amount_nok for outcome in outcomes if outcome.decision.action == "book"]
    if booked:
        steps.append(_count(len(booked), N_("1 item was booked automatically ({amount})."),
                            N_("{count} items were booked automatically, a total of {amount}."), _,
                            amount=_.money(sum(booked, Decimal(0)))))
    elif outcomes:
        # Said outright, because a controller expects some items to be booked without questions.
        steps.append(_("No item was sure enough to be booked automatically, so people are asked about each."))

    asked = Counter(outcome.decision.person or CONTROLLERS for outcome in outcomes
                    if outcome.decision.action == "ask")
    if asked:
        steps.append(_count(sum(asked.values()), N_("A question about 1 item goes to {people}."),
                            N_("Questions about {count} items go to {people}."), _,
                            people=_people(asked, master, _)))

    approvers = Counter(outcome.decision.person or CONTROLLERS for outcome in outcomes
                        if outcome.decision.action == "approve")
    if approvers:
        steps.append(_count(sum(approvers.values()), N_("1 item needs approval by {people}."),
                            N_("{count} items need approval by {people}."), _,
                            people=_people(approvers, master, _)))

    if report.reconciliation is not None:
        steps += _unmatched_lines(report.reconciliation, _)
    return steps


def _unmatched_lines(reconciliation: Reconciliation, _: Translator) -> list[str]:
    """Count the Amazon card lines without items and the shipments without a card line."""
    lines = []
    charges = len(reconciliation.unmatched_charges)
    shipments = len(reconciliation.unmatched_shipments)
    if charges:
        lines.append(_count(charges,
                            N_("1 Amazon card line on the statements received so far has no items yet. "
                               "It is matched when an order report with its order arrives."),
                            N_("{count} Amazon card lines on the statements received so far have no items "
                               "yet. They are matched when an order report with their orders arrives."), _))
    if shipments:
        lines.append(_count(shipments,
                            N_("1 shipment in the order reports received so far has no card line yet. "
                               "It is matched when the card statement with its charge arrives."),
                            N_("{count} shipments in the order reports received so far have no card line "
                               "yet. They are matched when the card statement with their charges arrives."), _))
    return lines


def _people(counts: Counter[str], master: MasterData, _: Translator) -> str:
    """Name the people with their item counts; the count is left out when there is only one person."""
    # People by name, the controllers last, so the text is the same for the same run.
    people = sorted(counts, key=lambda person: (person == CONTROLLERS, person_name(person, master, _)))
    if len(people) == 1:
        return person_name(people[0], master, _)
    return _join([f"{person_name(person, master, _)} ({counts[person]})" for person in people], _)


def _count(count: int, one: str, many: str, _: Translator, **params: object) -> str:
    """Translate the singular message id for a count of 1, else the plural one with ``{count}``."""
    if count == 1:
        return _(one, **params)
    return _(many, count=count, **params)


def _period(first: date, last: date, _: Translator) -> str:
    if first == last:
        return _("on {date}", date=_.date(first))
    return _("from {first} to {last}", first=_.date(first), last=_.date(last))


def _join(items: Sequence[str], _: Translator) -> str:
    """Join items as "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return _("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])


def _megabytes(value: float, _: Translator) -> str:
    """Format a size in MB with one decimal, or none for a whole number such as the default limit."""
    return _.number(value, 0 if float(value).is_integer() else 1)


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
