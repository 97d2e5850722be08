"""A local stand-in for Slack's Socket Mode server.

The bot's Socket Mode client requests a URL from apps.connections.open, and the
SlackStandIn returns a URL of this server once attached with attach_socket().
slack_sdk's builtin client (slack_sdk 3.48.0) connects without TLS to any port other
than 443, so plain ws://127.0.0.1:<port> works. On connect the server sends Slack's
hello message. send() delivers an envelope to the newest connection and
wait_for_ack() returns the client's acknowledgement, {"envelope_id", "payload"?}.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

logger = logging.getLogger(__name__)

ENVELOPE_TYPES = ("interactive", "slash_commands", "events_api")

# Interactive payloads whose ack may carry a response: a response_action or a list of options.
# NOTE: Inferred from the payloads that an app can respond to, not checked against Slack's envelopes.
RESPONSE_PAYLOAD_TYPES = ("view_submission", "block_suggestion")


class SocketStandIn:
    """Slack's Socket Mode WebSocket server on 127.0.0.1 with an OS-chosen port."""

    def __init__(self, *, app_id: str = "A0STANDIN") -> None:
        self.app_id = app_id
        self.url = ""
        self._condition = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._connections_opened = 0
        self._received: list[dict[str, Any]] = []
        self._tickets: set[str] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle

    def start(self) -> SocketStandIn:
        # Pings every 0.2 s wake the builtin client's socket read, which otherwise blocks for up
        # to 3 s, so that its close() returns in about 1 s. close_timeout=1 keeps stop() short
        # because the builtin client closes its socket without the closing handshake.
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            ping_interval=0.2,
            close_timeout=1,
        )
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"

        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-standin", daemon=True)
        self._thread.start()
        logger.info("Socket Mode stand-in listening on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        logger.info("Socket Mode stand-in on %s stopped", self.url)

    def __enter__(self) -> SocketStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- connections

    def issue_url(self) -> str:
        """Return a one-time connection URL, like the wss://…/link/?ticket=… URLs that Slack issues."""
        ticket = str(uuid.uuid4())
        with self._condition:
            self._tickets.add(ticket)
        return f"{self.url}/link/?ticket={ticket}&app_id={self.app_id}"

    @property
    def connections_opened(self) -> int:
        """Count of connections accepted since start, reconnections included."""
        with self._condition:
            return self._connections_opened

    def wait_for_connection(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` connections have been accepted since start. Raises AssertionError on timeout."""
        with self._condition:
            if not self._condition.wait_for(lambda: self._connections_opened >= count, timeout):
                raise AssertionError(
                    f"timed out after {timeout} s waiting for connection {count}; "
                    f"{self._connections_opened} accepted, {len(self._connections)} open"
                )

    def _newest_connection(self, timeout: float) -> ServerConnection:
        with self._condition:
            if not self._condition.wait_for(lambda: bool(self._connections), timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout} s")
            return self._connections[-1]

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        """Reject a handshake whose URL was not issued by issue_url() or was used before."""
        url = urlsplit(request.path)
        ticket = dict(parse_qsl(url.query)).get("ticket")
        with self._condition:
            valid = url.path.rstrip("/") == "/link" and ticket in self._tickets
            self._tickets.discard(ticket or "")
        if valid:
            return None
        logger.warning("rejected a Socket Mode connection to %s: unknown or used ticket", url.path)
        return connection.respond(HTTPStatus.UNAUTHORIZED, "unknown or used ticket\n")

    def _handle(self, connection: ServerConnection) -> None:
        """Greet a client with Slack's hello message, then store every message that it sends."""
        with self._condition:
            number = len(self._connections) + 1
        hello = {
            "type": "hello",
            "num_connections": number,
            "debug_info": {"host": "socket-standin", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        connection.send(json.dumps(hello))

        with self._condition:
            self._connections.append(connection)
            self._connections_opened += 1
            self._condition.notify_all()

        try:
            for message in connection:
                self._receive(message)
        except ConnectionClosed as closed:
            logger.debug("Socket Mode client closed the connection: %s", closed)
        finally:
            with self._condition:
                self._connections.remove(connection)
                self._condition.notify_all()

    def _receive(self, message: str | bytes) -> None:
        try:
            decoded = json.loads(message)
        except json.JSONDecodeError:
            logger.warning("Socket Mode client sent a message that is no JSON: %.200r", message)
            return
        with self._condition:
            self._received.append(decoded)
            self._condition.notify_all()

    # ----- envelopes

    def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope to the newest connection and return its envelope_id.

        `envelope_type` is "interactive", "slash_commands" or "events_api", and `payload` is what
        Slack would POST over HTTP, as SlackPayloads builds it. `retry_attempt` and `retry_reason`
        mark a redelivered event. Waits up to `timeout` seconds for a client to connect.
        """
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope_type must be one of {ENVELOPE_TYPES}, not {envelope_type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES
            )

        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)

        self._newest_connection(timeout).send(json.dumps(envelope))
        logger.debug("sent %s envelope %s", envelope_type, envelope_id)
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Ask the client to reconnect, as Slack does before it retires a connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "socket-standin"}}
        self._newest_connection(timeout).send(json.dumps(message))

    @property
    def received(self) -> list[dict[str, Any]]:
        """All messages that clients sent, in arrival order."""
        with self._condition:
            return list(self._received)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Return the client's acknowledgement of an envelope. Raises AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for message in self._received:
                    if message.get("envelope_id") == envelope_id:
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            acked = [message.get("envelope_id") for message in self._received]

        raise AssertionError(f"timed out after {timeout} s waiting for the ack of {envelope_id}; acks seen: {acked}")
