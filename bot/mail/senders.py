"""Which senders may forward documents: listed addresses, or every address of a listed domain."""

from __future__ import annotations

from collections.abc import Iterable


def sender_allowed(sender: str, allowed: Iterable[str]) -> bool:
    """Return whether ``sender`` is allowed; an empty list allows everyone.

    An entry with "@" matches that address; an entry without matches the
    domain and its subdomains, so "example.no" allows "ola@example.no" and
    "ola@regnskap.example.no" but not "ola@badexample.no". Case is ignored.
    """
    entries = [entry.strip().lower() for entry in allowed if entry.strip()]
    if not entries:
        return True
    sender = sender.strip().lower()
    domain = sender.rpartition("@")[2]
    for entry in entries:
        if "@" in entry:
            if sender == entry:
                return True
        elif domain == entry or domain.endswith("." + entry):
            return True
    return False
