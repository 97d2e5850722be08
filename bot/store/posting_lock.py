"""One posting run at a time per database.

A run looks up the vouchers that an earlier run left "sending" and sends
again those the ERP does not hold. A second run at the same time could see
a voucher that the first has just claimed and is still sending, find it
missing in the ERP and send it too. So each run holds the store lock
"posting" (``bot.store.locks``) from its start to its end, and a second
run waits for it without a limit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.store.database import Store
from bot.store.locks import store_lock

log = logging.getLogger(__name__)

POSTING_LOCK = "posting"


@contextmanager
def posting_lock(store: Store) -> Iterator[None]:
    """Hold the store's posting lock for the ``with`` block, waiting while another run holds it."""

    def waiting() -> None:
        log.info("posting lock of %s is taken by another run; waiting for that run to finish", store.display_url)

    with store_lock(store, POSTING_LOCK, wait_seconds=None, on_wait=waiting):
        yield
