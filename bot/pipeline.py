"""The workflow from a received document to a posted allocation.

One ``Pipeline`` serves every command: ``learn`` imports labeled history,
``ingest_mail``/``ingest_files`` take documents in, ``process`` reconciles,
classifies and routes what is open, and ``post`` hands approved allocations
to the ERP connector.

All documents of one message are parsed before anything is written, and
each step writes in one store transaction, so a bad file leaves nothing
half-written behind.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from bot.config import Settings, configured_statement_layouts
from bot.documents import read_document
from bot.errors import InputError
from bot.i18n import N_, Translator
from bot.history import read_labeled_history
from bot.mail.eml import Attachment, ReceivedMail, read_eml
from bot.mail.senders import sender_allowed
from bot.masterdata import MasterData
from bot.policy import Decision, route
from bot.ports import Asker, QuestionRequest, VoucherPoster
from bot.privacy.flags import flag_items
from bot.privacy.redact import mask_names_in_logs
from bot.posting.run import PostingResult, run_posting
from bot.linking import Work, reconcile_open_work
from bot.reconcile import Reconciliation
from bot.nlp.versions import ModelVersions
from bot.rates import approximate_nok
from bot.records import BOT_ACTOR, Allocation, Reason, ReportItem, Statement, Suggestion
from bot.store import queries
from bot.store.audit import audit_each
from bot.store.audit_data import parsed_data
from bot.store.database import Store
from bot.store.repository import (
    DuplicateDocument,
    add_card_charges,
    add_document,
    add_question,
    add_report_items,
    audit,
    decide,
    save_suggestions,
    set_item_state,
)

if TYPE_CHECKING:
    # Imported for the types only: loading spaCy and scikit-learn takes seconds.
    from bot.nlp.classifier import Classifier
    from bot.nlp.training import TrainingResult

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# The reason a refund is booked without asking anyone.
LIKE_ORIGINAL = N_("booked like the item this refund pays back")


@dataclass(frozen=True)
class ItemOutcome:
    """The result for one item of a processing run: its amount, suggestions and routing decision."""

    item_id: int
    item: ReportItem
    charged_on: date           # the card line's date, which the voucher carries too
    amount_nok: Decimal
    suggestions: tuple[Suggestion, ...]
    decision: Decision
    question_id: int | None = None     # set when someone is asked


@dataclass(frozen=True)
class FileSummary:
    """What one received file contained, for a reply to its sender and the ingest summary.

    ``kind`` is "statement", "order_report" or "amazon_invoice".
    ``first``/``last`` are the period a statement prints, else the earliest
    and latest dates in the file (card line dates, order dates of report
    rows). ``totals`` maps each currency to the sum of the file's amounts
    (card lines in NOK, report rows in their own currency). ``duplicate``
    is True when the same file had been received before. ``layout``,
    ``stated_total``, ``credits``, ``pending`` and ``skipped`` come from a
    statement; ``credits`` is the sum of its credit lines (negative).
    """

    filename: str
    kind: str
    lines: int
    first: date | None
    last: date | None
    totals: dict[str, Decimal]
    duplicate: bool = False
    layout: str = ""
    stated_total: Decimal | None = None
    credits: Decimal = Decimal(0)
    pending: int = 0
    skipped: int = 0


@dataclass
class RunReport:
    """The result of ingesting and processing, for the summary a user reads."""

    documents: list[str] = field(default_factory=list)
    skipped_documents: list[str] = field(default_factory=list)
    new_items: int = 0
    duplicate_items: int = 0
    new_charges: int = 0
    duplicate_charges: int = 0
    outcomes: list[ItemOutcome] = field(default_factory=list)
    reconciliation: Reconciliation | None = None
    files: list[FileSummary] = field(default_factory=list)

    def add(self, other: RunReport) -> None:
        """Add the intake counts of another run; outcomes come from ``process``."""
        self.documents += other.documents
        self.files += other.files
        self.skipped_documents += other.skipped_documents
        self.new_items += other.new_items
        self.duplicate_items += other.duplicate_items
        self.new_charges += other.new_charges
        self.duplicate_charges += other.duplicate_charges


class Pipeline:
    def __init__(self, settings: Settings, store: Store, master: MasterData, classifier: Classifier,
                 asker: Asker, poster: VoucherPoster | None, progress: Progress | None = None):
        self.settings = settings
        self.store = store
        self.master = master
        self.classifier = classifier
        self.asker = asker
        self.poster = poster
        self.progress = progress or (lambda stage, done, total: None)
        self.versions = ModelVersions(settings.model.dir, keep=settings.model.keep_versions)
        self.statement_layouts = configured_statement_layouts(settings)
        self._answers_since_training = 0
        # Every command and the service build a pipeline once the master data is read.
        mask_names_in_logs(employee.name for employee in master.employees.values())

    # -- learning -----------------------------------------------------------

    def learn(self, paths: Sequence[Path]) -> tuple[int, int]:
        """Import labeled order reports as history; return the new examples and the items known before."""
        parsed = [(path, read_labeled_history(path, self.master)) for path in paths]

        added = known = 0
        with self.store.session() as session:
            for path, items in parsed:
                document = self._add_document(session, path, "order_report")
                if document is None:
                    known += len(items)
                    continue
                rows, duplicates = add_report_items(session, document, items)
                known += duplicates
                flag_items(session, rows, self.master, enabled=self.settings.privacy.flag_person_names)
                # Rows come back without their input records; the line number is unique within one file.
                labels = {item.line: self.master.with_default_tax_code(item.labels) for item in items}
                for row in rows:
                    queries.add_example(session, row.id, labels[row.line], source="history")
                added += len(rows)
                audit(session, actor=BOT_ACTOR, action="history_imported", subject_type="document",
                      subject_id=str(document.id), data={"file": path.name, "items": len(rows)})
        log.info("imported %d labeled items from %d files, %d known before", added, len(paths), known)
        return added, known

    def train(self) -> TrainingResult:
        """Train a new model version on every training label in the store and make it current.

        The version comes from a replay of the labels in order-date order
        (see ``bot.nlp.training``), which also yields its calibration,
        threshold and metrics. Raises TrainingDataError when the labels
        are missing or all have one allocation.
        """
        from bot.nlp.classifier import Classifier
        from bot.nlp.training import train_version
        from bot.nlp.versions import VersionInfo

        with self.store.session() as session:
            examples = queries.training_examples(session)
        classifier = Classifier(self.master, self.classifier.rules)
        result = train_version(classifier, examples, self.settings.policy, amount_in_nok=approximate_nok,
                               retrain_after=self.settings.model.retrain_after_answers,
                               progress=lambda done, total: self.progress("learn", done, total))

        info = VersionInfo.for_classifier(classifier, training_size=result.training_size,
                                          human_answers=result.human_answers, threshold=result.threshold,
                                          target_precision=self.settings.policy.target_precision,
                                          metrics=result.metrics)
        self.versions.save(classifier, info)
        self.classifier = classifier
        self._answers_since_training = 0
        with self.store.session() as session:
            audit(session, actor=BOT_ACTOR, action="model_trained", subject_type="model",
                  subject_id=classifier.version, model_version=classifier.version,
                  data={"training_size": result.training_size, "human_answers": result.human_answers,
                        "threshold": result.threshold, "accuracy": result.metrics["accuracy"]})
        return result

    def prepare_classifier(self) -> TrainingResult | None:
        """Load the current model version, or train a new one when the store has changed too much since.

        A version is reused when the store holds exactly its training
        labels plus fewer than ``model.retrain_after_answers`` newer human
        answers, which go into its memory at once. New history, a missing
        or unloadable version, or enough new answers mean a full retrain,
        whose result is returned; a reused version returns None.
        """
        from bot.nlp.versions import ModelVersionError

        with self.store.session() as session:
            examples = queries.training_examples(session)
        rules = self.classifier.rules
        try:
            current = self.versions.current()
        except ModelVersionError as exc:
            log.warning("current model version unreadable, retraining: %s", exc)
            current = None
        newer = examples[current.training_size:] if current else []
        reusable = (current is not None and len(examples) >= current.training_size
                    and all(source == "human" for _, _, source in newer)
                    and len(newer) < self.settings.model.retrain_after_answers)
        if reusable:
            try:
                self.classifier, _ = self.versions.load()
            except ModelVersionError as exc:
                log.warning("model version %s unusable, retraining: %s", current.version, exc)
                reusable = False
        if not reusable:
            return self.train()

        # The configured rules apply, not those in force when the version was trained.
        self.classifier.rules = rules
        for item, allocation, _ in newer:
            self.classifier.remember(item, allocation)
        self._answers_since_training = len(newer)
        log.info("using model %s with %d newer answers remembered", self.classifier.version, len(newer))
        return None

    def learn_answer(self, item_id: int, item: ReportItem, allocation: Allocation) -> None:
        """Apply a stored human decision to the next suggestion, and retrain fully after enough of them."""
        from bot.nlp.classifier import TrainingDataError

        self.classifier.remember(item, allocation)
        self._answers_since_training += 1
        if self._answers_since_training >= self.settings.model.retrain_after_answers:
            log.info("%d answers since the last training: retraining", self._answers_since_training)
            try:
                self.train()
            except TrainingDataError as exc:
                # The answer is stored and remembered; the next answer or the scheduled retrain tries again.
                log.warning("retrain after item %s failed: %s", item_id, exc)
                self._answers_since_training = 0

    # -- intake -------------------------------------------------------------

    def ingest_mail(self, path: Path) -> RunReport:
        """Read a forwarded message from an .eml file and take in its attachments."""
        mail = read_eml(path, max_attachment_bytes=int(self.settings.mailbox.max_attachment_mb * 1024 * 1024))
        self._check_sender(mail, path)
        if mail.oversized:
            raise mail.oversized[0].error
        # Signature logos and other images are listed as ignored by the parser, not as documents.
        if not mail.attachments:
            raise InputError(path, N_("the message has no statement or order report attached"),
                             location=N_("Message-ID {message_id}"),
                             fix=N_("attach the Amazon Business order report and the card statement"),
                             message_id=mail.message_id)
        saved = self.save_attachments(mail.attachments)
        report = self.ingest_files(saved, message_id=mail.message_id, sender=mail.sender)
        return report

    def ingest_files(self, paths: Sequence[Path], *, message_id: str | None = None,
                     sender: str | None = None) -> RunReport:
        """Parse all files first, then store them in one transaction."""
        parsed = []
        for path in paths:
            read = read_document(path, layouts=self.statement_layouts,
                                 progress=lambda done, total: self.progress("read", done, total))
            _check_cents(path, read.content)
            parsed.append((path, read.kind, read.content))

        report = RunReport()
        with self.store.session() as session:
            for path, kind, content in parsed:
                document = self._add_document(session, path, kind, message_id=message_id, sender=sender)
                report.files.append(_summarize(path, kind, content, duplicate=document is None))
                if document is None:
                    report.skipped_documents.append(path.name)
                    continue
                report.documents.append(path.name)
                if isinstance(content, Statement):
                    document.period_start, document.period_end = content.period_start, content.period_end
                    rows, duplicates = add_card_charges(session, document, content)
                    report.new_charges += len(rows)
                    report.duplicate_charges += duplicates
                else:
                    rows, duplicates = add_report_items(
                        session, document, content, progress=lambda done, total: self.progress("store", done, total))
                    flag_items(session, rows, self.master, enabled=self.settings.privacy.flag_person_names)
                    audit_each(session, actor=BOT_ACTOR, action="item_parsed", subject_type="item",
                               entries=[(row.id, parsed_data(document, row)) for row in rows])
                    report.new_items += len(rows)
                    report.duplicate_items += duplicates
                audit(session, actor=sender or BOT_ACTOR, action="document_received", subject_type="document",
                      subject_id=str(document.id),
                      data={"file": path.name, "kind": kind, "message_id": message_id, "new": len(rows)})
        log.info("ingested %s: %d new items, %d new charges", ", ".join(report.documents) or "nothing",
                 report.new_items, report.new_charges)
        return report

    def record_rejection(self, path: Path, error: InputError) -> None:
        """Audit a message or file that could not be taken in, under its name and hash where it is kept now."""
        data = {"error": error.describe(), "path": str(path)}
        if path.is_file():
            data["sha256"] = _sha256(path)
        with self.store.session() as session:
            audit(session, actor=BOT_ACTOR, action="document_rejected", subject_type="file",
                  subject_id=path.name, data=data)

    # -- processing ---------------------------------------------------------

    def process(self, report: RunReport | None = None) -> RunReport:
        """Reconcile open items with open card lines, then suggest, route and send the questions.

        The items that reconciliation links or creates (see ``bot.linking``)
        are classified and routed one by one, except refunds of items with an
        approved decision, which are booked like those items.
        """
        report = report or RunReport()
        questions: list[QuestionRequest] = []

        with self.store.session() as session:
            report.reconciliation, work = reconcile_open_work(session, self.master)
            for done, entry in enumerate(work, start=1):
                if entry.like:
                    outcome = self._book_like_original(session, entry)
                else:
                    outcome = self._classify_and_route(session, entry.item_id, entry.item, entry.charged_on,
                                                       entry.amount_nok)
                report.outcomes.append(outcome)
                if outcome.decision.action != "book":
                    kind = "approval" if outcome.decision.action == "approve" else "question"
                    questions.append(QuestionRequest(entry.item_id, entry.item, entry.amount_nok, kind,
                                                     outcome.decision.person or "", outcome.suggestions,
                                                     outcome.decision.reason, question_id=outcome.question_id))
                self.progress("classify", done, len(work))

        # Sent after the commit, so the asker finds the questions stored. An asker
        # that fails leaves them stored as unsent, and the Slack asker sends them later.
        self.asker.ask(questions)
        return report

    def post(self) -> PostingResult:
        """Post the approved allocations that are not posted yet, after what earlier runs left sending."""
        if self.poster is None:
            raise ValueError("this pipeline was built without a connector, so it cannot post")
        return run_posting(self.store, self.poster, self.settings, Translator(self.settings.language))

    # -- helpers ------------------------------------------------------------

    def _classify_and_route(self, session, item_id: int, item: ReportItem, charged_on: date,
                            amount: Decimal) -> ItemOutcome:
        suggestions = tuple(self.classifier.suggest(item, top=3))
        save_suggestions(session, item_id, suggestions, self.classifier.version)
        top = suggestions[0] if suggestions else None
        if top is not None:
            # Routed and booked with the VAT code that would be posted, so both see the same allocation.
            top = replace(top, allocation=self.master.with_default_tax_code(top.allocation))
        decision = route(item, amount, top, self.master, self.settings.policy, threshold=self.classifier.threshold)

        question_id = None
        if decision.action == "book" and top is not None:
            decide(session, item_id, [(top.allocation, amount)], decided_by=BOT_ACTOR, source="auto")
            action = "allocated_automatically"
        else:
            kind = "approval" if decision.action == "approve" else "question"
            question = add_question(session, item_id, kind=kind, asked_email=decision.person or "",
                                    note=decision.reason)
            question_id = question.id
            set_item_state(session, item_id, "awaiting_approval" if kind == "approval" else "asked")
            action = f"{kind}_opened"

        audit(session, actor=BOT_ACTOR, action=action, subject_type="item", subject_id=str(item_id),
              model_version=self.classifier.version,
              data={"amount_nok": str(amount), "person": decision.person, "reason": decision.reason,
                    "suggestions": [{"allocation": s.allocation.label(), "confidence": round(s.confidence, 4)}
                                    for s in suggestions]})
        return ItemOutcome(item_id, item, charged_on, amount, suggestions, decision, question_id)

    def _book_like_original(self, session, entry: Work) -> ItemOutcome:
        """Book a refund with the approved allocation of the item it pays back, scaled to the refund."""
        decide(session, entry.item_id, list(entry.like), decided_by=BOT_ACTOR, source="auto")
        reason = Reason(LIKE_ORIGINAL)
        suggestions = tuple(Suggestion(allocation, 1.0, (reason,), source="memory") for allocation, _ in entry.like)
        audit(session, actor=BOT_ACTOR, action="refund_allocated", subject_type="item", subject_id=str(entry.item_id),
              data={"amount_nok": str(entry.amount_nok), "refund_of": entry.refund_of,
                    "lines": [{"allocation": allocation.label(), "amount_nok": str(amount)}
                              for allocation, amount in entry.like]})
        return ItemOutcome(entry.item_id, entry.item, entry.charged_on, entry.amount_nok, suggestions,
                           Decision("book", None, LIKE_ORIGINAL))

    def _add_document(self, session, path: Path, kind: str, **origin):
        try:
            return add_document(session, kind=kind, filename=path.name, sha256=_sha256(path),
                                path=str(path.resolve()), **origin)
        except DuplicateDocument as exc:
            log.info("skipping %s: already received as document %s", path.name, exc.document_id)
            return None

    def _check_sender(self, mail: ReceivedMail, path: Path) -> None:
        if not sender_allowed(mail.sender, self.settings.mailbox.allowed_senders):
            raise InputError(path, N_("sender {sender} is not allowed"), location=N_("From"),
                             fix=N_("add the address or its domain to mailbox.allowed_senders in the configuration"),
                             sender=mail.sender)

    def save_attachments(self, attachments: Sequence[Attachment]) -> list[Path]:
        """Keep every attachment under the documents folder, in a folder named by its hash, before parsing.

        The file keeps its own name, which replies and errors show the sender.
        """
        paths = []
        for attachment in attachments:
            folder = self.settings.mail.documents_dir / attachment.sha256[:12]
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / attachment.filename
            if not path.exists():
                path.write_bytes(attachment.content)
            paths.append(path)
        return paths


def _check_cents(path: Path, content: list[ReportItem] | Statement) -> None:
    """Reject amounts finer than one cent, which the store keeps exactly and so cannot round."""
    if isinstance(content, Statement):
        fields = [(charge.line, "amount", charge.amount) for charge in content.charges]
    else:
        fields = [(item.line, column, value) for item in content
                  for column, value in (("Purchase PPU", item.unit_price), ("Item Net Total", item.net_total))]
    for line, column, value in fields:
        if value is not None and value != value.quantize(Decimal("0.01")):
            raise InputError(path, N_("amount {value} has more than two decimals"), location=N_("line {row}, {column}"),
                             fix=N_("export the file with amounts rounded to whole cents"),
                             value=value, row=line, column=column)


def _summarize(path: Path, kind: str, content: list[ReportItem] | Statement, *, duplicate: bool) -> FileSummary:
    totals: dict[str, Decimal] = {}
    if isinstance(content, Statement):
        dates = [charge.date for charge in content.charges]
        totals["NOK"] = sum((charge.amount for charge in content.charges), Decimal(0))
        return FileSummary(path.name, kind, len(content.charges), content.period_start or min(dates, default=None),
                           content.period_end or max(dates, default=None), totals, duplicate,
                           layout=content.layout, stated_total=content.stated_total,
                           credits=sum((charge.amount for charge in content.charges if not charge.is_purchase),
                                       Decimal(0)),
                           pending=content.pending, skipped=content.skipped)

    # Item Net Total already contains the item's tax, as Amazon's glossary defines it.
    dates = [item.order_date for item in content]
    for item in content:
        totals[item.currency] = totals.get(item.currency, Decimal(0)) + item.net_total
    return FileSummary(path.name, kind, len(content), min(dates, default=None), max(dates, default=None), totals,
                       duplicate)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def move_message(path: Path, folder: Path) -> Path:
    """Move a processed or failed message into ``folder`` under a name no earlier message has."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}-{counter}{path.suffix}"
    shutil.move(path, target)
    return target
