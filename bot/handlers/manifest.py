"""The Slack app manifest that an admin creates the allocbot Slack app from.

The fields and their length limits follow version 1 of Slack's manifest
schema (schemas/manifest.schema.1.0.0.json in github.com/slackapi/manifest-schema).
The texts that people see in Slack (the app's descriptions and the slash
command's description) are in the configured language, because they are
shown to the workspace's members, who read the bot's messages in that
language too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import ConfigError, InputError, UsageError
from bot.i18n import N_, Translator

# The bot token's scopes, each with the Web API methods or feature that need it.
BOT_SCOPES = (
    "channels:history",  # conversations.history on a public controller channel, for the same reason as im:history
    "chat:write",  # chat.postMessage and chat.update for questions, approvals and notices
    "commands",  # the slash command
    "files:write",  # files.getUploadURLExternal and files.completeUploadExternal for the monthly report's chart
    "groups:history",  # conversations.history on a private controller channel
    "im:history",  # conversations.history on the bot's own DMs, to find a message sent just before a crash
    "im:write",  # conversations.open, to start a DM with an employee or manager
    "users:read",  # users.info
    "users:read.email",  # users.lookupByEmail, and the email field in users.info
)
# chat:write.public is left out because it reaches public channels only, and the controller
# channel is often private, so the admin invites the bot to that channel instead.
BOT_EVENTS = ("app_home_opened",)

REQUEST_URL_KEY = "slack.request_url"
REQUEST_URL_OPTION = "--request-url"

DESCRIPTION = N_("Allocates company card purchases to cost centers, projects, accounts and VAT codes, "
                 "and asks you when it is unsure.")
LONG_DESCRIPTION = N_(
    "{name} books company card purchases, such as Amazon Business orders, to cost centers, projects, "
    "ledger accounts and VAT codes. When it is unsure about an item, it asks the person who ordered it "
    "in a direct message with its best suggestions as buttons. Expensive and tax-sensitive items go to "
    "a manager for approval. Type {command} status to see what is waiting for you, or open the app's "
    "Home tab.")
COMMAND_DESCRIPTION = N_("Show the questions and approval requests waiting for you")
COMMAND_USAGE_HINT = "status"


def build_manifest(settings: Settings, *, request_url: str | None = None) -> dict[str, Any]:
    """Build the manifest for ``settings.slack``, as JSON-ready data.

    In HTTP mode ``request_url`` (from ``--request-url``) overrides
    ``slack.request_url``, and Slack sends the slash command, the
    interactions, the external-select option requests and the events to that
    one URL. In Socket Mode the manifest contains no URL at all.

    Raises ConfigError or UsageError (exit status 2) for a missing or
    non-HTTPS request URL in HTTP mode, and UsageError for ``--request-url``
    in Socket Mode.
    """
    slack = settings.slack
    translator = Translator(settings.language)
    url = _request_url(settings, request_url)

    command: dict[str, Any] = {
        "command": slack.command,
        "description": translator(COMMAND_DESCRIPTION),
        "usage_hint": COMMAND_USAGE_HINT,
        "should_escape": False,
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if url is not None:
        command["url"] = url
        interactivity["request_url"] = url
        # Slack requests the options of an external select from this URL while the user types.
        interactivity["message_menu_options_url"] = url
        events["request_url"] = url

    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": slack.app_name,
            "description": translator(DESCRIPTION),
            "long_description": translator(LONG_DESCRIPTION, name=slack.app_name, command=slack.command),
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                # The bot reads no typed messages, so people answer with the buttons only.
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": slack.app_name, "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": slack.mode == "socket",
            "token_rotation_enabled": False,
        },
    }


def _request_url(settings: Settings, override: str | None = None) -> str | None:
    """Return ``override`` or else ``slack.request_url`` after checking it, or None in Socket Mode."""
    if settings.slack.mode == "socket":
        if override is not None:
            raise UsageError(REQUEST_URL_OPTION, N_("Socket Mode uses no request URL"),
                             fix=N_("leave out --request-url, or set slack.mode = \"http\""))
        return None

    if override is not None:
        _check_https(override, UsageError, REQUEST_URL_OPTION)
        return override

    url = settings.slack.request_url
    # The file name, or the marked label for a run without a settings file.
    source = str(settings.source) if settings.source else N_("built-in defaults")
    if not url:
        raise ConfigError(source, N_("no request URL for HTTP mode"), location=N_("key {key}"),
                          fix=N_("set slack.request_url or pass --request-url"), key=REQUEST_URL_KEY)
    _check_https(url, ConfigError, source, location=N_("key {key}"), key=REQUEST_URL_KEY)
    return url


def _check_https(url: str, error: type[InputError], source: str, **where: str) -> None:
    # Slack sends requests only to HTTPS addresses, so a plain http:// URL
    # would leave the app unreachable, even for a bot on localhost.
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise error(source, N_("invalid request URL {value}: expected an https:// address with a host name"),
                    fix=N_("use the public HTTPS address of the TLS reverse proxy in front of the bot"),
                    value=url, **where)
