"""Listeners for the buttons, selects and modal submissions of questions and approvals.

Every listener acknowledges first, within Slack's 3 seconds, and works
after; bolt runs it in a thread once ``ack`` is called. Then it finds the
question from the id the button carries, checks that the person may act
on it, decides through ``bot.decisions`` and rebuilds every message that
shows the item. A person who may not act, or who is too late, gets an
ephemeral explanation and nothing changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk import WebClient
from sqlmodel import select

from bot.config import Settings
from bot.decisions import Decisions, OwnPurchase, QuestionClosed
from bot.handlers.access import may_act
from bot.handlers.assemble import CardAssembler
from bot.handlers.delivery import SlackAsker
from bot.handlers.messages import format_time
from bot.handlers.modals import change_modal, line_count, read_lines, read_mode, reject_modal, split_modal
from bot.handlers.people import Directory
from bot.i18n import N_, Translator
from bot.records import Allocation
from bot.store.database import Store
from bot.store.models import AmazonItem, Question, SuggestionRow
from bot.store.questions import get_question
from bot.store.repository import AlreadyDecided, SplitSumMismatch

log = logging.getLogger(__name__)

MAX_SPLIT_LINES = 6
CENT = Decimal("0.01")


class Listeners:
    def __init__(self, settings: Settings, store: Store, decisions: Decisions, asker: SlackAsker,
                 directory: Directory, assembler: CardAssembler, translator: Translator) -> None:
        self.settings = settings
        self.store = store
        self.decisions = decisions
        self.asker = asker
        self.directory = directory
        self.assembler = assembler
        self.master = decisions.pipeline.master
        self.translator = translator

    # -- message buttons and selects ----------------------------------------------

    def choose(self, ack: Callable, body: dict, respond: Callable) -> None:
        """Book the suggestion whose button was clicked."""
        ack()
        action = body["actions"][0]
        question_id, rank = _ids(action.get("value", ""))
        email = self._acting_email(body, question_id, respond)
        if email is None:
            return
        allocation = self._suggestion(question_id, rank)
        if allocation is None:
            respond(self._ephemeral(N_("This suggestion is no longer available.")))
            return
        self._run(respond, question_id, lambda: self.decisions.answer(question_id, allocation, email))

    def other(self, ack: Callable, body: dict, respond: Callable) -> None:
        """Book the cost center, project or account picked in the select, with the rest of the top suggestion."""
        ack()
        action = body["actions"][0]
        question_id = _question_of_block(action.get("block_id", ""))
        selected = (action.get("selected_option") or {}).get("value", "")
        email = self._acting_email(body, question_id, respond)
        if email is None:
            return
        allocation = self._with_choice(question_id, selected)
        if allocation is None:
            respond(self._ephemeral(N_("That choice is not in the master data any more.")))
            return
        self._run(respond, question_id, lambda: self.decisions.answer(question_id, allocation, email))

    def private(self, ack: Callable, body: dict, respond: Callable) -> None:
        ack()
        question_id, _ = _ids(body["actions"][0].get("value", ""))
        email = self._acting_email(body, question_id, respond)
        if email is None:
            return
        self._run(respond, question_id, lambda: self.decisions.mark_private(question_id, email))

    def approve(self, ack: Callable, body: dict, respond: Callable) -> None:
        ack()
        question_id, _ = _ids(body["actions"][0].get("value", ""))
        email = self._acting_email(body, question_id, respond)
        if email is None:
            return
        self._run(respond, question_id, lambda: self.decisions.approve(question_id, email))

    def open_split(self, ack: Callable, body: dict, client: WebClient, respond: Callable) -> None:
        ack()
        question_id, _ = _ids(body["actions"][0].get("value", ""))
        self._open_modal(body, client, respond, question_id, "split")

    def open_change(self, ack: Callable, body: dict, client: WebClient, respond: Callable) -> None:
        ack()
        question_id, _ = _ids(body["actions"][0].get("value", ""))
        self._open_modal(body, client, respond, question_id, "change")

    def open_reject(self, ack: Callable, body: dict, client: WebClient, respond: Callable) -> None:
        ack()
        question_id, _ = _ids(body["actions"][0].get("value", ""))
        self._open_modal(body, client, respond, question_id, "reject")

    def change_lines(self, ack: Callable, body: dict, client: WebClient) -> None:
        """Rebuild the split modal with one line more or less, keeping the values entered."""
        ack()
        view = body["view"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        lines = line_count(view)
        lines += 1 if body["actions"][0]["action_id"] == "add_line" else -1
        lines = max(2, min(MAX_SPLIT_LINES, lines))
        values = view.get("state", {}).get("values", {})
        with self.store.session() as session:
            question = get_question(session, metadata.get("q", 0))
            if question is None:
                return
            card = self.assembler.card(session, question)
        entered = read_lines(values, line_count(view), with_share=True)
        initial = [self.assembler.target(Allocation(line["cost_center"], line["project"], line["account"] or "", ""))
                   for line in entered if line["cost_center"] and line["account"]]
        new_view = split_modal(card, self.assembler.catalog(), translator=self.translator,
                               private_metadata=view.get("private_metadata", ""), lines=lines,
                               mode=read_mode(values), initial=initial)
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)

    # -- modal submissions --------------------------------------------------------

    def submit_split(self, ack: Callable, body: dict, view: dict, client: WebClient) -> None:
        self._submit_lines(ack, body, view, client, with_share=True)

    def submit_change(self, ack: Callable, body: dict, view: dict, client: WebClient) -> None:
        self._submit_lines(ack, body, view, client, with_share=False)

    def submit_reject(self, ack: Callable, body: dict, view: dict, client: WebClient) -> None:
        _ = self.translator
        metadata = json.loads(view.get("private_metadata") or "{}")
        question_id = int(metadata.get("q", 0))
        reason = (view["state"]["values"].get("reason", {}).get("value", {}).get("value") or "").strip()
        if not reason:
            ack(response_action="errors", errors={"reason": _("Write why the purchase is rejected.")})
            return
        problem = self._submission_problem(body, question_id)
        if problem:
            ack(response_action="errors", errors={"reason": problem})
            return
        ack()
        email = self.directory.email(body["user"]["id"])
        self._run(self._dm_responder(body, client, metadata), question_id,
                  lambda: self.decisions.reject(question_id, email, reason))

    # -- helpers ------------------------------------------------------------------

    def _submit_lines(self, ack: Callable, body: dict, view: dict, client: WebClient, *, with_share: bool) -> None:
        """Check a split or change modal and book it; errors go back into the modal next to their field."""
        metadata = json.loads(view.get("private_metadata") or "{}")
        question_id = int(metadata.get("q", 0))
        problem = self._submission_problem(body, question_id)
        if problem:
            ack(response_action="errors", errors={"cc:1": problem})
            return

        with self.store.session() as session:
            question = get_question(session, question_id)
            card = self.assembler.card(session, question)
        values = view["state"]["values"]
        lines = read_lines(values, line_count(view), with_share=with_share)
        mode = read_mode(values) if with_share else "percent"
        parsed, errors = self._parse_lines(lines, card.amount_nok, mode, with_share)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()

        email = self.directory.email(body["user"]["id"])
        respond = self._dm_responder(body, client, metadata)
        if question.kind == "approval":
            self._run(respond, question_id, lambda: self.decisions.change(question_id, parsed, email))
        else:
            self._run(respond, question_id, lambda: self.decisions.answer(question_id, parsed, email))

    def _parse_lines(self, lines: list[dict], total: Decimal, mode: str,
                     with_share: bool) -> tuple[list[tuple[Allocation, Decimal]], dict[str, str]]:
        """Turn modal lines into allocations with NOK amounts that add up exactly to ``total``."""
        _ = self.translator
        errors: dict[str, str] = {}
        used = [(number, line) for number, line in enumerate(lines, start=1)
                if line["cost_center"] or line["account"] or line.get("share_text")]
        if not used:
            return [], {"cc:1": _("Choose a cost center and an account.")}

        allocations: list[tuple[Allocation, Decimal | None]] = []
        for number, line in used:
            if not line["cost_center"]:
                errors[f"cc:{number}"] = _("Choose a cost center.")
            elif line["cost_center"] not in self.master.cost_centers:
                errors[f"cc:{number}"] = _("That choice is not in the master data any more.")
            if not line["account"]:
                errors[f"account:{number}"] = _("Choose an account.")
            elif line["account"] not in self.master.accounts:
                errors[f"account:{number}"] = _("That choice is not in the master data any more.")
            if line["project"] and line["project"] not in self.master.projects:
                errors[f"project:{number}"] = _("That choice is not in the master data any more.")
            cost_center = line["cost_center"] or ""
            project = line["project"]
            if project and project in self.master.projects and not line["cost_center"]:
                cost_center = self.master.projects[project].cost_center or cost_center
            share = None
            if with_share:
                share = _decimal(line.get("share_text"))
                if share is None or share <= 0:
                    errors[f"share:{number}"] = _("Enter a positive number, such as 40 or 40,5.")
            allocations.append((Allocation(cost_center, project, line["account"] or "", ""), share))
        if errors:
            return [], errors

        if not with_share:
            return [(allocations[0][0], total)], {}
        shares = [share for _, share in allocations]
        last_block = f"share:{used[-1][0]}"
        if mode == "amount":
            if sum(shares) != total:
                return [], {last_block: _("The amounts add up to {sum}, not {total}.",
                                          sum=_.money(sum(shares)), total=_.money(total))}
            return [(allocation, share.quantize(CENT)) for (allocation, _), share in zip(allocations, shares)], {}
        if sum(shares) != 100:
            return [], {last_block: _("The shares add up to {sum} %, not 100 %.", sum=_.number(float(sum(shares)), 2))}
        return list(zip([allocation for allocation, _ in allocations], _spread(total, shares))), {}

    def _submission_problem(self, body: dict, question_id: int) -> str | None:
        """Return why the submitting person may not act on the question, or None."""
        _ = self.translator
        email = self.directory.email(body["user"]["id"])
        with self.store.session() as session:
            question = get_question(session, question_id)
        if question is None or question.status != "open":
            return _("This question is already answered.")
        if not may_act(email, question, self.master, self.decisions.controllers):
            return _("Only the person asked, their manager or a controller can answer this.")
        return None

    def _open_modal(self, body: dict, client: WebClient, respond: Callable, question_id: int, kind: str) -> None:
        email = self._acting_email(body, question_id, respond)
        if email is None:
            return
        with self.store.session() as session:
            question = get_question(session, question_id)
            card = self.assembler.card(session, question)
            lines = self.decisions.proposal(session, question.item_id, card.amount_nok) if kind != "split" else []
            requester = session.get(AmazonItem, question.item_id).requester_email or ""
        if question.kind == "approval" and requester.lower() == email:
            respond(self._ephemeral(N_("You cannot approve, reject or change your own purchase.")))
            return
        metadata = json.dumps({"q": question_id, "channel": body.get("channel", {}).get("id"),
                               "ts": body.get("container", {}).get("message_ts")})
        catalog = self.assembler.catalog()
        if kind == "split":
            initial = [choice.target for choice in card.choices[:1]]
            view = split_modal(card, catalog, translator=self.translator, private_metadata=metadata, initial=initial)
        elif kind == "change":
            initial = [self.assembler.target(allocation) for allocation, _ in lines[:1]]
            view = change_modal(card, catalog, translator=self.translator, private_metadata=metadata, initial=initial)
        else:
            view = reject_modal(card, translator=self.translator, private_metadata=metadata)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def _acting_email(self, body: dict, question_id: int, respond: Callable) -> str | None:
        """Return the acting person's email when they may act on the question; else explain and return None."""
        user_id = body["user"]["id"]
        email = self.directory.email(user_id)
        with self.store.session() as session:
            question = get_question(session, question_id)
        if question is None:
            log.warning("Slack user %s acted on unknown question %s", user_id, question_id)
            respond(self._ephemeral(N_("This question no longer exists.")))
            return None
        if not may_act(email, question, self.master, self.decisions.controllers):
            log.warning("Slack user %s may not act on question %s", user_id, question_id)
            respond(self._ephemeral(N_("Only the person asked, their manager or a controller can answer this.")))
            return None
        if question.status != "open":
            self._tell_too_late(respond, question)
            return None
        return email

    def _run(self, respond: Callable, question_id: int, decide: Callable[[], Any]) -> None:
        """Make a decision and rebuild the messages, or tell the person why nothing changed."""
        try:
            result = decide()
        except AlreadyDecided as exc:
            respond(self._ephemeral(N_("{name} decided this already, on {when}."),
                                    name=self.assembler.person_name(exc.decided_by), when=self._when(exc.decided_at)))
            return
        except QuestionClosed as exc:
            respond(self._ephemeral(N_("{name} decided this already, on {when}."),
                                    name=self.assembler.person_name(exc.answered_by), when=self._when(exc.answered_at)))
            return
        except OwnPurchase:
            respond(self._ephemeral(N_("You cannot approve, reject or change your own purchase.")))
            return
        except SplitSumMismatch:
            respond(self._ephemeral(N_("The lines do not add up to the item's amount; nothing was booked.")))
            return
        except (LookupError, ValueError) as exc:
            # A button value that names another kind of question, or an item without suggestions.
            log.warning("question %s: nothing booked: %s", question_id, exc)
            respond(self._ephemeral(N_("This question no longer exists.")))
            return

        self.asker.refresh_item(result.item_id)
        if result.new_question_id is not None:
            self.asker.resend()

    def _tell_too_late(self, respond: Callable, question: Question) -> None:
        respond(self._ephemeral(N_("{name} decided this already, on {when}."),
                                name=self.assembler.person_name(question.answered_by),
                                when=self._when(question.answered_at)))

    def _ephemeral(self, message: str, **params: object) -> dict:
        return {"text": self.translator(message, **params), "response_type": "ephemeral", "replace_original": False}

    def _when(self, moment: datetime | None) -> str:
        if moment is None:
            return "?"
        return format_time(moment, self.translator, self.settings.slack.timezone)

    def _dm_responder(self, body: dict, client: WebClient, metadata: dict) -> Callable:
        """Return a respond() for modal submissions, which have no response URL: an ephemeral in the message's channel."""
        channel = metadata.get("channel")
        user = body["user"]["id"]

        def respond(message: dict) -> None:
            if channel:
                client.chat_postEphemeral(channel=channel, user=user, text=message["text"])
        return respond

    def _suggestion(self, question_id: int, rank: int) -> Allocation | None:
        with self.store.session() as session:
            question = get_question(session, question_id)
            row = session.exec(select(SuggestionRow).where(SuggestionRow.item_id == question.item_id,
                                                           SuggestionRow.rank == rank)).first()
        if row is None:
            return None
        return Allocation(row.cost_center, row.project, row.account, row.tax_code)

    def _with_choice(self, question_id: int, value: str) -> Allocation | None:
        """Combine a picked cost center, project or account with the top suggestion's other fields."""
        kind, _, code = value.partition(":")
        base = self._suggestion(question_id, 1) or Allocation("", None, "", "")
        master = self.master
        if kind == "cc" and code in master.cost_centers:
            return Allocation(code, None, base.account, "")
        if kind == "p" and code in master.projects:
            return Allocation(master.projects[code].cost_center or base.cost_center, code, base.account, "")
        if kind == "a" and code in master.accounts:
            return Allocation(base.cost_center, base.project, code, "")
        return None


def _ids(value: str) -> tuple[int, int]:
    """Read "<question id>" or "<question id>:<rank>" from a button value; (0, 0) when malformed."""
    first, _, second = value.partition(":")
    if not first.isdigit() or (second and not second.isdigit()):
        return 0, 0
    return int(first), int(second or 0)


def _question_of_block(block_id: str) -> int:
    prefix, _, number = block_id.partition(":")
    return int(number) if prefix == "q" and number.isdigit() else 0


def _decimal(text: str | None) -> Decimal | None:
    """Parse a number as people type it: "40", "40,5", "1 234,50" or "1234.50"."""
    if not text:
        return None
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace("%", "").replace("kr", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _spread(total: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Divide ``total`` by percentages into øre amounts that add up exactly; the last line takes the rounding."""
    amounts = [(total * percent / 100).quantize(CENT) for percent in percents[:-1]]
    return amounts + [total - sum(amounts, Decimal(0))]
