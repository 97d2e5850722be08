"""Command-line output: progress, questions in place of Slack, and the run's table and totals."""

from __future__ import annotations

import sys
from collections import defaultdict
from decimal import Decimal
from typing import Sequence, TextIO

from bot.i18n import N_, Translator
from bot.masterdata import MasterData
from bot.matching.reasons import describe
from bot.matching.results import CARD_ITEM, MATCHED, REFUNDED
from bot.pipeline import FileSummary, ItemOutcome, RunReport
from bot.policy import CONTROLLERS
from bot.ports import QuestionRequest
from bot.reconcile import Reconciliation
from connectors.file_export import exported_files

TITLE_WIDTH = 38

_STAGES = {"learn": N_("Learning from history"), "classify": N_("Classifying items"),
           "replay": N_("Replaying history"), "read": N_("Reading PDF pages"), "store": N_("Storing items")}

_BAR_WIDTH = 30


class ProgressPrinter:
    """Print a stage's progress to stderr: a bar redrawn in place on a terminal, quarter steps otherwise."""

    def __init__(self, translator: Translator, out: TextIO | None = None):
        self.translator = translator
        self.out = out or sys.stderr
        self._last: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        percent = 100 * done // total
        label = self.translator(_STAGES.get(stage, stage))
        if self.out.isatty():
            # Redrawn once per percent, so a replay of 10 000 items does not write 10 000 times.
            if percent == self._last.get(stage) and done != total:
                return
            end = "\n" if done == total else ""
            filled = _BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
            self.out.write(f"\r{label} [{bar}] {done}/{total} ({percent} %)" + end)
        elif percent // 25 != self._last.get(stage, -1) // 25 or done == total:
            if self._last.get(stage) != 100:
                self.out.write(f"{label}: {done}/{total} ({percent} %)\n")
        self._last[stage] = percent
        self.out.flush()


class PrintingAsker:
    """Stands in for Slack: collects the questions and prints one block per person on ``flush``.

    Printing waits for ``flush`` so that the questions can follow the
    table and its legend, which explain the allocation codes they use.
    """

    def __init__(self, master: MasterData, translator: Translator, out: TextIO | None = None):
        self.master = master
        self.translator = translator
        self.out = out or sys.stdout
        self.pending: list[QuestionRequest] = []

    def ask(self, questions: Sequence[QuestionRequest]) -> None:
        self.pending.extend(questions)

    def flush(self) -> None:
        questions, self.pending = self.pending, []
        by_person: dict[tuple[str, str], list[QuestionRequest]] = defaultdict(list)
        for question in questions:
            by_person[(question.person, question.kind)].append(question)

        _ = self.translator
        for (person, kind), items in sorted(by_person.items()):
            name = person_name(person, self.master, _)
            self.out.write(_(_HEADINGS[kind, len(items) == 1], name=name, count=len(items)) + "\n")
            for question in items:
                self.out.write(self._line(question) + "\n")
        if questions:
            self.out.write("\n")

    def _line(self, question: QuestionRequest) -> str:
        """Format one item: title, amount, the top suggestion and its first reason."""
        _ = self.translator
        top = question.suggestions[0] if question.suggestions else None
        proposal = f"{top.allocation.label()} ({_.percent(top.confidence)})" if top else "?"
        line = f"  - {shorten(question.item.title):{TITLE_WIDTH}}  {_.money(question.amount_nok):>14}  → {proposal}"
        if question.reason and (question.kind == "approval" or question.person == CONTROLLERS):
            line += f" [{_(question.reason)}]"
        if top and top.reasons:
            reason = top.reasons[0]
            line += f": {_(reason.template, **reason.params)}"
        return line


_HEADINGS = {
    ("approval", False): N_("Approval request to {name} ({count} items):"),
    ("approval", True): N_("Approval request to {name} (1 item):"),
    ("question", False): N_("Questions to {name} ({count} items):"),
    ("question", True): N_("Question to {name} (1 item):"),
}


def person_name(person: str | None, master: MasterData, translator: Translator) -> str:
    if not person or person == CONTROLLERS:
        return translator("the controllers")
    employee = master.employee(person)
    return employee.name if employee else person


def shorten(title: str, width: int = TITLE_WIDTH) -> str:
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def decision_text(outcome: ItemOutcome, master: MasterData, translator: Translator) -> str:
    decision = outcome.decision
    if decision.action == "book":
        return translator("booked")
    name = person_name(decision.person, master, translator)
    if decision.action == "approve":
        return translator("approval by {name}", name=name)
    return translator("ask {name}", name=name)


def print_table(outcomes: Sequence[ItemOutcome], master: MasterData, translator: Translator, out: TextIO) -> None:
    _ = translator
    headers = [_("Date"), _("Item"), _("Amount"), _("Suggestion"), _("Confidence"), _("Decision")]
    rows = []
    for outcome in sorted(outcomes, key=lambda o: (o.charged_on, o.item.order_id, o.item.line)):
        top = outcome.suggestions[0] if outcome.suggestions else None
        rows.append([
            _.date(outcome.charged_on),
            shorten(outcome.item.title),
            _.money(outcome.amount_nok),
            top.allocation.label() if top else "-",
            _.percent(top.confidence) if top else "-",
            decision_text(outcome, master, translator),
        ])

    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    right_aligned = {2, 4}

    def line(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right_aligned else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out.write(line(headers) + "\n")
    out.write("  ".join("-" * width for width in widths) + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    out.write(_("Suggestion: cost center/project/account/VAT code; date: card line date") + "\n")


def print_run(report: RunReport, master: MasterData, translator: Translator, *, exported: Sequence[str],
              out: TextIO, asker: PrintingAsker | None = None) -> None:
    """Print what each file held, the table of processed items, the questions collected by ``asker``, and the totals."""
    _ = translator
    if report.files:
        print_files(report.files, translator, out)
    if report.outcomes:
        print_table(report.outcomes, master, translator, out)
    out.write("\n")
    if asker is not None:
        asker.flush()
    for label, value in summary_rows(report, translator):
        out.write(f"{label}: {value}\n")
    if report.reconciliation is not None:
        print_open_lines(report.reconciliation, translator, out)
    files = exported_files(exported)
    out.write(_("Vouchers exported: {count}", count=len(exported)) + (f" ({', '.join(files)})" if files else "") + "\n")


_KINDS = {"statement": N_("card statement"), "order_report": N_("Amazon Business order report"),
          "amazon_invoice": N_("Amazon invoice")}
_COUNTS = {"statement": (N_("1 card line"), N_("{count} card lines")),
           "order_report": (N_("1 item"), N_("{count} items")),
           "amazon_invoice": (N_("1 item"), N_("{count} items"))}
_PENDING = (N_("1 reserved line left out until booked"), N_("{count} reserved lines left out until booked"))
_SKIPPED = (N_("1 balance or payment line left out"), N_("{count} balance or payment lines left out"))


def _count(count: int, forms: tuple[str, str], translator: Translator) -> str:
    """Translate the singular form for one, else the plural form with ``count``."""
    return translator(forms[0]) if count == 1 else translator(forms[1], count=count)


def print_files(files: Sequence[FileSummary], translator: Translator, out: TextIO) -> None:
    """Print a line per file: what it was recognised as, its period, its lines and totals, and what was left out."""
    _ = translator
    out.write(_("Files read:") + "\n")
    for summary in files:
        if summary.duplicate:
            out.write("  " + _("{filename}: received before, not read again", filename=summary.filename) + "\n")
            continue
        parts = [summary.layout or _(_KINDS[summary.kind])]
        if summary.first is not None and summary.last is not None:
            parts.append(f"{_.date(summary.first)}–{_.date(summary.last)}")
        parts.append(_count(summary.lines, _COUNTS[summary.kind], _))
        if summary.kind == "statement":
            purchases = summary.totals.get("NOK", Decimal(0)) - summary.credits
            parts.append(_("purchases {amount}", amount=_.money(purchases)))
            if summary.credits:
                parts.append(_("credits {amount}", amount=_.money(summary.credits)))
        else:
            amounts = [_.money(total, currency) for currency, total in sorted(summary.totals.items())]
            parts.append(_("total {amounts}", amounts=", ".join(amounts)))
        if summary.stated_total is not None:
            parts.append(_("printed sum {amount} agrees with the lines", amount=_.money(summary.stated_total)))
        if summary.pending:
            parts.append(_count(summary.pending, _PENDING, _))
        if summary.skipped:
            parts.append(_count(summary.skipped, _SKIPPED, _))
        out.write(f"  {summary.filename}: " + "; ".join(parts) + "\n")
    out.write("\n")


LISTED_OPEN_LINES = 10  # enough to act on; the rest are counted


def print_open_lines(reconciliation: Reconciliation, translator: Translator, out: TextIO) -> None:
    """List the card lines and shipments that reconciliation left open, each with its reason."""
    _ = translator
    charges = [f"{_.date(note.charge.date)}  {note.charge.description}  {_.money(note.charge.amount)}: "
               f"{describe(note.reason, translator)}"
               for note in reconciliation.open_charge_notes()]
    shipments = [f"{_.date(note.shipment.charged_on)}  {note.shipment.order_id}  "
                 f"{_.money(note.shipment.total, note.shipment.currency)}: {describe(note.reason, translator)}"
                 for note in reconciliation.open_shipment_notes()]
    for heading, lines in ((_("Card lines still without items"), charges),
                           (_("Shipments still without a card line"), shipments)):
        if not lines:
            continue
        out.write(f"{heading}:\n")
        for line in lines[:LISTED_OPEN_LINES]:
            out.write(f"  - {line}\n")
        if len(lines) > LISTED_OPEN_LINES:
            out.write("  " + _("… and {count} more", count=len(lines) - LISTED_OPEN_LINES) + "\n")


def summary_rows(report: RunReport, translator: Translator) -> list[tuple[str, str]]:
    _ = translator
    outcomes = report.outcomes
    total = len(outcomes)
    booked = sum(1 for o in outcomes if o.decision.action == "book")
    questions = sum(1 for o in outcomes if o.decision.action == "ask")
    approvals = sum(1 for o in outcomes if o.decision.action == "approve")
    amount = sum((o.amount_nok for o in outcomes), Decimal("0"))
    booked_amount = sum((o.amount_nok for o in outcomes if o.decision.action == "book"), Decimal("0"))
    rows = [
        (_("Items"), f"{total} ({_.money(amount)})"),
        (_("Booked automatically"),
         f"{booked} ({_.percent(booked / total) if total else '-'}, {_.money(booked_amount)})"),
        (_("Questions"), str(questions)),
        (_("Approvals"), str(approvals)),
    ]
    if report.reconciliation is not None:
        # These count everything still open in the store, not only this run's documents.
        rec = report.reconciliation
        outcomes = [note.outcome for note in rec.charge_notes]
        rows.append((_("Card lines matched to Amazon shipments"), str(outcomes.count(MATCHED))))
        rows.append((_("Card lines from other merchants, allocated as items"), str(outcomes.count(CARD_ITEM))))
        if outcomes.count(REFUNDED):
            rows.append((_("Refunds matched to what they pay back"), str(outcomes.count(REFUNDED))))
        rows.append((_("Card lines still without items"), str(len(rec.open_charge_notes()))))
        rows.append((_("Shipments still without a card line"), str(len(rec.open_shipment_notes()))))
        if rec.not_card_shipments:
            rows.append((_("Shipments not paid by card, not booked"), str(len(rec.not_card_shipments))))
    return rows
