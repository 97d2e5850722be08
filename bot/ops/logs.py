"""Log lines on stderr, as text or as one JSON object per line.

The JSON lines carry ``timestamp`` (ISO 8601 in UTC), ``level``,
``logger``, ``message``, ``exc_info`` when an exception was logged,
``replica`` when one is named, and every field passed with ``extra=``.
Both formats pass each record through ``bot.privacy.redact.RedactingFilter``,
which masks email addresses and person names unless redaction is off.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from bot.privacy.redact import RedactingFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "{levelname}{name}{message}"
JSON_NAMES = {"levelname": "level", "name": "logger"}


class _AllocbotHandler(logging.StreamHandler):
    """The stderr handler that ``configure_logging`` installs, a class of its own to find it among other handlers."""


def configure_logging(level: int, log_format: str, redact: bool, *, replica: str = "") -> None:
    """Log records of ``level`` and above to stderr in ``log_format`` ("text" or "json").

    A second call replaces the handler of the first, so the command line can
    log in text before the settings load and switch to their format after.
    Like ``logging.basicConfig``, it leaves logging alone when a handler
    that it did not install is present, such as the log capture of pytest.
    """
    if log_format not in ("text", "json"):
        raise ValueError(f"invalid log format {log_format!r}: expected 'text' or 'json'")

    root = logging.getLogger()
    ours = [handler for handler in root.handlers if isinstance(handler, _AllocbotHandler)]
    if len(ours) < len(root.handlers):
        return

    for handler in ours:
        root.removeHandler(handler)

    handler = _AllocbotHandler()
    handler.setFormatter(_formatter(log_format, replica))
    handler.addFilter(RedactingFilter(enabled=redact))
    root.addHandler(handler)
    root.setLevel(level)


def _formatter(log_format: str, replica: str) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    return JsonFormatter(JSON_FIELDS, style="{", rename_fields=JSON_NAMES, timestamp=True,
                         static_fields={"replica": replica} if replica else None, json_ensure_ascii=False)
