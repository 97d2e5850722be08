"""Named points in the code where a test can kill the bot, to check that a restart does nothing twice.

A test aid: production never sets ``ALLOCBOT_FAILPOINTS``. A test sets it
to a comma-separated list of names before it starts ``allocbot run``. The
process then kills itself with SIGKILL at the first point it reaches whose
name is on the list, as ``kill -9`` or a power cut would, so no ``finally``
block, rollback or lease release runs. The names, and what is committed
when the process dies there:

- ``mail.after_claim``: the message is claimed, its documents are not stored.
- ``mail.after_store``: the documents are stored, the message is not finished.
- ``posting.after_claim``: vouchers are stored "sending" and not sent.
- ``posting.after_send``: the ERP or the file accepted them, they are not recorded posted.
- ``slack.after_claim_delivery``: questions have a delivery key, no message is posted.
- ``slack.after_send``: the message is posted, its ts is not stored.
- ``report.after_send``: one delivery of the monthly report is sent, and not recorded.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

VARIABLE = "ALLOCBOT_FAILPOINTS"

NAMES = frozenset({
    "mail.after_claim", "mail.after_store", "posting.after_claim", "posting.after_send",
    "slack.after_claim_delivery", "slack.after_send", "report.after_send",
})


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL when ``ALLOCBOT_FAILPOINTS`` names ``name``; do nothing otherwise."""
    if name not in NAMES:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(sorted(NAMES))}")
    armed = os.environ.get(VARIABLE, "")
    if name not in {entry.strip() for entry in armed.split(",")}:
        return
    log.critical("failpoint %s reached: killing process %d with SIGKILL", name, os.getpid())
    for handler in logging.getLogger().handlers:
        handler.flush()
    os.kill(os.getpid(), signal.SIGKILL)
