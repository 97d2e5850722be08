"""The slack-bolt app: listeners registered by id, and a guard against replayed requests.

bolt checks each request's signature and rejects one whose timestamp is
more than five minutes old (``RequestVerification``). A replay inside
those five minutes, or a retried delivery of an event, passes that check.
So ``_once`` claims each request in the store, by the SHA-256 of its body
or by the event id, and acknowledges a second copy without acting on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.handlers.listeners import Listeners
from bot.handlers.overview_listeners import OverviewListeners
from bot.store.database import Store
from bot.store.questions import claim_request

log = logging.getLogger(__name__)


def build_app(*, client: WebClient, signing_secret: str | None, store: Store, listeners: Listeners,
              overview: OverviewListeners, command: str, socket_mode: bool = False) -> App:
    """Return the bolt app with every listener; ``signing_secret`` may be None only in Socket Mode."""
    app = App(
        client=client,
        logger=_bolt_logger(),
        signing_secret=signing_secret or "",
        # Socket Mode requests come over the app's own WebSocket, which Slack does not sign.
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )
    app.use(_once(store))

    app.action(re.compile(r"^choose:\d$"))(listeners.choose)
    app.action("other")(listeners.other)
    app.action("private")(listeners.private)
    app.action("approve")(listeners.approve)
    app.action("split")(listeners.open_split)
    app.action("change")(listeners.open_change)
    app.action("reject")(listeners.open_reject)
    app.action(re.compile(r"^(add_line|remove_line)$"))(listeners.change_lines)
    # Radio buttons and selects inside the modals send actions too; they need only an acknowledgement.
    app.action("value")(lambda ack: ack())

    app.view("split")(listeners.submit_split)
    app.view("change")(listeners.submit_change)
    app.view("reject")(listeners.submit_reject)

    app.options("other")(overview.options)
    app.options("value")(overview.options)
    app.command(command)(overview.command)
    app.event("app_home_opened")(overview.home_opened)
    return app


def _once(store: Store) -> Callable:
    """Return a middleware that lets each request through once; a copy is acknowledged and dropped."""

    def middleware(request: BoltRequest, next: Callable) -> BoltResponse | None:  # noqa: A002 - bolt's name
        key = _request_key(request)
        if key is None:
            return next()
        with store.session() as session:
            first = claim_request(session, key)
        if first:
            return next()
        log.warning("ignoring a repeated Slack request %s", key)
        # An empty 200 response tells Slack the request arrived, which stops it from retrying.
        return BoltResponse(status=200, body="")

    return middleware


def _request_key(request: BoltRequest) -> str | None:
    """Return the key under which a request counts as handled, or None for requests that may repeat."""
    body = request.body
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("type") in ("block_suggestion", "url_verification"):
        return None
    # Over Socket Mode bolt gets the payload already parsed and leaves raw_body empty.
    raw = request.raw_body or json.dumps(body, sort_keys=True)
    return "body:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()



def _bolt_logger() -> logging.Logger:
    """Return the logger bolt writes to, without its warning that the client's token wins.

    bolt reads SLACK_BOT_TOKEN from the environment by itself and warns on
    every start that the client passed in takes precedence; both are the
    same token here. bolt's INFO lines contain whole request bodies, with
    response URLs, so the logger shows warnings and errors only, unless
    the root logger is set to DEBUG.
    """
    logger = logging.getLogger("bot.handlers.bolt")
    if not any(isinstance(existing, _TokenWarningFilter) for existing in logger.filters):
        logger.addFilter(_TokenWarningFilter())
    if logging.getLogger().level != logging.DEBUG:
        logger.setLevel(logging.WARNING)
    return logger


class _TokenWarningFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")
