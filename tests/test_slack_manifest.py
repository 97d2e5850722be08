import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import PolicySettings, Settings, SlackSettings, load_settings
from bot.errors import ConfigError, UsageError
from bot.handlers.manifest import build_manifest

URL = "https://allocbot.example.no/slack/events"
EXAMPLE_CONFIG = Path(__file__).parent.parent / "config.example.toml"


@pytest.fixture(autouse=True)
def no_config_file(tmp_path, monkeypatch):
    """Run in an empty folder, so a command without --config uses the built-in defaults."""
    monkeypatch.chdir(tmp_path)


def settings(language: str = "en", **slack: Any) -> Settings:
    return Settings(language=language, slack=SlackSettings(**slack))


def url_fields(data: Any) -> Iterator[tuple[str, str]]:
    """Yield every key that names a URL, with its value, anywhere in the manifest."""
    if isinstance(data, dict):
        for key, value in data.items():
            if "url" in key:
                yield key, value
            yield from url_fields(value)
    elif isinstance(data, list):
        for value in data:
            yield from url_fields(value)


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_http_mode_urls():
    manifest = build_manifest(settings(request_url=URL))

    assert manifest["features"]["slash_commands"][0]["url"] == URL
    assert manifest["settings"]["interactivity"]["request_url"] == URL
    assert manifest["settings"]["interactivity"]["message_menu_options_url"] == URL
    assert manifest["settings"]["event_subscriptions"]["request_url"] == URL
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_request_url_option_overrides_config():
    override = "https://bot.example.no/slack/events"

    manifest = build_manifest(settings(request_url=URL), request_url=override)

    assert set(value for _, value in url_fields(manifest)) == {override}


def test_socket_mode_has_no_urls():
    manifest = build_manifest(settings(mode="socket", request_url=URL))

    assert list(url_fields(manifest)) == []
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]


def test_socket_mode_rejects_request_url_option():
    with pytest.raises(UsageError) as raised:
        build_manifest(settings(mode="socket"), request_url=URL)

    assert raised.value.source == "--request-url"


def test_scopes():
    manifest = build_manifest(settings(request_url=URL))

    scopes = manifest["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == ["channels:history", "chat:write", "commands", "files:write", "groups:history",
                                     "im:history", "im:write", "users:read", "users:read.email"]
    assert set(scopes) == {"bot"}


def test_command_and_name_from_settings():
    manifest = build_manifest(settings(request_url=URL, command="/kort", app_name="Kortbot"))

    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/kort"
    assert command["usage_hint"] == "status"
    assert manifest["display_information"]["name"] == "Kortbot"
    assert manifest["features"]["bot_user"]["display_name"] == "Kortbot"
    assert "/kort status" in manifest["display_information"]["long_description"]


def test_app_home_and_fixed_settings():
    manifest = build_manifest(settings(request_url=URL))

    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }
    assert manifest["features"]["bot_user"]["always_online"] is True
    assert manifest["features"]["slash_commands"][0]["should_escape"] is False
    assert manifest["settings"]["org_deploy_enabled"] is False
    assert manifest["settings"]["token_rotation_enabled"] is False


def test_texts_in_configured_language():
    english = build_manifest(settings("en", request_url=URL))
    norwegian = build_manifest(settings("nb", request_url=URL))

    assert english["display_information"]["description"].startswith("Allocates company card purchases")
    assert norwegian["display_information"]["description"].startswith("Fordeler kjøp med firmakort")
    assert norwegian["features"]["slash_commands"][0]["description"].startswith("Vis spørsmålene")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_texts_within_slack_limits(language):
    """Limits from Slack's manifest schema: description 1-140 characters, long_description 175-4000."""
    manifest = build_manifest(settings(language, request_url=URL, app_name="a"))

    display = manifest["display_information"]
    assert 1 <= len(display["description"]) <= 140
    assert 175 <= len(display["long_description"]) <= 4000
    assert len(manifest["features"]["slash_commands"][0]["description"]) <= 2000


def test_http_mode_without_url_rejected():
    with pytest.raises(ConfigError) as raised:
        build_manifest(settings())

    assert raised.value.params["key"] == "slack.request_url"


@pytest.mark.parametrize("url", ["http://allocbot.example.no/slack/events", "http://localhost:3000/slack/events",
                                 "https:///slack/events", "allocbot.example.no/slack/events"])
def test_non_https_option_rejected(url):
    with pytest.raises(UsageError) as raised:
        build_manifest(settings(), request_url=url)

    assert raised.value.params["value"] == url


def test_cli_prints_json(tmp_path, capsys):
    path = write_config(tmp_path, f'language = "nb"\n\n[slack]\nrequest_url = "{URL}"\n')

    status = main(["--config", str(path), "slack", "manifest"])

    output = capsys.readouterr()
    assert status == 0
    assert json.loads(output.out)["settings"]["event_subscriptions"]["request_url"] == URL
    assert "Fordeler kjøp" in output.out
    assert output.err == ""


def test_cli_skips_pipeline_import(capsys, monkeypatch):
    """The manifest needs neither the pipeline nor spaCy, which take seconds to import."""
    monkeypatch.delitem(sys.modules, "bot.commands", raising=False)

    status = main(["slack", "manifest", "--request-url", URL])

    assert status == 0
    assert "bot.commands" not in sys.modules


def test_cli_missing_url_exits_2(tmp_path, capsys):
    path = write_config(tmp_path, 'language = "en"\n\n[slack]\nmode = "http"\n')

    status = main(["--config", str(path), "slack", "manifest"])

    output = capsys.readouterr()
    assert status == 2
    assert output.out == ""
    assert str(path) in output.err
    assert "key slack.request_url" in output.err
    assert "set slack.request_url or pass --request-url" in output.err


def test_cli_http_url_in_config_exits_2(tmp_path, capsys):
    path = write_config(tmp_path, '[slack]\nrequest_url = "http://allocbot.example.no/slack/events"\n')

    status = main(["--config", str(path), "slack", "manifest"])

    error = capsys.readouterr().err
    assert status == 2
    assert "nøkkel slack.request_url: ugyldig forespørsels-URL" in error


def test_cli_http_url_option_exits_2(capsys):
    status = main(["slack", "manifest", "--request-url", "http://allocbot.example.no/slack/events"])

    error = capsys.readouterr().err
    assert status == 2
    assert "--request-url: ugyldig forespørsels-URL http://allocbot.example.no/slack/events" in error


def test_cli_warns_on_other_path(capsys):
    status = main(["slack", "manifest", "--request-url", "https://allocbot.example.no/"])

    output = capsys.readouterr()
    assert status == 0
    assert "advarsel: stien / i forespørsels-URL-en er ikke slack.path /slack/events" in output.err
    assert json.loads(output.out)["settings"]["interactivity"]["request_url"] == "https://allocbot.example.no/"


def test_example_config_lists_slack_keys():
    """config.example.toml shows every [slack] and [policy] key with its built-in default."""
    raw = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    example = load_settings(EXAMPLE_CONFIG)

    assert sorted(raw["slack"]) == sorted(SlackSettings.model_fields)
    assert sorted(raw["policy"]) == sorted(PolicySettings.model_fields)
    assert example.slack == SlackSettings()
    assert example.policy == PolicySettings()
