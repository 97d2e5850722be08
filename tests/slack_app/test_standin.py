"""The Slack stand-ins and request helpers, driven through slack_sdk's and bolt's own clients."""

import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from .requests import SlackPayloads, SlackRequests, external_option_value, option_value, sign, text_value
from .socket_standin import SocketStandIn
from .standin import SlackStandIn, SlackUser

SIGNING_SECRET = "standin-signing-secret"
APP_TOKEN = "xapp-1-standin"
ALICE = SlackUser("U0ALICE", "alice@example.com", "alice", real_name="Alice Berg")
BOB = SlackUser("U0BOB", "Bob@Example.com", "bob", tz="America/New_York", locale="en-US")
CHANNEL = "C0GENERAL"
TS_FORMAT = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep proxy variables from routing the clients' loopback requests to another host."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(users=[ALICE, BOB], channels=[CHANNEL], app_token=APP_TOKEN) as running:
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


@pytest.fixture
def bolt_app(standin: SlackStandIn) -> App:
    return App(client=WebClient(token=standin.bot_token, base_url=standin.api_url), signing_secret=SIGNING_SECRET)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slack_requests(standin: SlackStandIn, bolt_app: App) -> Iterator[SlackRequests]:
    """SlackRequests aimed at bolt_app, served by bolt's WSGI adapter on a loopback port."""
    server = make_server("127.0.0.1", 0, SlackRequestHandler(bolt_app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    try:
        yield SlackRequests(url, SIGNING_SECRET, standin.team_id, standin.app_id, standin)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def section(text: str, **extra: object) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str = "Approve", value: str = "order-1", action_id: str = "approve") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "value": value, "action_id": action_id}


def actions(*elements: dict) -> dict:
    return {"type": "actions", "elements": list(elements)}


def static_select(option_list: list[dict], action_id: str = "cc") -> dict:
    return {"type": "static_select", "action_id": action_id, "options": option_list}


def options(count: int) -> list[dict]:
    return [{"text": {"type": "plain_text", "text": f"CC {i}"}, "value": f"cc-{i}"} for i in range(count)]


def modal(blocks: list[dict], title: str = "Allocate", **extra: object) -> dict:
    view = {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks, **extra}
    if any(block["type"] == "input" for block in blocks):
        view.setdefault("submit", {"type": "plain_text", "text": "Save"})
    return view


def cost_center_input(element_type: str = "static_select", action_id: str = "cc_select") -> dict:
    element = {"type": element_type, "action_id": action_id}
    if element_type == "static_select":
        element["options"] = options(3)
    label = {"type": "plain_text", "text": "Cost center"}
    return {"type": "input", "block_id": "cc", "label": label, "element": element}


# ----- Web API: messages


def test_post_update_history(standin, client):
    first = client.chat_postMessage(
        channel=ALICE.id,
        text="Allocate order 1",
        blocks=[section("Order 1"), actions(button())],
        metadata={"event_type": "allocation_asked", "event_payload": {"order": "1"}},
    )
    second = client.chat_postMessage(channel=first["channel"], text="Allocate order 2")
    client.chat_update(channel=first["channel"], ts=first["ts"], text="Order 1 allocated", blocks=[section("Done")])

    history = client.conversations_history(channel=first["channel"], include_all_metadata=True)

    assert first["channel"] == standin.dm_channel(ALICE.id)
    assert TS_FORMAT.match(first["ts"])
    assert second["ts"] > first["ts"]
    assert [m["ts"] for m in history["messages"]] == [second["ts"], first["ts"]]
    updated = history["messages"][1]
    assert updated["text"] == "Order 1 allocated"
    assert updated["blocks"][0]["text"]["text"] == "Done"
    assert updated["metadata"]["event_payload"] == {"order": "1"}
    assert history["has_more"] is False
    assert standin.message(first["channel"], first["ts"]) == updated


def test_post_generates_missing_block_ids(standin, client):
    posted = client.chat_postMessage(channel=ALICE.id, text="t", blocks=[actions(button())])

    block = standin.message(posted["channel"], posted["ts"])["blocks"][0]

    assert block["block_id"]
    assert block["elements"][0]["action_id"] == "approve"


def test_history_limit_and_range(client):
    posted = [client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["ts"] for i in range(4)]

    limited = client.conversations_history(channel=CHANNEL, limit=2)
    ranged = client.conversations_history(channel=CHANNEL, oldest=posted[0], latest=posted[3])

    assert [m["text"] for m in limited["messages"]] == ["m3", "m2"]
    assert limited["has_more"] is True
    assert [m["text"] for m in ranged["messages"]] == ["m2", "m1"]


def test_history_invalid_range(client):
    with pytest.raises(SlackApiError) as raised:
        client.conversations_history(channel=CHANNEL, oldest="yesterday")

    assert raised.value.response["error"] == "invalid_ts_oldest"


def test_thread_replies_left_out_of_history(client):
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])

    history = client.conversations_history(channel=CHANNEL)

    assert [m["text"] for m in history["messages"]] == ["parent"]


# slack_sdk warns about a missing `text`, which the no_text case leaves out on purpose.
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "C0UNKNOWN", "text": "x"}, "channel_not_found"),
        ({"channel": "U0NOBODY", "text": "x"}, "channel_not_found"),
        ({"channel": CHANNEL}, "no_text"),
        ({"channel": CHANNEL, "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": CHANNEL, "text": "x", "blocks": "[not json"}, "invalid_blocks_format"),
        ({"channel": CHANNEL, "text": "x", "metadata": {"event_payload": {}}}, "invalid_metadata_format"),
    ],
)
def test_post_message_errors(client, arguments, error):
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(**arguments)

    assert raised.value.response["error"] == error


def test_update_errors(client):
    posted = client.chat_postMessage(channel=ALICE.id, text="x")

    with pytest.raises(SlackApiError) as by_user_id:
        client.chat_update(channel=ALICE.id, ts=posted["ts"], text="y")
    with pytest.raises(SlackApiError) as unknown_ts:
        client.chat_update(channel=posted["channel"], ts="1.000001", text="y")

    assert by_user_id.value.response["error"] == "channel_not_found"
    assert unknown_ts.value.response["error"] == "message_not_found"


def test_form_encoded_blocks_decoded(standin, client):
    blocks = [section("From a form")]

    posted = client.api_call("chat.postMessage", data={"channel": CHANNEL, "text": "x", "blocks": json.dumps(blocks)})

    assert posted["message"]["blocks"][0]["text"]["text"] == "From a form"
    assert standin.calls_to("chat.postMessage")[0].params["blocks"][0]["type"] == "section"


def test_get_with_query_string(standin):
    request = urllib.request.Request(
        f"{standin.api_url}users.info?user={ALICE.id}", headers={"Authorization": f"Bearer {standin.bot_token}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    with opener.open(request, timeout=5) as response:
        answer = json.loads(response.read())

    assert answer["user"]["id"] == ALICE.id


def test_invalid_json_body(standin):
    request = urllib.request.Request(
        f"{standin.api_url}chat.postMessage",
        data=b'{"channel": ',
        headers={"Authorization": f"Bearer {standin.bot_token}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    with opener.open(request, timeout=5) as response:
        answer = json.loads(response.read())

    assert answer == {"ok": False, "error": "invalid_json"}
    assert standin.calls_to("chat.postMessage")[0].error == "invalid_json"


def test_internal_error_logged(caplog):
    with SlackStandIn(users=[SlackUser("U0MARS", "mars@example.com", "mars", tz="Mars/Olympus")]) as standin:
        client = WebClient(token=standin.bot_token, base_url=standin.api_url)

        with pytest.raises(SlackApiError) as raised:
            client.users_info(user="U0MARS")

    assert raised.value.response["error"] == "internal_error"
    assert "stand-in failed to handle users.info" in caplog.text


def test_ephemeral_permalink_delete(standin, client):
    posted = client.chat_postMessage(channel=CHANNEL, text="x")

    ephemeral = client.chat_postEphemeral(channel=CHANNEL, user=BOB.id, text="only for Bob")
    permalink = client.chat_getPermalink(channel=CHANNEL, message_ts=posted["ts"])
    client.chat_delete(channel=CHANNEL, ts=posted["ts"])

    assert standin.ephemerals(BOB.id)[0]["ts"] == ephemeral["message_ts"]
    assert standin.ephemerals(BOB.id)[0]["text"] == "only for Bob"
    assert permalink["permalink"] == f"https://example.slack.com/archives/{CHANNEL}/p{posted['ts'].replace('.', '')}"
    assert standin.messages(CHANNEL) == []


def test_conversations_open_stable(standin, client):
    first = client.conversations_open(users=ALICE.id)
    again = client.conversations_open(users=[ALICE.id])

    assert first["channel"]["id"] == standin.dm_channel(ALICE.id)
    assert again["channel"]["id"] == first["channel"]["id"]
    assert "already_open" not in first
    assert again["already_open"] is True


# ----- Web API: people, auth, unknown methods


def test_lookup_by_email(client):
    found = client.users_lookupByEmail(email="bob@example.com")

    assert found["user"]["id"] == BOB.id
    assert found["user"]["tz"] == "America/New_York"
    assert found["user"]["profile"]["email"] == "Bob@Example.com"
    assert "locale" not in found["user"]


def test_lookup_by_email_not_found(client):
    with pytest.raises(SlackApiError) as raised:
        client.users_lookupByEmail(email="nobody@example.com")

    assert raised.value.response["error"] == "users_not_found"


def test_users_info_locale_on_request(client):
    plain = client.users_info(user=ALICE.id)
    with_locale = client.users_info(user=ALICE.id, include_locale=True)
    with pytest.raises(SlackApiError) as unknown:
        client.users_info(user="U0NOBODY")

    assert "locale" not in plain["user"]
    assert with_locale["user"]["locale"] == "nb-NO"
    assert plain["user"]["real_name"] == "Alice Berg"
    assert unknown.value.response["error"] == "user_not_found"


def test_auth_test_fields(standin, client):
    answer = client.auth_test()

    assert answer["user_id"] == standin.bot_user_id
    assert answer["bot_id"] == standin.bot_id
    assert answer["team_id"] == standin.team_id
    assert "chat:write" in answer.headers["x-oauth-scopes"]


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxb-wrong", "invalid_auth"), (APP_TOKEN, "not_allowed_token_type")],
)
def test_auth_errors(standin, token, error):
    with pytest.raises(SlackApiError) as raised:
        WebClient(token=token, base_url=standin.api_url).auth_test()

    assert raised.value.response["error"] == error


def test_unknown_method(client):
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.frobnicate")

    assert raised.value.response["error"] == "unknown_method"


def test_connections_open_token_and_socket(client):
    with pytest.raises(SlackApiError) as bot_token:
        client.apps_connections_open(app_token=client.token)
    with pytest.raises(SlackApiError) as no_socket:
        client.apps_connections_open(app_token=APP_TOKEN)

    assert bot_token.value.response["error"] == "not_allowed_token_type"
    assert no_socket.value.response["error"] == "standin_unsupported"


# ----- Block Kit limits


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        ([section("x" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        (
            [actions(button(text="x" * 76))],
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            [actions(button(value="x" * 2001))],
            "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
        ),
        (
            [section("x", accessory=static_select(options(101)))],
            "no more than 100 items allowed [json-pointer:/blocks/0/accessory/options]",
        ),
        (
            [section("a", block_id="b1"), section("b", block_id="b1")],
            "duplicate block_id: b1 [json-pointer:/blocks/1/block_id]",
        ),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "must be less than 151 characters"),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
            "must be plain_text [json-pointer:/blocks/0/text/type]",
        ),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}], "no more than 10 items allowed"),
        ([actions(*[button(action_id=f"a{i}") for i in range(26)])], "no more than 25 items"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "no more than 10 items"),
        ([cost_center_input()], "unsupported type: input"),
        ([{"type": "video"}], "unsupported type: video [json-pointer:/blocks/0/type]"),
        ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        (
            [section("x", accessory={"type": "external_select", "action_id": "cc", "options": options(1)})],
            "invalid additional property: options [json-pointer:/blocks/0/accessory/options]",
        ),
        (
            [section("x", accessory=static_select([options(1)[0] | {"value": "v" * 151}]))],
            "must be less than 151 characters [json-pointer:/blocks/0/accessory/options/0/value]",
        ),
        (
            [actions(button() | {"confirm": {"title": {"type": "plain_text", "text": "x" * 101}}})],
            "must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]",
        ),
    ],
)
def test_invalid_blocks_rejected(client, blocks, expected):
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=blocks)

    answer = raised.value.response
    assert answer["error"] == "invalid_blocks"
    assert any(expected in message for message in answer["errors"]), answer["errors"]
    messages = answer["response_metadata"]["messages"]
    assert any(message.startswith("[ERROR] ") and expected in message for message in messages)


def test_blocks_at_limits_accepted(client):
    at_limits = [
        section("x" * 3000),
        actions(button(text="x" * 75, value="v" * 2000)),
        section("x", accessory=static_select(options(100))),
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 150}},
    ]
    at_limits += [{"type": "divider"}] * (50 - len(at_limits))

    posted = client.chat_postMessage(channel=CHANNEL, text="fallback", blocks=at_limits)

    assert len(posted["message"]["blocks"]) == 50


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_update_validates_blocks(client):
    posted = client.chat_postMessage(channel=CHANNEL, text="x")

    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=CHANNEL, ts=posted["ts"], blocks=[section("x" * 3001)])

    assert raised.value.response["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (
            modal([section("x")], title="x" * 25),
            "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
        ),
        (modal([section("x")], submit={"type": "plain_text", "text": "x" * 25}), "[json-pointer:/view/submit/text]"),
        (modal([section("x")] * 101), "no more than 100 items allowed [json-pointer:/view/blocks]"),
        (
            {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": [cost_center_input()]},
            "must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0]",
        ),
        (modal([cost_center_input()], private_metadata="x" * 3001), "[json-pointer:/view/private_metadata]"),
        ({"type": "home", "blocks": []}, "must be modal [json-pointer:/view/type]"),
    ],
)
def test_invalid_modal_rejected(standin, client, view, expected):
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=standin.issue_trigger_id(ALICE.id), view=view)

    answer = raised.value.response
    assert answer["error"] == "invalid_arguments"
    assert any(expected in message for message in answer["response_metadata"]["messages"]), answer.data


# ----- views


def test_views_open_exchanges_trigger_once(standin, client):
    trigger_id = standin.issue_trigger_id(ALICE.id)

    opened = client.views_open(trigger_id=trigger_id, view=modal([cost_center_input()], callback_id="allocate"))
    with pytest.raises(SlackApiError) as again:
        client.views_open(trigger_id=trigger_id, view=modal([section("x")]))
    with pytest.raises(SlackApiError) as unknown:
        client.views_open(trigger_id="1.2.abc", view=modal([section("x")]))
    with pytest.raises(SlackApiError) as missing:
        client.api_call("views.open", json={"view": modal([section("x")])})

    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "allocate"
    assert opened["view"]["hash"]
    assert [view["id"] for view in standin.modal_stack(ALICE.id)] == [opened["view"]["id"]]
    assert again.value.response["error"] == "exchanged_trigger_id"
    assert unknown.value.response["error"] == "invalid_trigger_id"
    assert missing.value.response["error"] == "invalid_arguments"


def test_trigger_expires():
    with SlackStandIn(users=[ALICE], trigger_ttl=0.0) as standin:
        client = WebClient(token=standin.bot_token, base_url=standin.api_url)
        trigger_id = standin.issue_trigger_id(ALICE.id)
        time.sleep(0.01)  # the trigger must be older than its time to live, which is zero

        with pytest.raises(SlackApiError) as raised:
            client.views_open(trigger_id=trigger_id, view=modal([section("x")]))

    assert raised.value.response["error"] == "expired_trigger_id"


def test_views_push_update_and_limit(standin, client):
    root = client.views_open(
        trigger_id=standin.issue_trigger_id(ALICE.id), view=modal([section("1")], external_id="e1")
    )
    for step in (2, 3):
        client.views_push(trigger_id=standin.issue_trigger_id(ALICE.id), view=modal([section(str(step))]))
    with pytest.raises(SlackApiError) as fourth:
        client.views_push(trigger_id=standin.issue_trigger_id(ALICE.id), view=modal([section("4")]))

    updated = client.views_update(external_id="e1", view=modal([section("1b")], external_id="e1"))
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=root["view"]["id"], hash=root["view"]["hash"], view=modal([section("1c")]))

    stack = standin.modal_stack(ALICE.id)
    assert fourth.value.response["error"] == "push_limit_reached"
    assert len(stack) == 3
    assert stack[1]["previous_view_id"] == root["view"]["id"]
    assert stack[2]["root_view_id"] == root["view"]["id"]
    assert updated["view"]["id"] == root["view"]["id"]
    assert stack[0]["blocks"][0]["text"]["text"] == "1b"
    assert stale.value.response["error"] == "hash_conflict"


def test_views_publish_home(standin, client):
    published = client.views_publish(user_id=ALICE.id, view={"type": "home", "blocks": [section("Welcome")]})
    republished = client.views_publish(
        user_id=ALICE.id, hash=published["view"]["hash"], view={"type": "home", "blocks": [section("Again")]}
    )
    with pytest.raises(SlackApiError) as with_input:
        client.views_publish(user_id=ALICE.id, view={"type": "home", "blocks": [cost_center_input()]})
    with pytest.raises(SlackApiError) as unknown_user:
        client.views_publish(user_id="U0NOBODY", view={"type": "home", "blocks": []})

    assert republished["view"]["id"] == published["view"]["id"]
    assert standin.home_view(ALICE.id)["blocks"][0]["text"]["text"] == "Again"
    assert standin.home_view(BOB.id) is None
    assert with_input.value.response["error"] == "invalid_arguments"
    assert unknown_user.value.response["error"] == "user_not_found"


# ----- response URLs


def test_response_url_replace_ephemeral_delete(standin, client):
    posted = client.chat_postMessage(channel=ALICE.id, text="Allocate?", blocks=[actions(button())])
    url = standin.response_url("r1", channel=posted["channel"], ts=posted["ts"], user_id=ALICE.id)
    webhook = WebhookClient(url)

    replaced = webhook.send(text="Allocated", replace_original=True)
    ephemeral = webhook.send(text="Saved for you")
    invalid = webhook.send(text="x", blocks=[section("x" * 3001)])
    deleted = webhook.send(delete_original=True)

    assert (replaced.status_code, replaced.body) == (200, "ok")
    assert ephemeral.status_code == 200
    assert standin.ephemerals(ALICE.id)[0]["text"] == "Saved for you"
    assert (invalid.status_code, invalid.body) == (400, "invalid_blocks")
    assert deleted.status_code == 200
    assert standin.messages(posted["channel"]) == []
    calls = standin.calls_to("response_url")
    assert calls[0].params["replace_original"] is True
    assert calls[0].params["response_url"] == url
    assert calls[2].error == "invalid_blocks"


def test_unknown_response_url(standin):
    answer = WebhookClient(f"{standin.base_url}/response/never-issued").send(text="x")

    assert answer.status_code == 404


# ----- failure injection and waiting


def test_rate_limit_honoured_by_sdk(standin):
    client = WebClient(token=standin.bot_token, base_url=standin.api_url, retry_handlers=[RateLimitErrorRetryHandler()])
    standin.rate_limit("chat.postMessage", retry_after=1)

    posted = client.chat_postMessage(channel=CHANNEL, text="x")

    limited, retried = standin.calls_to("chat.postMessage")
    assert posted["ok"] is True
    assert (limited.status, limited.error) == (429, "ratelimited")
    assert (retried.status, retried.error) == (200, None)
    assert retried.at - limited.at >= 1.0
    assert len(standin.messages(CHANNEL)) == 1


def test_rate_limit_without_handler_raises(standin, client):
    standin.rate_limit("auth.test", retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        client.auth_test()

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"


def test_drop_retried_by_sdk(standin):
    interval = FixedValueRetryIntervalCalculator(0.01)
    handler = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=interval)
    client = WebClient(token=standin.bot_token, base_url=standin.api_url, retry_handlers=[handler])
    standin.drop("auth.test")

    answer = client.auth_test()

    dropped, retried = standin.calls_to("auth.test")
    assert answer["ok"] is True
    assert (dropped.status, dropped.error) == (0, "connection_dropped")
    assert retried.error is None


def test_fail_and_server_error_injected(standin, client):
    standin.fail("users.lookupByEmail", "fatal_error")
    standin.server_error("auth.test", status=503)

    with pytest.raises(SlackApiError) as failed:
        client.users_lookupByEmail(email=ALICE.email)
    with pytest.raises(SlackApiError) as unavailable:
        client.auth_test()
    recovered = client.users_lookupByEmail(email=ALICE.email)

    assert failed.value.response["error"] == "fatal_error"
    assert unavailable.value.response.status_code == 503
    assert recovered["user"]["id"] == ALICE.id


def test_wait_for_polls_other_threads(standin, client):
    def post_later() -> None:
        time.sleep(0.05)
        client.chat_postMessage(channel=CHANNEL, text="one")
        client.chat_postMessage(channel=CHANNEL, text="two")

    threading.Thread(target=post_later).start()

    calls = standin.wait_for("chat.postMessage", predicate=lambda call: call.error is None, count=2)

    assert [call.params["text"] for call in calls] == ["one", "two"]


def test_wait_for_timeout_lists_calls(standin, client):
    client.auth_test()
    standin.fail("users.info", "fatal_error")
    with pytest.raises(SlackApiError):
        client.users_info(user=ALICE.id)

    with pytest.raises(AssertionError) as raised:
        standin.wait_for("chat.postMessage", timeout=0.1)

    message = str(raised.value)
    assert "chat.postMessage" in message
    assert "auth.test, users.info (fatal_error)" in message


# ----- signing


def test_signature_verified_by_sdk():
    body = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
    now = int(time.time())
    verifier = SignatureVerifier(SIGNING_SECRET)

    signed = sign(body, SIGNING_SECRET)
    forged = sign(body, "wrong-secret")
    old = sign(body, SIGNING_SECRET, timestamp=now - 600)

    assert abs(int(signed["X-Slack-Request-Timestamp"]) - now) <= 1
    assert verifier.is_valid_request(body, signed)
    assert not verifier.is_valid_request(body, forged)
    assert not verifier.is_valid_request(body, old)


def test_requests_reject_remote_url(standin):
    with pytest.raises(ValueError, match="loopback"):
        SlackRequests("https://example.com/slack/events", SIGNING_SECRET, "T", "A", standin)


def test_bolt_rejects_forged_and_old(slack_requests, bolt_app):
    events = []
    bolt_app.event("app_home_opened")(lambda event: events.append(event))

    forged = slack_requests.app_home_opened(ALICE.id, secret="wrong-secret")
    old = slack_requests.app_home_opened(ALICE.id, timestamp=int(time.time()) - 600)
    valid = slack_requests.app_home_opened(ALICE.id)
    replayed = slack_requests.post_raw(*slack_requests.last_request)

    assert forged.status == 401
    assert old.status == 401
    assert valid.status == 200
    assert replayed.status == 200


# ----- payloads through bolt over HTTP


def test_block_action_through_bolt(standin, client, slack_requests, bolt_app):
    @bolt_app.action("approve")
    def approve(ack, body, respond, client):
        ack()
        respond(replace_original=True, text=f"Approved {body['actions'][0]['value']}")
        client.views_open(trigger_id=body["trigger_id"], view=modal([section("Details")]))

    posted = client.chat_postMessage(channel=ALICE.id, text="Allocate?", blocks=[actions(button())])

    response = slack_requests.block_action(ALICE.id, "approve")

    assert response.status == 200
    standin.wait_for("response_url")
    opened = standin.wait_for("views.open")
    assert standin.message(posted["channel"], posted["ts"])["text"] == "Approved order-1"
    assert opened[0].error is None
    assert len(standin.modal_stack(ALICE.id)) == 1


def test_block_action_payload_shape(standin, client, slack_requests):
    client.chat_postMessage(channel=ALICE.id, text="Older", blocks=[actions(button(action_id="cc"))])
    posted = client.chat_postMessage(
        channel=ALICE.id,
        text="Pick",
        blocks=[section("x", block_id="pick", accessory=static_select(options(3)))],
    )

    payload = slack_requests.payloads.block_action(ALICE.id, "cc", selected_option="cc-2")

    assert payload["type"] == "block_actions"
    assert payload["user"] == {"id": ALICE.id, "username": "alice", "name": "alice", "team_id": standin.team_id}
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": posted["channel"],
        "is_ephemeral": False,
    }
    assert payload["channel"]["id"] == posted["channel"]
    assert payload["message"]["ts"] == posted["ts"]
    assert payload["actions"][0]["block_id"] == "pick"
    assert payload["actions"][0]["type"] == "static_select"
    assert payload["actions"][0]["selected_option"]["text"]["text"] == "CC 2"
    assert payload["response_url"].startswith(standin.base_url)
    assert payload["state"] == {"values": {}}


def test_block_action_in_modal(standin, client, slack_requests):
    view = modal([cost_center_input(), actions(button(text="Add line", action_id="add_line"))], callback_id="split")
    opened = client.views_open(trigger_id=standin.issue_trigger_id(ALICE.id), view=view)

    payload = slack_requests.payloads.block_action(
        ALICE.id, "add_line", container_type="view", state_values={"cc": {"cc_select": option_value("cc-1", "CC 1")}}
    )

    assert payload["container"] == {"type": "view", "view_id": opened["view"]["id"]}
    assert payload["view"]["callback_id"] == "split"
    assert payload["view"]["state"]["values"]["cc"]["cc_select"]["selected_option"]["value"] == "cc-1"
    assert "channel" not in payload
    assert "message" not in payload
    assert "response_url" not in payload


def test_block_action_needs_posted_element(client, slack_requests):
    with pytest.raises(AssertionError, match="no message"):
        slack_requests.payloads.block_action(ALICE.id, "approve")

    client.chat_postMessage(channel=ALICE.id, text="x", blocks=[section("x")])

    with pytest.raises(AssertionError, match="no element with action_id 'approve'"):
        slack_requests.payloads.block_action(ALICE.id, "approve")


def test_view_submission_errors_then_close(standin, client, slack_requests, bolt_app):
    @bolt_app.view("allocate")
    def submit(ack, view):
        chosen = view["state"]["values"]["cc"]["cc_select"]["selected_option"]["value"]
        if chosen == "cc-0":
            ack(response_action="errors", errors={"cc": "Cost center 0 is closed"})
        else:
            ack()

    client.views_open(
        trigger_id=standin.issue_trigger_id(ALICE.id),
        view=modal([cost_center_input()], callback_id="allocate", private_metadata="order-1"),
    )
    view_id = standin.modal_stack(ALICE.id)[0]["id"]

    closed_choice = {"cc": {"cc_select": option_value("cc-0", "CC 0")}}
    open_choice = {"cc": {"cc_select": option_value("cc-1", "CC 1")}}

    rejected = slack_requests.view_submission(ALICE.id, "allocate", values=closed_choice)
    errors = standin.view_errors(view_id)
    accepted = slack_requests.view_submission(ALICE.id, "allocate", values=open_choice)

    assert rejected.status == 200
    assert errors == {"cc": "Cost center 0 is closed"}
    assert accepted.status == 200
    assert standin.modal_stack(ALICE.id) == []


def test_view_submission_checks_inputs(standin, client, slack_requests):
    with pytest.raises(AssertionError, match="no open modal"):
        slack_requests.payloads.view_submission(ALICE.id, "allocate", values={})

    view = modal([cost_center_input()], callback_id="allocate")
    client.views_open(trigger_id=standin.issue_trigger_id(ALICE.id), view=view)

    with pytest.raises(AssertionError, match="callback_id"):
        slack_requests.payloads.view_submission(ALICE.id, "other", values={})
    with pytest.raises(AssertionError, match="no input note/text"):
        slack_requests.payloads.view_submission(ALICE.id, "allocate", values={"note": {"text": text_value("x")}})


def test_options_through_bolt(standin, client, slack_requests, bolt_app):
    @bolt_app.options("cc_search")
    def load(ack, payload):
        if payload["value"] == "long":
            ack(options=[{"text": {"type": "plain_text", "text": "x" * 76}, "value": "cc-x"}])
        else:
            ack(options=options(2))

    view = modal([cost_center_input("external_select", "cc_search")], callback_id="allocate")
    client.views_open(trigger_id=standin.issue_trigger_id(ALICE.id), view=view)

    answer = slack_requests.options(ALICE.id, "cc_search", "cos")

    assert [option["value"] for option in answer["options"]] == ["cc-0", "cc-1"]
    with pytest.raises(AssertionError, match="min_query_length"):
        slack_requests.options(ALICE.id, "cc_search", "co")
    with pytest.raises(AssertionError, match="must be less than 76 characters"):
        slack_requests.options(ALICE.id, "cc_search", "long")
    assert external_option_value("cc-0", "CC 0")["selected_option"]["value"] == "cc-0"


def test_command_through_bolt(standin, slack_requests, bolt_app):
    @bolt_app.command("/allocbot")
    def command(ack, command, respond):
        ack()
        respond(text=f"You asked: {command['text']}")

    response = slack_requests.command(ALICE.id, text="status")

    assert response.status == 200
    standin.wait_for("response_url")
    assert standin.ephemerals(ALICE.id)[0]["text"] == "You asked: status"
    assert standin.ephemerals(ALICE.id)[0]["channel"] == standin.dm_channel(ALICE.id)


def test_home_opened_and_retry_through_bolt(standin, slack_requests, bolt_app):
    retries = []

    @bolt_app.event("app_home_opened")
    def home(event, client, request):
        retries.append(request.headers.get("x-slack-retry-num"))
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section("Hello")]})

    first = slack_requests.app_home_opened(ALICE.id)
    standin.wait_for("views.publish")
    event = slack_requests.payloads.app_home_opened(ALICE.id)
    retried = slack_requests.event(event, event_id="Ev0RETRY", retry_num=1)
    standin.wait_for("views.publish", count=2)

    assert first.status == 200
    assert retried.status == 200
    assert event["view"]["id"] == standin.home_view(ALICE.id)["id"]
    assert retries == [None, ["1"]]


def test_url_verification_through_bolt(slack_requests):
    response = slack_requests.url_verification("challenge-123")

    assert response.status == 200
    assert response.json() == {"challenge": "challenge-123"}


# ----- Socket Mode


def test_socket_mode_round_trip(standin):
    with SocketStandIn(app_id=standin.app_id) as socket:
        standin.attach_socket(socket)
        client = SocketModeClient(
            app_token=APP_TOKEN, web_client=WebClient(base_url=standin.api_url), auto_reconnect_enabled=False
        )
        seen = []

        def acknowledge(client: SocketModeClient, request) -> None:
            seen.append(request.type)
            client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload={"seen": request.type}))

        client.socket_mode_request_listeners.append(acknowledge)
        try:
            client.connect()
            first = socket.send("events_api", {"type": "event_callback", "event": {"type": "app_home_opened"}})
            first_ack = socket.wait_for_ack(first)

            socket.disconnect()
            socket.wait_for_connection(count=2)
            second = socket.send("slash_commands", {"command": "/allocbot", "text": ""})
            second_ack = socket.wait_for_ack(second)
        finally:
            socket.stop()
            client.close()

    assert first_ack == {"envelope_id": first, "payload": {"seen": "events_api"}}
    assert second_ack["payload"] == {"seen": "slash_commands"}
    assert seen == ["events_api", "slash_commands"]
    assert len(standin.calls_to("apps.connections.open")) == 2


def test_socket_url_used_once(standin):
    with SocketStandIn() as socket:
        url = socket.issue_url()
        with connect(url) as first:
            first.recv(timeout=5)

        with pytest.raises(InvalidStatus) as reused:
            connect(url)

    assert reused.value.response.status_code == 401


def test_socket_mode_through_bolt(standin, client):
    app = App(client=WebClient(token=standin.bot_token, base_url=standin.api_url), signing_secret=SIGNING_SECRET)

    @app.action("approve")
    def approve(ack, respond):
        ack()
        respond(replace_original=True, text="Approved")

    posted = client.chat_postMessage(channel=ALICE.id, text="Allocate?", blocks=[actions(button())])

    with SocketStandIn(app_id=standin.app_id) as socket:
        standin.attach_socket(socket)
        handler = SocketModeHandler(app, APP_TOKEN, auto_reconnect_enabled=False)
        payloads = SlackPayloads(standin)
        try:
            handler.connect()
            envelope_id = socket.send("interactive", payloads.block_action(ALICE.id, "approve"))
            ack = socket.wait_for_ack(envelope_id)
            standin.wait_for("response_url")
        finally:
            socket.stop()
            handler.close()

    assert ack["envelope_id"] == envelope_id
    assert standin.message(posted["channel"], posted["ts"])["text"] == "Approved"
