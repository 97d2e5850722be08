"""Serving the bolt app: over HTTP (waitress behind a TLS proxy) or over Socket Mode."""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from bot.config import SlackSettings

log = logging.getLogger(__name__)

# Listeners work in bolt's own thread pool after acknowledging, so a few request threads suffice.
HTTP_THREADS = 8
# How long stop() waits for the serving loop, and then for requests in progress, to end.
STOP_SECONDS = 5


class HttpServer:
    """The app on ``slack.listen_host:listen_port``, answering at ``slack.path``."""

    def __init__(self, app: App, settings: SlackSettings) -> None:
        handler = SlackRequestHandler(app)
        path = settings.path

        def wsgi(environ, start_response):
            if environ.get("PATH_INFO") != path:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found\n"]
            return handler(environ, start_response)

        self.server = create_server(wsgi, host=settings.listen_host, port=settings.listen_port,
                                    threads=HTTP_THREADS, ident="allocbot")
        self.port = self.server.effective_port
        self.url = f"http://{settings.listen_host}:{self.port}{path}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.run, name="slack-http", daemon=True)
        self._thread.start()
        log.info("Slack HTTP endpoint listening at %s", self.url)

    def stop(self) -> None:
        """Close the listening socket and every open connection, then wait for requests in progress."""
        # server.close() closes only the listening socket (waitress 3.0.2), and a connection that a
        # proxy keeps alive would keep the loop serving. The loop thread closes them itself, through waitress's
        # trigger, so that no socket is closed while it polls.
        if self._thread is None:
            wasyncore.close_all(self.server._map)
        else:
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
            self._thread.join(timeout=STOP_SECONDS)
        self.server.task_dispatcher.shutdown(timeout=STOP_SECONDS)
        log.info("Slack HTTP endpoint at %s stopped", self.url)


class SocketServer:
    """The app connected to Slack over Socket Mode with the app-level token."""

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = SocketModeHandler(app, app_token)

    def start(self) -> None:
        self.handler.connect()
        log.info("Slack Socket Mode connected")

    def stop(self) -> None:
        self.handler.close()
        log.info("Slack Socket Mode closed")
