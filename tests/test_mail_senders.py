"""Allowed senders: listed addresses, or every address of a listed domain."""

from __future__ import annotations

import pytest

from bot.mail.senders import sender_allowed


@pytest.mark.parametrize(("sender", "allowed", "expected"), [
    ("ola@example.no", [], True),
    ("ola@example.no", ["ola@example.no"], True),
    ("Ola@Example.NO", ["ola@example.no"], True),
    ("kari@example.no", ["ola@example.no"], False),
    ("kari@example.no", ["example.no"], True),
    ("kari@regnskap.example.no", ["example.no"], True),
    ("kari@badexample.no", ["example.no"], False),
    ("kari@example.no.evil.com", ["example.no"], False),
])
def test_sender_allowed(sender, allowed, expected):
    assert sender_allowed(sender, allowed) is expected
