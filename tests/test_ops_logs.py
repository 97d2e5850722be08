"""Log lines as text or JSON on stderr, with email addresses masked unless redaction is off."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.ops.logs import configure_logging
from bot.privacy.redact import mask_names_in_logs
from bot.privacy.redact import pseudonym

ADDRESS = "kari.nordmann@example.no"


@contextmanager
def bare_root() -> Iterator[logging.Logger]:
    """The root logger without pytest's capture handlers, restored after the block.

    A fixture cannot do this, because pytest adds the handlers after the fixtures are set up.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_text_line(capsys):
    with bare_root():
        configure_logging(logging.INFO, "text", redact=False)

        logging.getLogger("bot.mail").info("message %d handled", 42)

        line = capsys.readouterr().err
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO bot\.mail: message 42 handled\n", line)


def test_json_line(capsys):
    with bare_root():
        configure_logging(logging.INFO, "json", redact=False, replica="replica-1")

        logging.getLogger("bot.posting").warning("voucher %s rejected", "ABK7QM0000001", extra={"voucher_id": 7})

        [record] = json_lines(capsys.readouterr().err)
        assert record["level"] == "WARNING"
        assert record["logger"] == "bot.posting"
        assert record["message"] == "voucher ABK7QM0000001 rejected"
        assert record["replica"] == "replica-1"
        assert record["voucher_id"] == 7
        timestamp = datetime.fromisoformat(record["timestamp"])
        assert timestamp.utcoffset() == timedelta(0)
        assert "exc_info" not in record


def test_json_without_replica(capsys):
    with bare_root():
        configure_logging(logging.INFO, "json", redact=False)

        logging.getLogger("bot").info("started")

        [record] = json_lines(capsys.readouterr().err)
        assert "replica" not in record


def test_json_exception(capsys):
    with bare_root():
        configure_logging(logging.INFO, "json", redact=True)

        try:
            raise ValueError(f"no such sender {ADDRESS}")
        except ValueError:
            logging.getLogger("bot.mail").exception("message %d failed", 9)

        [record] = json_lines(capsys.readouterr().err)
        assert record["level"] == "ERROR"
        assert record["message"] == "message 9 failed"
        assert "Traceback (most recent call last)" in record["exc_info"]
        assert "ValueError: no such sender " + pseudonym("email", ADDRESS) in record["exc_info"]
        assert ADDRESS not in json.dumps(record)


def test_redaction_on(capsys):
    with bare_root():
        configure_logging(logging.INFO, "text", redact=True)

        logging.getLogger("bot.slack").info("question sent to %s", ADDRESS)

        output = capsys.readouterr().err
        assert ADDRESS not in output
        assert f"question sent to {pseudonym('email', ADDRESS)}" in output


def test_redaction_off(capsys):
    with bare_root():
        configure_logging(logging.INFO, "json", redact=False)

        logging.getLogger("bot.slack").info("question sent to %s", ADDRESS)

        [record] = json_lines(capsys.readouterr().err)
        assert record["message"] == f"question sent to {ADDRESS}"


def test_second_call_replaces_handler(capsys):
    with bare_root() as root:
        configure_logging(logging.INFO, "text", redact=False)
        configure_logging(logging.INFO, "json", redact=False)

        logging.getLogger("bot").info("once")

        assert len(root.handlers) == 1
        assert [record["message"] for record in json_lines(capsys.readouterr().err)] == ["once"]


def test_level_filters(capsys):
    with bare_root():
        configure_logging(logging.ERROR, "text", redact=False)

        logging.getLogger("bot").info("hidden")
        logging.getLogger("bot").error("shown")

        output = capsys.readouterr().err
        assert "hidden" not in output
        assert "shown" in output


def test_foreign_handler_left_alone():
    with bare_root() as root:
        foreign = logging.NullHandler()
        root.addHandler(foreign)
        root.setLevel(logging.WARNING)

        configure_logging(logging.DEBUG, "json", redact=True)

        assert root.handlers == [foreign]
        assert root.level == logging.WARNING


def test_invalid_format():
    with bare_root():
        with pytest.raises(ValueError, match="invalid log format 'xml'"):
            configure_logging(logging.INFO, "xml", redact=True)


def test_cli_logs_configured_format(capsys, tmp_path: Path):
    with bare_root():
        config = tmp_path / "config.toml"
        config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/allocbot.db"\n'
                          '[service]\nlog_format = "json"\nreplica = "replica-2"\n', encoding="utf-8")

        status = cli.main(["--config", str(config), "--verbose", "model", "list"])

        assert status == 0
        records = json_lines(capsys.readouterr().err)
        assert records[0]["message"] == "allocbot model started"
        assert records[-1]["message"] == "allocbot model finished with exit status 0"
        assert {record["replica"] for record in records} == {"replica-2"}


def test_cli_config_error_in_text(capsys, tmp_path: Path):
    with bare_root():
        config = tmp_path / "config.toml"
        config.write_text('[service]\nlog_format = "xml"\n', encoding="utf-8")

        status = cli.main(["--config", str(config), "--verbose", "model", "list"])

        assert status == 2
        error = capsys.readouterr().err
        assert "service.log_format" in error
        assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} DEBUG bot: configuration error$", error, re.MULTILINE)

def test_person_names_masked(capsys):
    with bare_root():
        configure_logging(logging.INFO, "json", redact=True)
        mask_names_in_logs(["Kari Nordmann", "Ola Hansen"])

        logging.getLogger("bot.slack").info("Kari Nordmann answered item %d", 12)

        [record] = json_lines(capsys.readouterr().err)
    assert record["message"] == f"{pseudonym('name', 'Kari Nordmann')} answered item 12"


def test_person_names_kept_without_redaction(capsys):
    with bare_root():
        configure_logging(logging.INFO, "text", redact=False)
        mask_names_in_logs(["Kari Nordmann"])

        logging.getLogger("bot.slack").info("Kari Nordmann answered item %d", 12)

        output = capsys.readouterr().err
    assert "Kari Nordmann answered item 12" in output
