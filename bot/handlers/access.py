"""The rule of who may act on a question: the person asked, their manager, and the controllers.

A question to the controllers (or to someone who is not in Slack, sent to
the controller channel instead) may be acted on by the controllers and by
the asked person's manager. Whether an approver approves their own
purchase is checked where the decision is made (``bot.decisions``).
"""

from __future__ import annotations

from bot.masterdata import MasterData
from bot.store.models import Question


def may_act(email: str | None, question: Question, master: MasterData, controllers: set[str]) -> bool:
    """Return whether the person with ``email`` may answer, approve or reject ``question``."""
    if not email:
        return False
    email = email.lower()
    if email in controllers:
        return True
    if email == question.asked_email:
        return True
    asked = master.employee(question.asked_email)
    if asked is not None and asked.manager and asked.manager.lower() == email:
        return True
    return bool(question.escalated_to) and question.escalated_to.lower() == email
