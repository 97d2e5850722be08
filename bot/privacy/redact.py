"""A logging filter that keeps email addresses and person names out of log output.

Installed on the log handlers, it rewrites each record before it is
formatted: every email address becomes ``<email:1a2b3c4d>`` and every known
person name ``<name:1a2b3c4d>``, where the hex digits are the start of the
HMAC-SHA256 of the lower-cased address or name. The HMAC key is the value of
the environment variable ALLOCBOT_LOG_KEY, so replicas that share it give
one person the same pseudonym. Without it each process draws a random key
at start, and pseudonyms match only within one process. Without the key,
hashing the employees' addresses does not map a pseudonym back to a person,
which a plain hash would allow. With debug logging the filter is
constructed disabled and passes records through unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Iterable

# Addresses as mail headers and the master data write them: no quoted local parts, IP literals or "/".
# The lookbehind keeps the user in a URL such as postgresql://user@db.example.no/allocbot readable.
EMAIL = re.compile(r"(?<![A-Za-z0-9.!#$%&'*+=?^_`{|}~/:-])[A-Za-z0-9.!#$%&'*+=?^_`{|}~-]+@"
                   r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")

LOG_KEY_VARIABLE = "ALLOCBOT_LOG_KEY"
# The key when ALLOCBOT_LOG_KEY is unset or empty.
_PROCESS_KEY = secrets.token_bytes(32)


def log_key() -> bytes:
    """Return the pseudonyms' HMAC key: the value of ALLOCBOT_LOG_KEY, else this process's random key."""
    configured = os.environ.get(LOG_KEY_VARIABLE, "")
    return configured.encode("utf-8") if configured else _PROCESS_KEY


def pseudonym(kind: str, value: str, key: bytes | None = None) -> str:
    """Return the placeholder for ``value``, such as ``<email:1a2b3c4d>``; the key defaults to ``log_key()``."""
    digest = hmac.new(key or log_key(), value.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<{kind}:{digest[:8]}>"


class RedactingFilter(logging.Filter):
    """Replace email addresses and known person names in log records with pseudonyms when enabled.

    The filter masks the message, its arguments and the text of a logged
    exception. It formats the message with its arguments first, because an
    address can be split across them, and then clears the arguments. Names
    are the full names given to ``set_names``, typically the employees of
    the master data, matched as whole words ignoring case. The filter
    always returns True: it changes records and never drops them.

    NOTE: attributes passed with ``extra=`` are not masked; log ids there.
    """

    def __init__(self, enabled: bool, names: Iterable[str] = (), key: bytes | None = None) -> None:
        super().__init__()
        self.enabled = enabled
        self._key = key or log_key()
        self._names: re.Pattern[str] | None = None
        self.set_names(names)

    def set_names(self, names: Iterable[str]) -> None:
        """Replace the person names to mask, such as the employees' names after the master data is read."""
        # Longest first, so "Anne Marie Berg" is masked whole before "Anne Marie".
        cleaned = sorted({name.strip() for name in names if len(name.strip()) > 1}, key=len, reverse=True)
        if not cleaned:
            self._names = None
            return
        alternatives = "|".join(r"\s+".join(map(re.escape, name.split())) for name in cleaned)
        self._names = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.enabled:
            return True

        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # Arguments that do not fit the format: keep both, masked, instead of failing the logging call.
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            # Formatted here and dropped, because formatters format exc_info again when it is set,
            # python-json-logger's even when exc_text is set.
            record.exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def redact(self, text: str) -> str:
        """Return ``text`` with email addresses and known names replaced by their pseudonyms."""
        text = EMAIL.sub(lambda match: pseudonym("email", match.group(), self._key), text)
        if self._names is not None:
            text = self._names.sub(lambda match: pseudonym("name", " ".join(match.group().split()), self._key), text)
        return text


def mask_names_in_logs(names: Iterable[str]) -> int:
    """Give every RedactingFilter on the root logger's handlers these person names; return how many filters got them.

    Call it after the master data is read, with the employees' names.
    """
    filters = [handler_filter for handler in logging.getLogger().handlers for handler_filter in handler.filters
               if isinstance(handler_filter, RedactingFilter)]
    names = list(names)
    for handler_filter in filters:
        handler_filter.set_names(names)
    return len(filters)
