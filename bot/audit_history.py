"""One item's history from the audit log, for ``allocbot audit show ITEM``.

An event concerns an item when its subject is the item, the item's
allocation, one of its questions, a voucher that contains its
allocation, its card line or the document it was read from. The steps
of the item itself (read, linked, suggested, asked, sent, answered,
approved, posted) are audited under the item; the card line's events
say how reconciliation matched it, and the document's who sent it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from bot.errors import UsageError
from bot.i18n import N_, Translator
from bot.matching.reasons import describe as describe_reason
from bot.records import Reason
from bot.store.audit import canonical_json
from bot.store.models import AllocationRow, AmazonItem, AuditEvent, Posting, Question

log = logging.getLogger(__name__)

LOCAL_TIMEZONE = ZoneInfo("Europe/Oslo")

STATE_LABELS = {
    "new": N_("new, not reconciled"),
    "suggested": N_("suggestions made"),
    "asked": N_("waiting for an answer"),
    "awaiting_approval": N_("waiting for approval"),
    "decided": N_("allocated, not posted"),
    "posted": N_("posted to the ERP"),
    "duplicate": N_("duplicate of another item"),
}


@dataclass(frozen=True)
class ItemHistory:
    item: AmazonItem
    events: list[AuditEvent]


def load_item_history(session: Session, item_id: int) -> ItemHistory:
    """Read the item and its audit events, oldest first; raise UsageError for an unknown item id."""
    item = session.get(AmazonItem, item_id)
    if item is None:
        raise UsageError("ITEM", N_("no item with id {item_id}"),
                         fix=N_("pass the id of an item in the store"), item_id=item_id)

    subjects = _subjects(session, item_id)
    conditions = [and_(col(AuditEvent.subject_type) == subject_type, col(AuditEvent.subject_id).in_(ids))
                  for subject_type, ids in subjects.items() if ids]
    events = session.exec(select(AuditEvent).where(or_(*conditions)).order_by(col(AuditEvent.id))).all()
    log.debug("item %s: %d audit events under %s", item_id, len(events), subjects)
    return ItemHistory(item, list(events))


def _subjects(session: Session, item_id: int) -> dict[str, list[str]]:
    """Return the ids, as stored in ``subject_id``, of every subject that belongs to the item."""
    allocation_ids = list(session.exec(select(AllocationRow.id).where(AllocationRow.item_id == item_id)).all())
    question_ids = session.exec(select(Question.id).where(Question.item_id == item_id)).all()
    # NOTE: releasing a rejected voucher deletes its postings, so a voucher the item
    # left that way is no longer found here. Its events about the item are under the item.
    voucher_ids = session.exec(
        select(Posting.voucher_id).where(col(Posting.allocation_id).in_(allocation_ids)).distinct()
    ).all() if allocation_ids else []
    item = session.get(AmazonItem, item_id)
    return {
        "item": [str(item_id)],
        "document": [str(item.document_id)],
        "card_transaction": [str(item.card_transaction_id)] if item.card_transaction_id is not None else [],
        "allocation": [str(allocation_id) for allocation_id in allocation_ids],
        "question": [str(question_id) for question_id in question_ids],
        "voucher": [str(voucher_id) for voucher_id in voucher_ids],
    }


def render_item_history(history: ItemHistory, translator: Translator) -> list[str]:
    """Return the header lines and one line per event: local time, actor and description."""
    item = history.item
    amount = translator.money(item.amount_nok) if item.amount_nok is not None else translator("not known yet")
    state = translator(STATE_LABELS[item.state]) if item.state in STATE_LABELS else item.state
    lines = [
        translator("Item {item_id}: {title}", item_id=item.id, title=item.title),
        translator("Amount: {amount}", amount=amount),
        translator("State: {state}", state=state),
        "",
    ]
    if not history.events:
        lines.append(translator("The audit log has no events for this item."))
    for event in history.events:
        lines.append(f"{local_time(event.at, translator)}  {event.actor}  {describe_event(event, translator)}")
    return lines


def local_time(at: datetime, translator: Translator) -> str:
    """Format a UTC time as date and minute in Norwegian time, such as 05.12.2026 08:14 in nb."""
    local = at.astimezone(LOCAL_TIMEZONE)
    return f"{translator.date(local.date())} {local:%H:%M}"


def describe_event(event: AuditEvent, translator: Translator) -> str:
    """Describe what the event records; an action without a description shows its name and data as JSON."""
    describe = _DESCRIPTIONS.get(event.action)
    if describe is None:
        return f"{event.action} {canonical_json(event.data)}"

    text = describe(event.data, translator)
    if event.data.get("top_suggestion") is not None:
        text += " " + (translator("(the top suggestion)") if event.data["top_suggestion"]
                       else translator("(not the top suggestion)"))
    if event.model_version:
        text += " " + translator("(model {version})", version=event.model_version)
    return text


def _lines(data: dict[str, Any], translator: Translator) -> str:
    """Format decision lines as "400/-/6551/14 1 234,50 kr; …"; amounts are decimal strings in the data."""
    return "; ".join(f"{line['allocation']} {translator.money(Decimal(line['amount_nok']))}"
                     for line in data.get("lines", []))


def _top_suggestion(data: dict[str, Any], translator: Translator) -> str:
    suggestions = data.get("suggestions") or []
    return suggestions[0]["allocation"] if suggestions else translator("no suggestion")


def _money(data: dict[str, Any], key: str, translator: Translator, currency: str = "NOK") -> str:
    return translator.money(Decimal(data[key]), currency) if data.get(key) is not None else "?"


def _suggested(data: dict[str, Any], translator: Translator) -> str:
    """Format the ranked suggestions with their confidence, then the reasons of the top one."""
    suggestions = data.get("suggestions") or []
    if not suggestions:
        return translator("No suggestion")
    ranked = ", ".join(f"{suggestion['allocation']} ({translator.percent(suggestion['confidence'])})"
                       for suggestion in suggestions)
    # The audit data leaves out the requester's name (see bot.store.audit_data).
    requester = translator("the requester")
    reasons = "; ".join(translator(reason["template"], **{"requester": requester, **reason["params"]})
                        for reason in suggestions[0].get("reasons", []))
    if not reasons:
        return translator("Suggested {suggestions}", suggestions=ranked)
    return translator("Suggested {suggestions}, because {reasons}", suggestions=ranked, reasons=reasons)


def _matched(data: dict[str, Any], translator: Translator) -> str:
    return describe_reason(Reason(data["reason"], data.get("params", {})), translator)


def _sent(data: dict[str, Any], translator: Translator) -> str:
    person = data.get("asked") or translator("the controllers")
    if data.get("kind") == "approval":
        return translator("Approval request {question} sent to {person} in Slack", question=data.get("question"),
                          person=person)
    return translator("Question {question} sent to {person} in Slack", question=data.get("question"), person=person)


_DESCRIPTIONS: dict[str, Callable[[dict[str, Any], Translator], str]] = {
    "document_received": lambda data, translator: translator(
        "Received file {file}: {count} new rows", file=data.get("file"), count=data.get("new")),
    "item_parsed": lambda data, translator: translator(
        "Read from {file} (document {document}), line {line}: {amount}", file=data.get("file"),
        document=data.get("document"), line=data.get("line"),
        amount=_money(data, "amount", translator, data.get("currency", "NOK"))),
    "charge_matched": lambda data, translator: translator(
        "Card line matched to items {items}: {reason}", items=", ".join(map(str, data.get("items", []))),
        reason=_matched(data, translator)),
    "charge_linked": lambda data, translator: translator(
        "Linked to card line {card_transaction}: {amount}", card_transaction=data.get("card_transaction"),
        amount=_money(data, "amount_nok", translator)),
    "refund_matched": lambda data, translator: translator(
        "Card credit matched as refund items {items}: {reason}",
        items=", ".join(str(refund["item"]) for refund in data.get("refund_items", [])),
        reason=_matched(data, translator)),
    "refund_item_created": lambda data, translator: translator(
        "Created as a refund of item {refund_of} from card line {card_transaction}: {amount}",
        refund_of=data.get("refund_of"), card_transaction=data.get("card_transaction"),
        amount=_money(data, "amount_nok", translator)),
    "suggested": _suggested,
    "question_sent": _sent,
    "question_escalated": lambda data, translator: translator(
        "Question {question} escalated to {person} in Slack", question=data.get("question"),
        person=data.get("escalated_to")),
    "card_item_created": lambda data, translator: translator(
        "Created from card line {card_transaction}, {amount}",
        card_transaction=data.get("card_transaction"), amount=_money(data, "amount_nok", translator)),
    "item_duplicate": lambda data, translator: translator("Marked as a duplicate"),
    "allocated_automatically": lambda data, translator: translator(
        "Allocated automatically to {allocation}", allocation=_top_suggestion(data, translator)),
    "question_opened": lambda data, translator: translator(
        "Asked {person}; suggested {allocation}", person=data.get("person") or translator("the controllers"),
        allocation=_top_suggestion(data, translator)),
    "approval_opened": lambda data, translator: translator(
        "Sent to {person} for approval; suggested {allocation}",
        person=data.get("person") or translator("the controllers"),
        allocation=_top_suggestion(data, translator)),
    "question_answered": lambda data, translator: translator("Answered: {lines}", lines=_lines(data, translator)),
    "answer_needs_approval": lambda data, translator: translator(
        "Answered: {lines}; needs approval by {approver}", lines=_lines(data, translator),
        approver=data.get("approver")),
    "marked_private": lambda data, translator: translator(
        "Marked as a private purchase: {lines}", lines=_lines(data, translator)),
    "approved": lambda data, translator: translator("Approved: {lines}", lines=_lines(data, translator)),
    "approved_with_change": lambda data, translator: translator(
        "Approved with a change: {lines}", lines=_lines(data, translator)),
    "rejected": lambda data, translator: translator("Rejected by the approver: {reason}", reason=data.get("reason")),
    "refund_allocated": lambda data, translator: translator(
        "Refund of item {refund_of} allocated like it: {lines}", refund_of=data.get("refund_of"),
        lines=_lines(data, translator)),
    "posted": lambda data, translator: translator(
        "Posted as voucher {voucher} via {connector}, ERP id {external_id}", voucher=data.get("voucher"),
        connector=data.get("connector"), external_id=data.get("external_id")),
    "posting_rejected": lambda data, translator: translator(
        "Voucher {voucher} rejected by {connector}: {message}", voucher=data.get("voucher"),
        connector=data.get("connector"), message=data.get("message")),
    "posting_released": lambda data, translator: translator(
        "Released from rejected voucher {voucher} to be posted again", voucher=data.get("voucher")),
    "posting_abandoned": lambda data, translator: translator(
        "Voucher {voucher} abandoned because {connector} does not have it", voucher=data.get("voucher"),
        connector=data.get("connector")),
}
