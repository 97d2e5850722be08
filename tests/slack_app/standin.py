"""A local stand-in for Slack's Web API that tests start, drive and inspect.

SlackStandIn is a real HTTP server on 127.0.0.1 with a port that the OS chooses.
slack_sdk's WebClient talks to it through `base_url=standin.api_url`, and bolt's
respond() posts to the URLs from `response_url()`. It responds as Slack does: HTTP
200 with {"ok": false, "error": "<Slack's error name>"} for API errors, HTTP 429
with Retry-After when rate limited. It stores the messages, views and ephemeral
messages that the bot sends, and the files it uploads through files.getUploadURLExternal
and files.completeUploadExternal, and records every call for the test to wait for.

Where Slack's behaviour goes beyond what allocbot needs, the stand-in responds with
{"ok": false, "error": "standin_unsupported"} and a reason in
response_metadata.messages, so that such a call fails loudly instead of passing.
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from . import blockkit

if TYPE_CHECKING:
    from .socket_standin import SocketStandIn

logger = logging.getLogger(__name__)

# NOTE: Slack documents both msg_too_long and truncation of text above 40 000 characters.
# The stand-in rejects such text with msg_too_long; which one Slack applies is not verified.
MAX_MESSAGE_TEXT = 40_000

# Slack's trigger_id is valid for 3 seconds after the interaction and can be exchanged once.
TRIGGER_TTL_SECONDS = 3.0

# Slack keeps at most 3 views in the stack of one modal.
MAX_MODAL_STACK = 3

UNSUPPORTED = "standin_unsupported"


@dataclass(frozen=True)
class SlackUser:
    """A person in the stand-in's workspace. `id` starts with U and `tz` is an IANA zone name."""

    id: str
    email: str
    name: str
    real_name: str = ""
    tz: str = "Europe/Oslo"
    locale: str = "nb-NO"
    deleted: bool = False
    is_bot: bool = False


@dataclass(frozen=True)
class Call:
    """One request that reached the stand-in.

    `params` contains the decoded request fields without the token, `at` is the arrival
    time on time.monotonic() in seconds, `status` is the HTTP status that was sent
    (0 for a dropped connection) and `error` is Slack's error name or None on success.
    Posts to response URLs are recorded with method "response_url" and their URL in
    params["response_url"]. Uploads to the URLs of files.getUploadURLExternal are
    recorded with method "upload" and params file_id and length.
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None


class _ApiError(Exception):
    """A Slack API error: the stand-in sends it as {"ok": false, "error": ..., **extra}."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    """A failure injected for the next `remaining` calls of one method."""

    kind: str
    remaining: int
    error: str = ""
    status: int = 200
    retry_after: int = 0


@dataclass
class _File:
    """A file reserved by files.getUploadURLExternal; ``content`` is None until its bytes are uploaded."""

    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes | None = None


@dataclass
class _Trigger:
    user_id: str
    issued_at: float
    exchanged: bool = False


@dataclass
class _ResponseTarget:
    """Where posts to one response URL land: the message it came from and the person who acted."""

    channel: str | None
    ts: str | None
    user_id: str | None


def _flag(params: Mapping[str, Any], name: str) -> bool:
    """Read a boolean sent as JSON true/false or as the form values "1"/"0"/"true"/"false"."""
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def _decimal(params: Mapping[str, Any], name: str, error: str) -> Decimal | None:
    """Read a number or a ts such as "1733390000.000100". Raises Slack's `error` when it is invalid."""
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(error) from None


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Decode the fields that arrive as JSON strings inside form bodies (blocks, view, metadata).

    A field that is no valid JSON stays a string, so that the method rejects it as Slack does.
    """
    decoded = dict(params)
    for name in ("blocks", "view", "metadata", "attachments"):
        value = decoded.get(name)
        if isinstance(value, str):
            try:
                decoded[name] = json.loads(value)
            except json.JSONDecodeError:
                logger.debug("field %s is no valid JSON; the method will reject it", name)
    return decoded


def _json_reply(body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> _Reply:
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return _Reply(status, json.dumps(body).encode("utf-8"), all_headers)


def _text_reply(text: str, status: int) -> _Reply:
    return _Reply(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def _new_block_id(used_ids: set[Any]) -> str:
    while True:
        candidate = secrets.token_urlsafe(3)
        if candidate not in used_ids:
            return candidate


def _with_generated_ids(blocks: Any) -> Any:
    """Return a copy of blocks with the block_id and action_id that Slack generates where the app set none."""
    if not isinstance(blocks, list):
        return blocks
    blocks = copy.deepcopy(blocks)
    used_ids = {block.get("block_id") for block in blocks if isinstance(block, dict)}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("block_id") is None:
            block["block_id"] = _new_block_id(used_ids)
            used_ids.add(block["block_id"])

        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        elements += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in elements:
            if isinstance(element, dict) and element.get("type") != "image" and "action_id" not in element:
                element["action_id"] = secrets.token_urlsafe(3)
    return blocks


def _blocks_error(errors: list[str], error: str) -> _ApiError:
    """Build Slack's error for invalid blocks. Chat methods add `errors`, views return only the messages."""
    messages = [f"[ERROR] {message}" for message in errors]
    if error == "invalid_blocks":
        return _ApiError(error, errors=errors, response_metadata={"messages": messages})
    return _ApiError(error, response_metadata={"messages": messages})


class SlackStandIn:
    """Slack's Web API on 127.0.0.1 for one workspace with one bot user.

    The bot authenticates with `bot_token`. Only apps.connections.open accepts
    `app_token` (xapp-…) instead. DM channel ids are derived from user ids: U0ALICE has the
    DM D0ALICE. `channels` lists the public channel ids (C…) that the bot can post in.
    The failure injection methods take a Web API method name or "response_url".
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-standin-token",
        app_token: str | None = None,
        team_id: str = "T0STANDIN",
        team_domain: str = "example",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0STANDIN",
        users: Iterable[SlackUser | Mapping[str, Any]] = (),
        channels: Iterable[str] = (),
        scopes: Iterable[str] = ("chat:write", "im:write", "im:history", "users:read", "users:read.email", "commands"),
        trigger_ttl: float = TRIGGER_TTL_SECONDS,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.scopes = ",".join(scopes)
        self.trigger_ttl = trigger_ttl

        self._users: dict[str, SlackUser] = {}
        for user in users:
            if not isinstance(user, SlackUser):
                user = SlackUser(**user)
            self._users[user.id] = user

        self._messages: dict[str, list[dict[str, Any]]] = {channel: [] for channel in channels}
        for user_id in self._users:
            self._messages[self._dm_id(user_id)] = []

        self._condition = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._last_ts = 0
        self._opened_dms: set[str] = set()
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_users: dict[str, str] = {}
        self._view_errors: dict[str, dict[str, str]] = {}
        self._modal_stacks: dict[str, list[str]] = {}
        self._home_views: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_targets: dict[str, _ResponseTarget] = {}
        self._view_count = 0
        self._socket: SocketStandIn | None = None
        self._files: dict[str, _File] = {}

        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.api_url = ""

    # ----- lifecycle

    def start(self) -> SlackStandIn:
        """Start serving on 127.0.0.1 with an OS-chosen port and set `api_url`."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.base_url}/api/"

        # A short poll interval keeps stop() fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="slack-standin", daemon=True
        )
        self._thread.start()
        logger.info("Slack stand-in listening on %s", self.api_url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        logger.info("Slack stand-in on %s stopped", self.api_url)

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def attach_socket(self, socket: SocketStandIn) -> None:
        """Make apps.connections.open return URLs of `socket`, as Slack returns its Socket Mode URLs."""
        self._socket = socket

    # ----- failure injection

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Respond to the next `times` calls of `method` with HTTP 429, Retry-After in seconds and error ratelimited."""
        self._add_fault(method, _Fault("ratelimited", times, error="ratelimited", status=429, retry_after=retry_after))

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Respond to the next `times` calls of `method` with HTTP 200 and {"ok": false, "error": error}."""
        self._add_fault(method, _Fault("fail", times, error=error))

    def drop(self, method: str, times: int = 1) -> None:
        """Close the connection without any response on the next `times` calls of `method`.

        The calls are recorded with status 0 and error "connection_dropped".
        """
        self._add_fault(method, _Fault("drop", times, error="connection_dropped", status=0))

    def lose_answer(self, method: str, times: int = 1) -> None:
        """Carry out the next `times` calls of `method`, then close the connection without the answer.

        This is what a client sees when the network fails after Slack acted on a request.
        """
        self._add_fault(method, _Fault("lose_answer", times, error="answer_lost", status=0))

    def server_error(self, method: str, status: int = 503, times: int = 1) -> None:
        """Respond to the next `times` calls of `method` with an HTTP error status and a plain-text body.

        The calls are recorded with error "http_<status>", for example "http_503".
        """
        self._add_fault(method, _Fault("server_error", times, error=f"http_{status}", status=status))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._condition:
            self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        logger.info("injecting %s into %s", fault.kind, method)
        return fault

    # ----- recording

    @property
    def calls(self) -> list[Call]:
        """All calls so far in arrival order, including failed ones."""
        with self._condition:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._condition:
            return [call for call in self._calls if call.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        count: int = 1,
    ) -> list[Call]:
        """Wait until `count` calls of `method` match `predicate`, then return all matching calls.

        Raises AssertionError after `timeout` seconds, naming the method and listing the calls seen.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                matching = [c for c in self._calls if c.method == method and (predicate is None or predicate(c))]
                if len(matching) >= count:
                    return matching

                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)

            seen = ", ".join(f"{c.method} ({c.error})" if c.error else c.method for c in self._calls) or "none"

        condition = " matching the predicate" if predicate is not None else ""
        raise AssertionError(
            f"timed out after {timeout} s waiting for {count} call(s) of {method}{condition}; "
            f"{len(matching)} matched; calls seen: {seen}"
        )

    def _record(self, call: Call) -> None:
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()

    # ----- inspection

    def user(self, user_id: str) -> SlackUser:
        """Return a person of the workspace. Raises KeyError for an unknown id."""
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"no user {user_id} in the stand-in; known: {sorted(self._users)}") from None

    def dm_channel(self, user_id: str) -> str:
        """Return the id of the DM channel between the bot and a person (D… for U…)."""
        self.user(user_id)
        return self._dm_id(user_id)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Return copies of the current messages of a channel, oldest first, thread replies included.

        A user id stands for the DM channel with that person.
        """
        with self._condition:
            if channel in self._users:
                channel = self._dm_id(channel)
            return copy.deepcopy(self._messages.get(channel, []))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self.messages(channel):
            if message["ts"] == ts:
                return message
        return None

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        """Return the ephemeral messages shown to a person, oldest first, each with its channel."""
        with self._condition:
            return copy.deepcopy(self._ephemerals.get(user_id, []))

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._condition:
            view = self._views.get(view_id)
            return copy.deepcopy(view) if view is not None else None

    def modal_stack(self, user_id: str) -> list[dict[str, Any]]:
        """Return the views of a person's open modal, the root view first, or [] when none is open."""
        with self._condition:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._modal_stacks.get(user_id, [])]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """Return the home tab view last published for a person, or None."""
        with self._condition:
            view_id = self._home_views.get(user_id)
            return self.view(view_id) if view_id is not None else None

    def file_content(self, file_id: str) -> bytes | None:
        """Return the bytes uploaded for a file of files.getUploadURLExternal, or None before the upload."""
        with self._condition:
            upload = self._files.get(file_id)
            if upload is None:
                raise KeyError(f"no file {file_id} in the stand-in; known: {sorted(self._files)}")
            return upload.content

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Return the errors per block_id that the app's last response_action "errors" showed in a view."""
        with self._condition:
            return dict(self._view_errors.get(view_id, {}))

    # ----- interaction state that payload builders use

    def issue_trigger_id(self, user_id: str) -> str:
        """Create a trigger_id for an interaction of a person, which views.open and views.push exchange."""
        with self._condition:
            trigger_id = f"{int(time.time())}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic())
            return trigger_id

    def response_url(
        self, name: str, *, channel: str | None = None, ts: str | None = None, user_id: str | None = None
    ) -> str:
        """Return a response URL for payloads and register where posts to it land.

        `channel` and `ts` name the message that replace_original and delete_original act on,
        and `user_id` is the person who sees ephemeral responses.
        """
        with self._condition:
            self._response_targets[name] = _ResponseTarget(channel, ts, user_id)
        return f"{self.base_url}/response/{name}"

    def apply_view_submission_response(self, view_id: str, response: Mapping[str, Any] | None) -> None:
        """Change the modal stack as Slack does after the app answers a view_submission.

        `response` is the app's ack body: None or {} closes the view, and response_action
        "errors", "update", "push" or "clear" act as in Slack. Raises AssertionError where
        Slack would show the person an error because the answer is invalid.
        """
        response = response or {}
        with self._condition:
            user_id = self._view_users.get(view_id)
            if user_id is None:
                raise AssertionError(f"view {view_id} was never opened in the stand-in")
            stack = self._modal_stacks.get(user_id, [])
            action = response.get("response_action")

            if action is None:
                if view_id in stack:
                    del stack[stack.index(view_id) :]
            elif action == "clear":
                stack.clear()
            elif action == "errors":
                self._apply_errors(view_id, response.get("errors", {}))
            elif action in ("update", "push"):
                view = response.get("view")
                problems = blockkit.validate_view(view, blockkit.MODAL)
                if problems:
                    raise AssertionError(f"response_action {action} has an invalid view: {problems}")
                if action == "update":
                    self._replace_view(view_id, view)
                elif len(stack) >= MAX_MODAL_STACK:
                    raise AssertionError(f"response_action push exceeds {MAX_MODAL_STACK} views in the modal stack")
                else:
                    stack.append(self._store_view(view, user_id, previous_view_id=view_id)["id"])
            else:
                raise AssertionError(f"unknown response_action {action!r}")

    def _apply_errors(self, view_id: str, errors: Mapping[str, str]) -> None:
        input_ids = {
            block.get("block_id") for block in self._views[view_id]["blocks"] if block.get("type") == "input"
        }
        unknown = sorted(set(errors) - input_ids)
        if unknown:
            raise AssertionError(
                f"response_action errors names block_ids {unknown} that are no input blocks of view {view_id}; "
                f"input block_ids: {sorted(i for i in input_ids if i)}"
            )
        self._view_errors[view_id] = dict(errors)

    # ----- request handling

    def _handle_api(
        self, method: str, params: dict[str, Any], authorization: str | None, *, invalid_json: bool = False
    ) -> _Reply | None:
        """Respond to one Web API call. Returns None when the connection is to be dropped.

        An exception from a method's implementation is logged and returned as Slack's
        internal_error, so that the client gets an answer and the log shows the cause.
        """
        token = params.pop("token", None)
        if authorization and authorization.startswith("Bearer "):
            token = authorization.removeprefix("Bearer ")
        params = _decode_json_fields(params)

        with self._condition:
            fault = self._take_fault(method)
            if fault is not None and fault.kind != "lose_answer":
                self._record(Call(method, params, time.monotonic(), fault.status, fault.error))
                return self._fault_reply(fault)

            try:
                handler = self._methods.get(method)
                if handler is None:
                    raise _ApiError("unknown_method")
                if invalid_json:
                    raise _ApiError("invalid_json")
                self._authenticate(method, token)
                body = handler(params)
            except _ApiError as error:
                logger.debug("%s failed: %s", method, error.error)
                self._record(Call(method, params, time.monotonic(), 200, error.error))
                return _json_reply({"ok": False, "error": error.error, **error.extra}, headers=self._api_headers())
            except Exception:
                logger.exception("stand-in failed to handle %s with params %s", method, params)
                self._record(Call(method, params, time.monotonic(), 200, "internal_error"))
                return _json_reply({"ok": False, "error": "internal_error"}, headers=self._api_headers())

            self._record(Call(method, params, time.monotonic()))
            if fault is not None:
                # The call took effect, but the client never learns it.
                return None
            return _json_reply(body, headers=self._api_headers())

    def _api_headers(self) -> dict[str, str]:
        # Lower case because bolt reads this header from a plain dict with the exact name.
        return {"x-oauth-scopes": self.scopes}

    def _fault_reply(self, fault: _Fault) -> _Reply | None:
        if fault.kind == "drop":
            return None
        if fault.kind == "ratelimited":
            headers = {"Retry-After": str(fault.retry_after), **self._api_headers()}
            return _json_reply({"ok": False, "error": "ratelimited"}, status=429, headers=headers)
        if fault.kind == "server_error":
            return _text_reply("Service Unavailable" if fault.status == 503 else "Server Error", fault.status)
        return _json_reply({"ok": False, "error": fault.error}, headers=self._api_headers())

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise _ApiError("not_authed")
        expected, other = (self.app_token, self.bot_token)
        if method != "apps.connections.open":
            expected, other = other, expected
        if token == expected:
            return
        if token == other:
            raise _ApiError("not_allowed_token_type")
        raise _ApiError("invalid_auth")

    def _handle_response_url(self, name: str, payload: Any) -> _Reply | None:
        """Respond to a post to a response URL with plain text, as Slack's incoming webhooks do.

        NOTE: The status codes and bodies of failed posts ("invalid_blocks", "no_text" with
        HTTP 400, "no_service" with HTTP 404) are modelled on incoming webhooks, not verified
        against response URLs.
        """
        params = dict(payload) if isinstance(payload, dict) else {"body": payload}
        params["response_url"] = f"{self.base_url}/response/{name}"
        params = _decode_json_fields(params)

        with self._condition:
            fault = self._take_fault("response_url")
            if fault is not None:
                self._record(Call("response_url", params, time.monotonic(), fault.status, fault.error))
                return self._fault_reply(fault)

            status, error = 200, None
            try:
                self._respond(name, params, payload)
            except _ApiError as failure:
                status, error = (404 if failure.error == "no_service" else 400), failure.error

            self._record(Call("response_url", params, time.monotonic(), status, error))
            return _text_reply(error or "ok", status)

    def _respond(self, name: str, params: dict[str, Any], payload: Any) -> None:
        target = self._response_targets.get(name)
        if target is None:
            raise _ApiError("no_service")
        if not isinstance(payload, dict):
            raise _ApiError("invalid_payload")

        if _flag(params, "delete_original"):
            self._delete_message(target.channel, target.ts)
            return

        self._check_content(params)
        if _flag(params, "replace_original"):
            message = self._find_message(target.channel, target.ts)
            message["text"] = params.get("text", "")
            message["blocks"] = _with_generated_ids(params.get("blocks", []))
        elif params.get("response_type") == "in_channel" and target.channel is not None:
            self._post(target.channel, params)
        elif target.user_id is not None and target.channel is not None:
            self._post_ephemeral(target.channel, target.user_id, params)
        else:
            raise _ApiError(UNSUPPORTED, response_metadata={"messages": ["response URL has no channel or user"]})

    # ----- helpers of the methods

    @staticmethod
    def _dm_id(user_id: str) -> str:
        return "D" + user_id[1:]

    def _next_ts(self) -> str:
        """Return a message ts from the wall clock, strictly increasing, in Slack's "seconds.micros" form."""
        micros = max(time.time_ns() // 1000, self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _resolve_channel(self, channel: Any, *, allow_user: bool) -> str:
        """Return the channel id for a channel parameter; a user id means that person's DM where allowed."""
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found")
        if allow_user and channel in self._users:
            dm = self._dm_id(channel)
            self._opened_dms.add(dm)
            return dm
        if channel not in self._messages:
            raise _ApiError("channel_not_found")
        return channel

    def _find_message(self, channel: str | None, ts: Any) -> dict[str, Any]:
        for message in self._messages.get(channel or "", []):
            if message["ts"] == ts:
                return message
        raise _ApiError("message_not_found")

    def _check_content(self, params: Mapping[str, Any]) -> None:
        """Reject message text and blocks as Slack does: no_text, msg_too_long, invalid_blocks(_format)."""
        blocks = params.get("blocks")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise _ApiError("invalid_blocks_format")
            errors = blockkit.validate_blocks(blocks, blockkit.MESSAGE)
            if errors:
                raise _blocks_error(errors, "invalid_blocks")

        text = params.get("text")
        if not text and not blocks and not params.get("attachments"):
            raise _ApiError("no_text")
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")

        metadata = params.get("metadata")
        if metadata is not None and metadata != {}:
            valid = isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
            if not valid or not isinstance(metadata.get("event_payload", {}), dict):
                raise _ApiError("invalid_metadata_format")

    def _post(self, channel: str, params: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "ts": self._next_ts(),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": params.get("text", ""),
            "blocks": _with_generated_ids(params.get("blocks", [])),
        }
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self._messages[channel].append(message)
        return message

    def _post_ephemeral(self, channel: str, user_id: str, params: Mapping[str, Any]) -> str:
        ts = self._next_ts()
        ephemeral = {
            "channel": channel,
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": _with_generated_ids(params.get("blocks", [])),
        }
        if params.get("thread_ts"):
            ephemeral["thread_ts"] = str(params["thread_ts"])
        self._ephemerals.setdefault(user_id, []).append(ephemeral)
        return ts

    def _delete_message(self, channel: str | None, ts: Any) -> None:
        message = self._find_message(channel, ts)
        self._messages[channel or ""].remove(message)

    def _user_object(self, user: SlackUser, *, include_locale: bool) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(user.tz)).utcoffset()
        result: dict[str, Any] = {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "real_name": user.real_name or user.name,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "tz": user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "email": user.email,
                "real_name": user.real_name or user.name,
                "display_name": user.name,
                "team": self.team_id,
            },
        }
        # Slack returns the locale only when the caller asks with include_locale.
        if include_locale:
            result["locale"] = user.locale
        return result

    def _exchange_trigger(self, params: Mapping[str, Any]) -> str:
        """Return the person of a trigger_id and mark it used. Raises Slack's errors for invalid triggers."""
        trigger_id = params.get("trigger_id")
        if not trigger_id:
            raise _ApiError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]}
            )

        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _ApiError("invalid_trigger_id")
        if trigger.exchanged:
            raise _ApiError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise _ApiError("expired_trigger_id")

        trigger.exchanged = True
        return trigger.user_id

    def _check_view(self, view: Any, expected_type: str) -> dict[str, Any]:
        problems = blockkit.validate_view(view, expected_type)
        if problems:
            raise _blocks_error(problems, "invalid_arguments")
        return view

    def _store_view(
        self, view: Mapping[str, Any], user_id: str, *, view_id: str | None = None, previous_view_id: str | None = None
    ) -> dict[str, Any]:
        if view_id is None:
            self._view_count += 1
            view_id = f"V{self._view_count:010d}"
        root_view_id = self._views[previous_view_id]["root_view_id"] if previous_view_id else view_id

        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": _with_generated_ids(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root_view_id,
            "previous_view_id": previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        self._view_users[view_id] = user_id
        self._view_errors.pop(view_id, None)
        return stored

    def _replace_view(self, view_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        old = self._views[view_id]
        return self._store_view(
            view, self._view_users[view_id], view_id=view_id, previous_view_id=old["previous_view_id"]
        )

    def _find_view(self, params: Mapping[str, Any]) -> str:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise _ApiError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: view_id or external_id"]},
            )
        for candidate in self._views.values():
            if (view_id and candidate["id"] == view_id) or (external_id and candidate["external_id"] == external_id):
                return candidate["id"]
        raise _ApiError("not_found")

    def _check_hash(self, view_id: str, params: Mapping[str, Any]) -> None:
        if params.get("hash") and params["hash"] != self._views[view_id]["hash"]:
            raise _ApiError("hash_conflict")

    # ----- Web API methods, called with the lock held

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "allocbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).casefold()
        for user in self._users.values():
            if user.email.casefold() == email:
                return {"ok": True, "user": self._user_object(user, include_locale=False)}
        raise _ApiError("users_not_found")

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(params.get("user", ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"ok": True, "user": self._user_object(user, include_locale=_flag(params, "include_locale"))}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel = params["channel"]
            if channel not in self._opened_dms:
                raise _ApiError("channel_not_found")
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}

        user_ids = [user_id for user_id in str(params.get("users", "")).split(",") if user_id]
        if not user_ids:
            raise _ApiError("users_list_not_supplied")
        if len(user_ids) > 1:
            raise _ApiError(UNSUPPORTED, response_metadata={"messages": ["group DMs with several users"]})
        if user_ids[0] not in self._users:
            raise _ApiError("user_not_found")

        dm = self._dm_id(user_ids[0])
        already_open = dm in self._opened_dms
        self._opened_dms.add(dm)
        answer: dict[str, Any] = {"ok": True, "channel": {"id": dm}}
        if already_open:
            answer.update(no_op=True, already_open=True)
        return answer

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return top-level messages newest first, like Slack without pagination.

        NOTE: `cursor` is ignored and next_cursor is always empty. The stand-in returns
        message metadata whether or not include_all_metadata is set, because every
        message in it comes from the bot's own app.
        """
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        limit = int(_decimal(params, "limit", "invalid_limit") or 100)
        oldest = _decimal(params, "oldest", "invalid_ts_oldest") or Decimal(0)
        latest = _decimal(params, "latest", "invalid_ts_latest")
        inclusive = _flag(params, "inclusive")

        def in_range(ts: Decimal) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        top_level = [m for m in self._messages[channel] if m.get("thread_ts", m["ts"]) == m["ts"]]
        selected = [m for m in reversed(top_level) if in_range(Decimal(m["ts"]))]
        return {
            "ok": True,
            "messages": copy.deepcopy(selected[:limit]),
            "has_more": len(selected) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        self._check_content(params)
        message = self._post(channel, params)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Replace the given fields of a message. Slack keeps the blocks and metadata that are left out.

        Slack needs a DM's channel id (D…) here, not a user id.
        """
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        message = self._find_message(channel, params.get("ts"))
        self._check_content(params)

        if "text" in params:
            message["text"] = params["text"]
        if "blocks" in params:
            message["blocks"] = _with_generated_ids(params["blocks"])
        if "metadata" in params:
            if params["metadata"]:
                message["metadata"] = params["metadata"]
            else:
                message.pop("metadata", None)

        return {
            "ok": True,
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        user_id = params.get("user")
        in_own_dm = not channel.startswith("D") or channel == self._dm_id(str(user_id))
        if user_id not in self._users or not in_own_dm:
            raise _ApiError("user_not_in_channel")
        self._check_content(params)
        return {"ok": True, "message_ts": self._post_ephemeral(channel, user_id, params)}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        message = self._find_message(channel, params.get("message_ts"))
        permalink = f"https://{self.team_domain}.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        self._delete_message(channel, params.get("ts"))
        return {"ok": True, "channel": channel, "ts": params.get("ts")}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(params.get("view"), blockkit.MODAL)
        user_id = self._exchange_trigger(params)
        stored = self._store_view(view, user_id)
        self._modal_stacks[user_id] = [stored["id"]]
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(params.get("view"), blockkit.MODAL)
        user_id = self._exchange_trigger(params)
        stack = self._modal_stacks.setdefault(user_id, [])
        if len(stack) >= MAX_MODAL_STACK:
            raise _ApiError("push_limit_reached")
        stored = self._store_view(view, user_id, previous_view_id=stack[-1] if stack else None)
        stack.append(stored["id"])
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = self._find_view(params)
        self._check_hash(view_id, params)
        view = self._check_view(params.get("view"), self._views[view_id]["type"])
        return {"ok": True, "view": copy.deepcopy(self._replace_view(view_id, view))}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        view = self._check_view(params.get("view"), blockkit.HOME)

        view_id = self._home_views.get(user_id)
        if view_id is not None:
            self._check_hash(view_id, params)
        stored = self._store_view(view, user_id, view_id=view_id)
        self._home_views[user_id] = stored["id"]
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        """Reserve a file id and return the URL that takes its bytes, as Slack's upload URL does."""
        filename = params.get("filename")
        length = str(params.get("length", ""))
        if not filename or not length.isdigit() or int(length) == 0:
            raise _ApiError("invalid_arguments",
                            response_metadata={"messages": ["[ERROR] filename and a positive length are required"]})
        file_id = f"F{len(self._files) + 1:010d}"
        self._files[file_id] = _File(file_id, str(filename), int(length))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _handle_upload(self, file_id: str, body: bytes) -> _Reply:
        """Store the bytes posted to an upload URL and respond with plain text, as Slack's upload URLs do.

        NOTE: Slack's response to a second upload to the same URL is not verified; the stand-in rejects it.
        """
        with self._condition:
            upload = self._files.get(file_id)
            params = {"file_id": file_id, "length": len(body)}
            if upload is None or upload.content is not None:
                self._record(Call("upload", params, time.monotonic(), 404, "upload_url_invalid"))
                return _text_reply("upload_url_invalid", 404)
            upload.content = body
            self._record(Call("upload", params, time.monotonic()))
            return _text_reply(f"OK - {len(body)}", 200)

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        """Finish uploads and, with channel_id, share the files in a message of that channel.

        NOTE: Slack's response for a file whose bytes never arrived, or whose size differs
        from the length given, is not verified; the stand-in responds with standin_unsupported.
        """
        try:
            entries = json.loads(params.get("files") or "")
        except json.JSONDecodeError:
            raise _ApiError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        channel = params.get("channel_id")
        if channel:
            channel = self._resolve_channel(channel, allow_user=False)

        shared = []
        for entry in entries:
            upload = self._files.get(entry.get("id")) if isinstance(entry, dict) else None
            if upload is None:
                raise _ApiError("file_not_found")
            if upload.content is None or len(upload.content) != upload.length:
                reason = f"file {upload.id}: {len(upload.content or b'')} bytes uploaded, {upload.length} announced"
                raise _ApiError(UNSUPPORTED, response_metadata={"messages": [reason]})
            upload.title = str(entry.get("title") or upload.filename)
            shared.append({"id": upload.id, "name": upload.filename, "title": upload.title, "size": upload.length})

        if channel:
            message = self._post(channel, {"text": params.get("initial_comment", "")})
            message["files"] = copy.deepcopy(shared)
        return {"ok": True, "files": shared}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if self._socket is None:
            raise _ApiError(UNSUPPORTED, response_metadata={"messages": ["no SocketStandIn attached"]})
        return {"ok": True, "url": self._socket.issue_url()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> to the Web API and /response/<name> to response URLs."""

    server: _Server

    def do_GET(self) -> None:
        self._handle(body=b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(body=self.rfile.read(length))

    def _handle(self, body: bytes) -> None:
        standin = self.server.standin
        url = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")

        if url.path.startswith("/api/"):
            reply = self._api(standin, url.path.removeprefix("/api/"), url.query, body, content_type)
        elif url.path.startswith("/upload/"):
            reply = standin._handle_upload(url.path.removeprefix("/upload/"), body)
        elif url.path.startswith("/response/"):
            try:
                payload = json.loads(body or b"null")
            except json.JSONDecodeError:
                payload = body.decode("utf-8", "replace")
            reply = standin._handle_response_url(url.path.removeprefix("/response/"), payload)
        else:
            reply = _text_reply("not found", 404)

        if reply is None:
            # Closing without a status line makes http.client raise RemoteDisconnected.
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _api(self, standin: SlackStandIn, method: str, query: str, body: bytes, content_type: str) -> _Reply | None:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        invalid_json = False
        if content_type.startswith("application/json"):
            try:
                params.update(json.loads(body or b"{}"))
            except (json.JSONDecodeError, TypeError, ValueError):
                invalid_json = True
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return standin._handle_api(method, params, self.headers.get("Authorization"), invalid_json=invalid_json)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)
