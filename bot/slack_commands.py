"""The ``allocbot slack`` commands: print the Slack app manifest to create the app from."""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

from bot.config import Settings
from bot.handlers.manifest import build_manifest
from bot.i18n import Translator


def slack_manifest(settings: Settings, *, request_url: str | None = None) -> int:
    """Print the manifest as JSON, which Slack's "Create New App → From an app manifest" accepts."""
    translator = Translator(settings.language)
    manifest = build_manifest(settings, request_url=request_url)

    url = manifest["settings"]["event_subscriptions"].get("request_url")
    if url is not None:
        _warn_on_other_path(url, settings.slack.path, translator)

    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


def _warn_on_other_path(url: str, listen_path: str, translator: Translator) -> None:
    # The reverse proxy usually passes the path on unchanged, so a request URL
    # such as https://allocbot.example.no/ without slack.path is a likely mistake.
    url_path = urlsplit(url).path or "/"
    if url_path == listen_path:
        return
    print("allocbot: " + translator("warning: the request URL's path {url_path} differs from slack.path {path}, "
                                    "where the bot listens, so the reverse proxy must rewrite the path",
                                    url_path=url_path, path=listen_path), file=sys.stderr)
