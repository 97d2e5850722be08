"""Invalid [slack] settings are reported in the user's language, naming the key and what is expected."""

from __future__ import annotations

import pytest

from bot.cli import main

URL = "https://allocbot.example.no/slack/events"


@pytest.mark.parametrize(("setting", "key", "expected"), [
    ('controller_channel = "#regnskap"', "slack.controller_channel", "forventet en kanal-ID"),
    ('command = "/Allocbot"', "slack.command", "forventet en skråstrekkommando"),
    ('work_start = "8"', "slack.work_start", "forventet et klokkeslett som TT:MM"),
    ('work_start = "16:00"\nwork_end = "08:00"', "slack.work_end", "kommer etter slack.work_start"),
    ('app_name = "Allocbot for Nordlys Teknikk AS regnskap"', "slack.app_name", "høyst 35 tegn"),
    ('timezone = "Oslo"', "slack.timezone", "IANA-tidssonenavn"),
])
def test_invalid_slack_setting(tmp_path, capsys, setting, key, expected):
    config = tmp_path / "config.toml"
    config.write_text(f"[slack]\n{setting}\n", encoding="utf-8")

    status = main(["--config", str(config), "slack", "manifest", "--request-url", URL])

    error = capsys.readouterr().err
    assert status == 2
    assert f"nøkkel {key}:" in error
    assert expected in error
