"""Command-line output: progress, questions in place of Slack, the run's table and totals, and posting results."""

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
from bot.ports import ErpCode, QuestionRequest, Voucher
from bot.posting.build import VoucherDraft
from bot.posting.codes import CodeDifferences, CodeProblem, erp_name
from bot.posting.run import Abandonment, ConnectorFailure, PostingResult, VoucherOutcome
from bot.reconcile import Reconciliation

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


def print_run(report: RunReport, master: MasterData, translator: Translator, *, posting: PostingResult,
              files: Sequence[str], out: TextIO, asker: PrintingAsker | None = None) -> None:
    """Print what each file held, the table of processed items, the questions collected by ``asker``, and the totals.

    ``posting`` is the posting run at the end, and ``files`` the export
    files it wrote.
    """
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
    out.write("\n")
    print_posting(posting, translator, out, files=files)


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


# --- posting -------------------------------------------------------------------

CODE_KINDS = {"account": N_("account"), "cost_center": N_("cost center"), "project": N_("project"),
              "vat_code": N_("VAT code")}
_CODE_LISTS = {"account": N_("Accounts"), "cost_center": N_("Cost centers"), "project": N_("Projects"),
               "vat_code": N_("VAT codes")}
LISTED_ITEMS = 3    # items named per held back code; the rest are counted
LISTED_CODES = 20   # codes listed per kind by masterdata sync; the rest are counted


def print_posting(result: PostingResult, translator: Translator, out: TextIO, *, files: Sequence[str] = ()) -> None:
    """Print what became of each voucher of a posting run, what waits for a person and why, and the totals.

    ``files`` are the export files the run wrote, for a file connector.
    """
    _ = translator
    erp = erp_name(result.connector)
    for outcome in result.outcomes:
        out.write(f"{voucher_heading(outcome.voucher, _)}: {outcome_text(outcome, erp, _)}\n")
    if result.released:
        out.write(_("Items of rejected vouchers released for new vouchers: {numbers}",
                    numbers=", ".join(result.released)) + "\n")
    _print_held_back(result, translator, out)
    _print_rejections(result, translator, out)
    _print_problems(result, translator, out)
    if result.unavailable:
        out.write(_("{erp} could not be reached: {reason}. Run allocbot post again: it looks up the vouchers of "
                    "this run by their numbers in {erp} before it sends any of them again.",
                    erp=erp, reason=result.unavailable) + "\n")

    posted = result.with_status("posted")
    out.write(_("Vouchers posted: {count}, lines: {lines}", count=len(posted),
                lines=sum(len(outcome.voucher.lines) for outcome in posted)) + "\n")
    noted = [outcome.voucher.number for outcome in posted if outcome.note]
    if noted:
        out.write(_("Vouchers posted with a note: {count} ({numbers})", count=len(noted),
                    numbers=", ".join(noted)) + "\n")
    for status, label in (("rejected", N_("Vouchers rejected: {count}")),
                          ("sending", N_("Vouchers still sending: {count}"))):
        if result.with_status(status):
            out.write(_(label, count=len(result.with_status(status))) + "\n")
    _print_waiting_counts(result, translator, out)
    if files:
        out.write(_("Files written: {files}", files=", ".join(files)) + "\n")


def print_dry_run(result: PostingResult, translator: Translator, out: TextIO) -> None:
    """Print the vouchers a posting run would send, line by line, and what would wait for a person and why."""
    _ = translator
    erp = erp_name(result.connector)
    out.write(_("Dry run: nothing is stored or sent.") + "\n")
    if result.lists_from:
        out.write(_("Codes checked against the lists of {erp}.", erp=erp) + "\n")
    else:
        out.write(_("Codes checked against the master data.") + "\n")
    if result.unavailable:
        out.write(_("{erp} could not be reached: {reason}; run the dry run again later.", erp=erp,
                    reason=result.unavailable) + "\n")
    if result.waiting:
        out.write(_("Vouchers from an earlier run still sending: {count}; a real run looks them up in {erp} first "
                    "and sends again only those it does not find.", count=result.waiting, erp=erp) + "\n")

    for draft in result.drafts:
        out.write("\n")
        print_voucher(draft.voucher, translator, out)
    _print_held_back(result, translator, out)
    _print_rejections(result, translator, out)
    _print_problems(result, translator, out)

    if result.unavailable or any(failure.step == "lists" for failure in result.failures):
        return
    out.write("\n" + _("Vouchers to post: {count}, lines: {lines}", count=len(result.drafts),
                       lines=sum(len(draft.voucher.lines) for draft in result.drafts)) + "\n")
    _print_waiting_counts(result, translator, out)


def print_abandonment(abandonment: Abandonment, translator: Translator, out: TextIO) -> None:
    """Print what ``allocbot post --abandon`` did with a voucher, or why it changed nothing."""
    _ = translator
    erp = erp_name(abandonment.connector)
    number = abandonment.number
    if abandonment.unavailable:
        text = _("{erp} could not be reached: {reason}; voucher {number} is unchanged. Run allocbot post --abandon "
                 "{number} again later.", erp=erp, reason=abandonment.unavailable, number=number)
    elif abandonment.failure:
        text = _("{erp} failed while looking up voucher {number}: {reason}; the voucher is unchanged.", erp=erp,
                 number=number, reason=abandonment.failure)
    elif abandonment.external_id:
        text = _("Voucher {number} is in {erp} as {external_id}, so it is recorded as posted and not abandoned.",
                 number=number, erp=erp, external_id=abandonment.external_id)
    else:
        text = _("Voucher {number} is not in {erp}. It is recorded as rejected (abandoned), and the next allocbot "
                 "post posts its items on a new voucher.", number=number, erp=erp)
    out.write(text + "\n")


def voucher_heading(voucher: Voucher, translator: Translator) -> str:
    """Return a voucher's number, date, description and reference on one line; "(new)" before it has a number."""
    number = voucher.number or translator("(new)")
    return f"{number}, {translator.date(voucher.date)}, {voucher.description}, {voucher.reference}"


def print_voucher(voucher: Voucher, translator: Translator, out: TextIO) -> None:
    """Print a voucher's heading, period and attachment, then a table of its lines."""
    _ = translator
    out.write(_("Voucher {heading}", heading=voucher_heading(voucher, translator)) + "\n")
    if voucher.period_start and voucher.period_end:
        out.write("  " + _("period {start}–{end}", start=_.date(voucher.period_start),
                           end=_.date(voucher.period_end)) + "\n")
    for attachment in voucher.attachments:
        out.write("  " + _("attachment {file}", file=attachment.name) + "\n")

    # "VAT code" is lower case in Norwegian within a sentence ("mva-kode"), so the heading capitalises it.
    headers = [_("Account"), _("Cost center"), _("Project"), _("VAT code"), _("Amount"), _("Text")]
    headers = [heading[:1].upper() + heading[1:] for heading in headers]
    clearing = "  [" + _("clearing line") + "]"
    rows = [[line.account, line.cost_center or "", line.project or "", line.tax_code or "", _.money(line.amount),
             line.description + (clearing if line.clearing else "")]
            for line in voucher.lines]
    widths = [max(len(row[index]) for row in [headers, *rows]) for index in range(len(headers) - 1)]

    def cells(row: list[str]) -> str:
        aligned = [row[index].rjust(width) if index == 4 else row[index].ljust(width)
                   for index, width in enumerate(widths)]
        return "  " + "  ".join([*aligned, row[-1]]).rstrip()

    out.write(cells(headers) + "\n")
    for row in rows:
        out.write(cells(row) + "\n")


def outcome_text(outcome: VoucherOutcome, erp: str, translator: Translator) -> str:
    """Return what became of a voucher in a run and, where a person has to act, what to do."""
    _ = translator
    if outcome.status == "posted" and outcome.found:
        return _("posted by an earlier run, found in {erp} as {external_id}", erp=erp,
                 external_id=outcome.external_id)
    if outcome.status == "posted":
        text = _("posted as {external_id}", external_id=outcome.external_id)
        return text + "; " + _("note: {note}", note=outcome.note) if outcome.note else text
    if outcome.status == "rejected":
        return rejection_text(outcome.voucher.number, outcome.message or "", erp, translator)
    return _("outcome unknown; the next run looks it up in {erp} before it sends it again", erp=erp)


def rejection_text(number: str, reason: str, erp: str, translator: Translator) -> str:
    """Return the ERP's reason for rejecting a voucher and how a controller gets its items posted."""
    _ = translator
    return (_("rejected by {erp}: {reason}", erp=erp, reason=reason) + " ("
            + _("correct it in {erp} or in the master data, then run allocbot post --retry-rejected {number}",
                erp=erp, number=number) + ")")


def failure_text(failure: ConnectorFailure, erp: str, translator: Translator) -> str:
    """Return what the connector failed on, what became of the vouchers concerned, and what to do."""
    _ = translator
    numbers = ", ".join(failure.numbers)
    if failure.step == "lists":
        return _("{erp} failed while its lists were read: {reason}. Nothing was sent; correct the cause and run "
                 "allocbot post again.", erp=erp, reason=failure.reason)
    if failure.step == "lookup":
        text = _("{erp} failed while vouchers {numbers} were looked up: {reason}. They were not sent again, and the "
                 "next run looks them up first.", erp=erp, numbers=numbers, reason=failure.reason)
    else:
        text = _("{erp} failed while vouchers {numbers} were sent: {reason}. Whether {erp} booked them is unknown, "
                 "so the next run looks them up by their numbers before it sends them again.", erp=erp,
                 numbers=numbers, reason=failure.reason)
    return text + " " + _("If the error repeats, check each voucher in {erp} and run allocbot post --abandon NUMBER.",
                          erp=erp)


def _print_held_back(result: PostingResult, translator: Translator, out: TextIO) -> None:
    if not result.held_back:
        return
    _ = translator
    # None when the codes were checked against the master data.
    erp = erp_name(result.lists_from) if result.lists_from else None
    out.write("\n" + (_("Would be held back, not sent:") if result.dry_run else _("Held back, not sent:")) + "\n")
    for entry in result.held_back:
        out.write(f"  {voucher_heading(entry.draft.voucher, translator)}\n")
        for problem in entry.problems:
            out.write(f"    - {problem_text(problem, entry.draft, erp, translator)}\n")


def _print_rejections(result: PostingResult, translator: Translator, out: TextIO) -> None:
    """List the vouchers rejected by earlier runs whose items wait for ``allocbot post --retry-rejected``."""
    if not result.rejections:
        return
    _ = translator
    out.write("\n" + _("Rejected by an earlier run, waiting for a controller:") + "\n")
    for rejection in result.rejections:
        text = rejection_text(rejection.voucher.number, rejection.message, erp_name(rejection.connector), translator)
        out.write(f"  {voucher_heading(rejection.voucher, translator)}: {text}\n")


def _print_problems(result: PostingResult, translator: Translator, out: TextIO) -> None:
    """Print the connector's failures and the vouchers left sending by another connector."""
    erp = erp_name(result.connector)
    for failure in result.failures:
        out.write(failure_text(failure, erp, translator) + "\n")
    if result.elsewhere:
        out.write(translator("Vouchers {numbers} were sent with another connector, and their outcome is unknown; "
                             "set export.connector back to that connector and run allocbot post to finish them.",
                             numbers=", ".join(result.elsewhere)) + "\n")


def _print_waiting_counts(result: PostingResult, translator: Translator, out: TextIO) -> None:
    _ = translator
    if result.held_back:
        out.write(_("Vouchers held back: {count}", count=len(result.held_back)) + "\n")
    if result.rejections:
        out.write(_("Rejected vouchers waiting for allocbot post --retry-rejected: {count}",
                    count=len(result.rejections)) + "\n")


def problem_text(problem: CodeProblem, draft: VoucherDraft, erp: str | None, translator: Translator) -> str:
    """Return what is wrong with a code, the items whose lines use it, and the fix."""
    _ = translator
    kind = _(CODE_KINDS[problem.kind])
    source = erp if erp is not None else _("the master data")
    template = N_("{kind} {code} is unknown in {source}") if problem.state == "unknown" \
        else N_("{kind} {code} is inactive in {source}")
    text = _(template, kind=kind, code=problem.code, source=source)

    if problem.item_ids:
        names = [f"#{item_id} {shorten(draft.items[item_id], 30)}" for item_id in problem.item_ids[:LISTED_ITEMS]]
        if len(problem.item_ids) > LISTED_ITEMS:
            names.append(_("… and {count} more", count=len(problem.item_ids) - LISTED_ITEMS))
        text += "; " + _("items {items}", items=", ".join(names))
    else:
        text += "; " + _("the clearing line")

    if not problem.item_ids:
        fix = _("add or activate account {code} in {erp}, or set export.card_account to the card's clearing "
                "account", code=problem.code, erp=erp)
    elif erp is not None:
        fix = _("add or activate {kind} {code} in {erp}; allocbot masterdata sync lists every difference",
                kind=kind, code=problem.code, erp=erp)
    else:
        fix = _("add {kind} {code} to the master data file", kind=kind, code=problem.code)
    return f"{text} ({fix})"


def print_code_lists(connector: str, entries: Sequence[ErpCode], differences: CodeDifferences,
                     translator: Translator, out: TextIO) -> None:
    """Print how many entries of each kind the ERP lists, and how its lists differ from the master data."""
    _ = translator
    erp = erp_name(connector)
    out.write(_("Lists read from {erp}:", erp=erp) + "\n")
    for kind, label in _CODE_LISTS.items():
        of_kind = [entry for entry in entries if entry.kind == kind]
        inactive = sum(not entry.active for entry in of_kind)
        out.write("  " + _("{label}: {count}, of them inactive: {inactive}", label=_(label), count=len(of_kind),
                           inactive=inactive) + "\n")

    for heading, codes in ((N_("In the master data, but missing in {erp} (vouchers that use them are held back):"),
                            differences.missing),
                           (N_("In the master data, but inactive in {erp} (vouchers that use them are held back):"),
                            differences.inactive),
                           (N_("Active in {erp}, but not in the master data:"), differences.extra)):
        if not codes:
            continue
        out.write(_(heading, erp=erp) + "\n")
        for kind, listed in codes.items():
            shown = ", ".join(listed[:LISTED_CODES])
            if len(listed) > LISTED_CODES:
                shown += " " + _("… and {count} more", count=len(listed) - LISTED_CODES)
            out.write(f"  {_(CODE_KINDS[kind])}: {shown}\n")

    if differences.rates:
        out.write(_("VAT codes whose rate differs:") + "\n")
        for code, master_rate, erp_rate in differences.rates:
            out.write("  " + _("VAT code {code}: {master_rate} in the master data, {erp_rate} in {erp}", code=code,
                               master_rate=_percent(master_rate, _), erp_rate=_percent(erp_rate, _), erp=erp) + "\n")
    if not (differences.missing or differences.inactive or differences.rates):
        out.write(_("Every code of the master data is active in {erp}.", erp=erp) + "\n")


def _percent(rate: Decimal, translator: Translator) -> str:
    digits = max(0, -rate.normalize().as_tuple().exponent)
    return f"{translator.number(rate, digits)} %"
