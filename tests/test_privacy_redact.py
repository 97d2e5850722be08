"""RedactingFilter on real logging handlers: addresses and names never reach the output unless disabled."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pythonjsonlogger.json import JsonFormatter

from bot.privacy.redact import LOG_KEY_VARIABLE, RedactingFilter, mask_names_in_logs, pseudonym

EMAIL = "ola.hansen@example.no"


def logger_with(handler_filter: RedactingFilter, formatter: logging.Formatter | None = None):
    """Return a fresh logger whose one handler writes to the returned buffer through ``handler_filter``."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter or logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(handler_filter)
    logger = logging.getLogger(f"test_privacy_redact.{id(buffer)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.handlers = [handler]
    return logger, buffer


def test_email_in_message():
    logger, buffer = logger_with(RedactingFilter(True))

    logger.info(f"question 7 asked {EMAIL}")

    output = buffer.getvalue()
    assert EMAIL not in output
    assert f"question 7 asked {pseudonym('email', EMAIL)}" in output


def test_email_in_args():
    logger, buffer = logger_with(RedactingFilter(True))

    logger.warning("mail %s from %s rejected", 12, EMAIL.upper())

    output = buffer.getvalue()
    assert EMAIL.upper() not in output
    assert "mail 12 from <email:" in output


def test_database_url_user_kept():
    logger, buffer = logger_with(RedactingFilter(True))

    logger.info("Using database %s", "postgresql+psycopg2://allocbot@db.example.no:5432/allocbot")

    assert "postgresql+psycopg2://allocbot@db.example.no:5432/allocbot" in buffer.getvalue()


def test_pseudonym_stable_across_case():
    assert pseudonym("email", EMAIL) == pseudonym("email", EMAIL.upper())
    assert pseudonym("email", EMAIL) != pseudonym("email", "kari.nordmann@example.no")
    assert pseudonym("email", EMAIL).startswith("<email:")


def test_email_in_exception():
    logger, buffer = logger_with(RedactingFilter(True))

    try:
        raise ValueError(f"no Slack user for {EMAIL}")
    except ValueError:
        logger.exception("lookup of person %s failed", 3)

    output = buffer.getvalue()
    assert "ValueError: no Slack user for <email:" in output
    assert "lookup of person 3 failed" in output
    assert EMAIL not in output


def test_email_in_json_exception():
    logger, buffer = logger_with(RedactingFilter(True), JsonFormatter())

    try:
        raise KeyError(EMAIL)
    except KeyError:
        logger.error("reply to %s failed", EMAIL, exc_info=True)

    record = json.loads(buffer.getvalue())
    assert EMAIL not in buffer.getvalue()
    assert record["message"].startswith("reply to <email:")
    assert "KeyError" in record["exc_info"]


def test_names_masked():
    logger, buffer = logger_with(RedactingFilter(True, names=["Ola Hansen", "Kari Nordmann"]))

    logger.info("question 9 answered by %s for ola  hansen's item; Olaf Hansen is not known", "Kari Nordmann")

    output = buffer.getvalue()
    assert "Kari Nordmann" not in output
    assert "ola  hansen" not in output
    assert pseudonym("name", "Kari Nordmann") in output
    assert pseudonym("name", "Ola Hansen") in output
    assert "Olaf Hansen" in output


def test_set_names_replaces_list():
    redacting = RedactingFilter(True, names=["Ola Hansen"])

    redacting.set_names(["Kari Nordmann"])

    assert redacting.redact("Ola Hansen and Kari Nordmann") == f"Ola Hansen and {pseudonym('name', 'Kari Nordmann')}"


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO, logging.ERROR])
def test_disabled_passes_through(level):
    logger, buffer = logger_with(RedactingFilter(False, names=["Ola Hansen"]))

    logger.log(level, "Ola Hansen is %s", EMAIL)

    assert f"Ola Hansen is {EMAIL}" in buffer.getvalue()


def test_message_without_personal_data_unchanged():
    logger, buffer = logger_with(RedactingFilter(True, names=["Ola Hansen"]))

    logger.info("posting run started: connector %s, %d vouchers at 100%%", "tripletex", 3)

    assert buffer.getvalue() == "INFO posting run started: connector tripletex, 3 vouchers at 100%\n"


def test_bad_arguments_still_masked():
    logger, buffer = logger_with(RedactingFilter(True))

    logger.info("question %d asked %s", "seven", EMAIL)

    output = buffer.getvalue()
    assert EMAIL not in output
    assert "question %d asked %s" in output
    assert "<email:" in output


def test_names_reach_root_filters():
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    redacting = RedactingFilter(True)
    handler.addFilter(redacting)
    root.addHandler(handler)
    try:
        count = mask_names_in_logs(["Ola Hansen"])
    finally:
        root.removeHandler(handler)

    assert count == 1
    assert redacting.redact("asked Ola Hansen") == f"asked {pseudonym('name', 'Ola Hansen')}"


def pseudonym_in_new_process(environment: dict[str, str]) -> str:
    """Return the pseudonym of EMAIL that a fresh Python process computes with ``environment``."""
    code = f"from bot.privacy.redact import pseudonym; print(pseudonym('email', {EMAIL!r}))"
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent.parent)
    return done.stdout.strip()


def test_pseudonym_is_not_plain_hash(monkeypatch):
    monkeypatch.delenv(LOG_KEY_VARIABLE, raising=False)

    # A plain hash of the master data's addresses would map a pseudonym back to the person.
    assert pseudonym("email", EMAIL) != f"<email:{hashlib.sha256(EMAIL.encode()).hexdigest()[:8]}>"


def test_pseudonym_keyed_by_environment(monkeypatch):
    monkeypatch.setenv(LOG_KEY_VARIABLE, "replicas-share-this-key")
    expected = hmac.new(b"replicas-share-this-key", EMAIL.encode(), hashlib.sha256).hexdigest()[:8]

    assert pseudonym("email", EMAIL) == f"<email:{expected}>"
    assert pseudonym_in_new_process({**os.environ}) == f"<email:{expected}>"


def test_pseudonym_without_key_differs_per_process(monkeypatch):
    monkeypatch.delenv(LOG_KEY_VARIABLE, raising=False)

    assert pseudonym("email", EMAIL) == pseudonym("email", EMAIL)
    assert pseudonym_in_new_process({**os.environ}) != pseudonym("email", EMAIL)
