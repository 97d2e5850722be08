"""The requests that Slack sends to the bot, built in one place and signed as Slack signs them.

SlackPayloads builds interactive payloads, slash command fields and Events API
envelopes from the stand-in's state: a button click refers to a message that the
bot really posted and a view submission to a modal that it really opened. A test
that clicks a button that the bot never sent fails here, before the request reaches the bot.

SlackRequests signs those payloads and POSTs them to the bot's request URL over
HTTP. SocketStandIn.send() delivers the same payloads over Socket Mode.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import secrets
import time
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit

from . import blockkit
from .standin import SlackStandIn

logger = logging.getLogger(__name__)

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

# Requests may only go to servers that the tests start on this machine.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Slack sends no block_suggestion request before the person has typed this many characters,
# unless the external_select sets min_query_length (Block Kit reference, external_select).
DEFAULT_MIN_QUERY_LENGTH = 3


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Return the headers that sign `body` with Slack's request signing scheme (version v0).

    The signature is "v0=" and the hex HMAC-SHA256, keyed with the signing secret,
    of "v0:<timestamp>:<raw body>". `timestamp` is in Unix seconds and defaults to now.
    """
    if timestamp is None:
        timestamp = int(time.time())
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def text_value(value: str | None) -> dict[str, Any]:
    """Return the state of a plain_text_input. Slack sends None for an empty optional input."""
    return {"type": "plain_text_input", "value": value}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": value}


def option_value(value: str, text: str) -> dict[str, Any]:
    """Return the state of a static_select with one option chosen."""
    return {"type": "static_select", "selected_option": _option(value, text)}


def external_option_value(value: str, text: str) -> dict[str, Any]:
    """Return the state of an external_select with one option chosen."""
    return {"type": "external_select", "selected_option": _option(value, text)}


def radio_value(value: str, text: str) -> dict[str, Any]:
    """Return the state of radio_buttons with one option chosen."""
    return {"type": "radio_buttons", "selected_option": _option(value, text)}


def _find_element(blocks: list[dict[str, Any]], action_id: str,
                  block_id: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Return the block_id and the element with `action_id` among blocks (in block `block_id` if given), or None."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for element in candidates:
            if element.get("action_id") == action_id:
                return block.get("block_id", ""), element
    return None


def _options_of(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    return options


class BotResponse(NamedTuple):
    """The bot's response to one request: HTTP status, headers with lower-case names, body text."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class SlackPayloads:
    """Builds the payloads of one workspace from the stand-in's messages, views and people."""

    def __init__(
        self,
        standin: SlackStandIn,
        *,
        team_id: str | None = None,
        api_app_id: str | None = None,
        verification_token: str = "standin-verification-token",
    ) -> None:
        self.standin = standin
        self.team_id = team_id or standin.team_id
        self.api_app_id = api_app_id or standin.app_id
        self.verification_token = verification_token
        self._counter = itertools.count(1)

    # ----- parts that several payloads share

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.standin.user(user_id)
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.standin.team_domain}

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _message(
        self, user_id: str, channel: str | None, message_ts: str | None, message: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any]]:
        """Return the channel and the message that a person acts on, by default the DM's latest message."""
        channel = channel or self.standin.dm_channel(user_id)
        if message is not None:
            return channel, message

        messages = self.standin.messages(channel)
        if message_ts is None and messages:
            return channel, messages[-1]
        for candidate in messages:
            if candidate["ts"] == message_ts:
                return channel, candidate
        raise AssertionError(
            f"no message {message_ts or '(latest)'} in channel {channel} to act on. "
            f"Messages there: {[m['ts'] for m in messages]}. Post one first or pass message=."
        )

    def _view(self, user_id: str, view: dict[str, Any] | str | None) -> dict[str, Any]:
        """Return the view that a person acts in: the given one, the open modal, or the home tab."""
        if isinstance(view, dict):
            return view

        if isinstance(view, str):
            found = self.standin.view(view)
            if found is None:
                raise AssertionError(f"no view {view} in the stand-in")
            return found

        stack = self.standin.modal_stack(user_id)
        found = stack[-1] if stack else self.standin.home_view(user_id)
        if found is None:
            raise AssertionError(f"{user_id} has no open modal or home tab to act in. Open or publish one first.")
        return found

    def _container(
        self,
        user_id: str,
        container_type: str,
        *,
        channel: str | None,
        message_ts: str | None,
        message: dict[str, Any] | None,
        view: dict[str, Any] | str | None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Return the payload fields that locate an interaction, and the blocks it happened in."""
        if container_type == "view":
            found = self._view(user_id, view)
            fields = {"container": {"type": "view", "view_id": found["id"]}, "view": found}
            return fields, found.get("blocks", [])

        if container_type != "message":
            raise ValueError(f"container_type must be 'message' or 'view', not {container_type!r}")

        channel, found = self._message(user_id, channel, message_ts, message)
        ts = message_ts or found["ts"]
        name = f"{user_id}-{next(self._counter)}"
        fields = {
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else channel},
            "message": found,
            "response_url": self.standin.response_url(name, channel=channel, ts=ts, user_id=user_id),
        }
        return fields, found.get("blocks", [])

    # ----- interactive payloads

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        selected_option: str | dict[str, Any] | None = None,
        block_id: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
        message: dict[str, Any] | None = None,
        container_type: str = "message",
        view: dict[str, Any] | str | None = None,
        state_values: dict[str, Any] | None = None,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        """Build the block_actions payload of a person using the element `action_id`.

        The element is looked up in the message (by default the latest in the person's DM)
        or, for container_type "view", in the view (by default the open modal, else the home
        tab). Its block_id and type come from there, and a button's value unless `value` is
        given. `selected_option` is an option dict or the value of one of the element's options.
        Raises AssertionError when the element is not there.
        """
        location, blocks = self._container(
            user_id, container_type, channel=channel, message_ts=message_ts, message=message, view=view
        )
        found = _find_element(blocks, action_id, block_id)
        if found is None:
            raise AssertionError(f"no element with action_id {action_id!r} in the blocks acted on: {blocks}")
        element_block_id, element = found

        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or element_block_id,
            "type": element["type"],
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] == "button":
            action["text"] = element.get("text")
            if value is not None or "value" in element:
                action["value"] = value if value is not None else element["value"]
        elif selected_option is not None:
            action["selected_option"] = self._selected_option(element, selected_option)
        elif value is not None:
            action["value"] = value

        payload = self._base("block_actions", user_id)
        payload.update(location)
        payload["trigger_id"] = trigger_id or self.standin.issue_trigger_id(user_id)
        payload["actions"] = [action]
        if container_type == "message":
            payload["state"] = {"values": state_values or {}}
        elif state_values is not None:
            payload["view"] = {**payload["view"], "state": {"values": state_values}}
        return payload

    @staticmethod
    def _selected_option(element: Mapping[str, Any], selected: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(selected, dict):
            return selected
        for option in _options_of(element):
            if option.get("value") == selected:
                return option
        raise AssertionError(
            f"element {element.get('action_id')!r} has no option with value {selected!r}. "
            "Pass the option dict for external selects."
        )

    def view_submission(
        self,
        user_id: str,
        callback_id: str,
        *,
        values: dict[str, dict[str, Any]],
        private_metadata: str | None = None,
        view_id: str | None = None,
        view: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build the view_submission payload of a person submitting a modal.

        `values` is view.state.values in Slack's shape, {block_id: {action_id: state}}, built
        with text_value(), option_value() and the like. The view is `view`, the stored view
        `view_id` or the person's open modal. Raises AssertionError when its callback_id differs
        or when `values` names an input that the view does not have.
        """
        if view is None and view_id is not None:
            view = self._view(user_id, view_id)
        elif view is None:
            stack = self.standin.modal_stack(user_id)
            if not stack:
                raise AssertionError(f"{user_id} has no open modal to submit. Open one first or pass view=.")
            view = stack[-1]

        if view.get("callback_id") != callback_id:
            raise AssertionError(
                f"view {view.get('id')} has callback_id {view.get('callback_id')!r}, not {callback_id!r}"
            )

        inputs = {
            (block.get("block_id"), block["element"].get("action_id"))
            for block in view.get("blocks", [])
            if block.get("type") == "input" and isinstance(block.get("element"), dict)
        }
        for block_id, actions in values.items():
            for action_id in actions:
                if (block_id, action_id) not in inputs:
                    raise AssertionError(
                        f"view {view.get('id')} has no input {block_id}/{action_id}. Inputs: {sorted(inputs, key=str)}"
                    )

        submitted = {**view, "state": {"values": values}}
        if private_metadata is not None:
            submitted["private_metadata"] = private_metadata

        payload = self._base("view_submission", user_id)
        payload["trigger_id"] = self.standin.issue_trigger_id(user_id)
        payload["view"] = submitted
        payload["response_urls"] = []
        return payload

    def block_suggestion(
        self,
        user_id: str,
        action_id: str,
        query: str,
        *,
        block_id: str | None = None,
        container_type: str = "view",
        channel: str | None = None,
        message_ts: str | None = None,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | str | None = None,
    ) -> dict[str, Any]:
        """Build the block_suggestion payload that an external_select sends while a person types `query`.

        Raises AssertionError when the element is no external select or when the query is
        shorter than its min_query_length, because Slack sends no request then.
        """
        location, blocks = self._container(
            user_id, container_type, channel=channel, message_ts=message_ts, message=message, view=view
        )
        found = _find_element(blocks, action_id, block_id)
        if found is None:
            raise AssertionError(f"no element with action_id {action_id!r} in the blocks: {blocks}")
        element_block_id, element = found

        if element["type"] not in blockkit.EXTERNAL_SELECT_TYPES:
            raise AssertionError(f"element {action_id!r} is a {element['type']}, which loads no options")
        min_query_length = element.get("min_query_length", DEFAULT_MIN_QUERY_LENGTH)
        if len(query) < min_query_length:
            raise AssertionError(
                f"Slack sends no options request for {query!r} because min_query_length is {min_query_length}"
            )

        payload = self._base("block_suggestion", user_id)
        payload.update(location)
        payload.pop("response_url", None)
        payload.update(action_id=action_id, block_id=block_id or element_block_id, value=query)
        return payload

    # ----- slash commands and events

    def command(
        self,
        user_id: str,
        command: str = "/allocbot",
        text: str = "",
        *,
        channel: str | None = None,
        channel_name: str | None = None,
    ) -> dict[str, str]:
        """Build the form fields of a slash command, by default typed in the person's DM with the bot."""
        user = self.standin.user(user_id)
        channel = channel or self.standin.dm_channel(user_id)
        name = f"{user_id}-{next(self._counter)}"
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.standin.team_domain,
            "channel_id": channel,
            "channel_name": channel_name or ("directmessage" if channel.startswith("D") else channel),
            "user_id": user_id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.standin.response_url(name, channel=channel, user_id=user_id),
            "trigger_id": self.standin.issue_trigger_id(user_id),
        }

    def event_callback(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """Wrap an event in the Events API envelope that Slack sends for the bot's installation."""
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.standin.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def app_home_opened(self, user_id: str) -> dict[str, Any]:
        """Build the app_home_opened event, with the home view when one was published for the person."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.standin.dm_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.standin.home_view(user_id)
        if home is not None:
            event["view"] = home
        return event

    def url_verification(self, challenge: str) -> dict[str, Any]:
        return {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}


class SlackRequests:
    """Signs payloads and POSTs them to the bot's request URL, as Slack does over HTTP.

    Every method takes `timestamp` (Unix seconds, to sign with an old time) and `secret`
    (to sign with a wrong secret). `last_request` keeps the body and headers last sent,
    so that post_raw() can replay them byte for byte.
    """

    def __init__(self, url: str, signing_secret: str, team_id: str, api_app_id: str, standin: SlackStandIn) -> None:
        host = urlsplit(url).hostname
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"request URL {url} is not on loopback; the tests only talk to servers they start")
        self.url = url
        self.signing_secret = signing_secret
        self.standin = standin
        self.payloads = SlackPayloads(standin, team_id=team_id, api_app_id=api_app_id)
        self.last_request: tuple[bytes, dict[str, str]] | None = None
        # An empty ProxyHandler keeps proxy variables in the environment from routing the request elsewhere.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post_raw(self, body: bytes, headers: Mapping[str, str]) -> BotResponse:
        """POST exactly these bytes and headers to the bot, for example to replay a request."""
        self.last_request = (body, dict(headers))
        request = urllib.request.Request(self.url, data=body, headers=dict(headers), method="POST")
        try:
            with self._opener.open(request, timeout=10) as response:
                return BotResponse(response.status, _lower(response.headers), response.read().decode("utf-8"))
        except HTTPError as error:
            logger.debug("bot responded with HTTP %s", error.code)
            return BotResponse(error.code, _lower(error.headers), error.read().decode("utf-8"))

    def _send(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None,
        secret: str | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> BotResponse:
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        headers.update(sign(body, secret if secret is not None else self.signing_secret, timestamp))
        headers.update(extra_headers or {})
        return self.post_raw(body, headers)

    def send_interactive(
        self, payload: dict[str, Any], timestamp: int | None = None, secret: str | None = None
    ) -> BotResponse:
        """Send an interactive payload, for example one built by `payloads`, as a form with one field payload=<JSON>."""
        body = urlencode({"payload": json.dumps(payload)}).encode("utf-8")
        return self._send(body, "application/x-www-form-urlencoded", timestamp=timestamp, secret=secret)

    def _send_json(
        self,
        envelope: dict[str, Any],
        timestamp: int | None,
        secret: str | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> BotResponse:
        body = json.dumps(envelope).encode("utf-8")
        return self._send(
            body, "application/json", timestamp=timestamp, secret=secret, extra_headers=extra_headers
        )

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        **fields: Any,
    ) -> BotResponse:
        """Send a block_actions payload. `fields` are the keyword arguments of SlackPayloads.block_action."""
        payload = self.payloads.block_action(user_id, action_id, **fields)
        return self.send_interactive(payload, timestamp, secret)

    def view_submission(
        self,
        user_id: str,
        callback_id: str,
        *,
        values: dict[str, dict[str, Any]],
        apply_response: bool = True,
        timestamp: int | None = None,
        secret: str | None = None,
        **fields: Any,
    ) -> BotResponse:
        """Send a view_submission payload. `fields` are the keyword arguments of SlackPayloads.view_submission.

        With `apply_response`, an HTTP 200 response changes the stand-in's modal stack as Slack
        would: an empty body closes the view, response_action errors, update, push and clear
        act as in Slack. Raises AssertionError when the answer is no valid response.
        """
        payload = self.payloads.view_submission(user_id, callback_id, values=values, **fields)
        response = self.send_interactive(payload, timestamp, secret)

        if apply_response and response.status == 200:
            try:
                answer = response.json() if response.body.strip() else None
            except json.JSONDecodeError:
                raise AssertionError(f"view_submission response is no JSON: {response.body!r}") from None
            self.standin.apply_view_submission_response(payload["view"]["id"], answer)
        return response

    def options(
        self,
        user_id: str,
        action_id: str,
        query: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Send a block_suggestion payload and return the options that the bot responds with.

        `fields` are the keyword arguments of SlackPayloads.block_suggestion. Raises
        AssertionError unless the bot responds with HTTP 200 and options that Slack can show.
        """
        payload = self.payloads.block_suggestion(user_id, action_id, query, **fields)
        response = self.send_interactive(payload, timestamp, secret)
        if response.status != 200:
            raise AssertionError(f"bot responded to the options request with HTTP {response.status}: {response.body!r}")

        try:
            options = response.json()
        except json.JSONDecodeError:
            raise AssertionError(f"options response is no JSON: {response.body!r}") from None
        problems = blockkit.validate_options_response(options)
        if problems:
            raise AssertionError(f"Slack would show no options for this response: {problems}")
        return options

    def command(
        self,
        user_id: str,
        command: str = "/allocbot",
        text: str = "",
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        **fields: Any,
    ) -> BotResponse:
        """Send a slash command as a form. `fields` are the keyword arguments of SlackPayloads.command."""
        form = self.payloads.command(user_id, command, text, **fields)
        body = urlencode(form).encode("utf-8")
        return self._send(body, "application/x-www-form-urlencoded", timestamp=timestamp, secret=secret)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> BotResponse:
        """Send an event in its event_callback envelope.

        `retry_num` marks a redelivery as Slack does after the bot failed to respond within
        3 seconds, with the headers X-Slack-Retry-Num and X-Slack-Retry-Reason: http_timeout.
        Pass the first delivery's `event_id` to redeliver the same event.
        """
        envelope = self.payloads.event_callback(event, event_id=event_id)
        extra_headers = None
        if retry_num is not None:
            extra_headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self._send_json(envelope, timestamp, secret, extra_headers)

    def app_home_opened(
        self, user_id: str, *, timestamp: int | None = None, secret: str | None = None
    ) -> BotResponse:
        return self.event(self.payloads.app_home_opened(user_id), timestamp=timestamp, secret=secret)

    def url_verification(
        self, challenge: str | None = None, *, timestamp: int | None = None, secret: str | None = None
    ) -> BotResponse:
        """Send the challenge that Slack sends when the request URL is saved. The bot must return it."""
        envelope = self.payloads.url_verification(challenge or secrets.token_urlsafe(24))
        return self._send_json(envelope, timestamp, secret)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
