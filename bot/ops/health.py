"""The health endpoint (GET /healthz) and the Prometheus metrics (GET /metrics) over plain HTTP.

``/healthz`` returns 200 with ``{"status": "ok", ...}`` while the store
returns a row for ``SELECT 1`` and every extra check passes, and 503 with
``"failing"`` otherwise. It names the failing checks but no error text,
because errors can carry host names and user names. ``/metrics`` is the
Prometheus text format of ``bot.ops.metrics``. The server binds
``service.health_host:health_port``. Keep it on loopback or a private
network: it has no authentication, and its figures are business data.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.config import Settings
from bot.errors import InputError
from bot.i18n import N_
from bot.ops.metrics import build_registry
from bot.store.database import Store

log = logging.getLogger(__name__)

# A check that takes longer counts as failing, so that a hung database connection
# cannot hold the probe beyond the Docker HEALTHCHECK timeout of 10 seconds.
CHECK_TIMEOUT_SECONDS = 3.0
# How often the serving loop looks for stop(), and how long stop() waits for it to end.
POLL_SECONDS = 0.1
STOP_SECONDS = 5.0

PLAIN_TEXT = "text/plain; charset=utf-8"

Check = Callable[[], bool]


class HealthServer:
    """``/healthz`` and ``/metrics`` of one replica, served from a daemon thread.

    ``checks`` adds named checks to the store's, such as whether the
    scheduler runs; a check that raises or returns False makes the replica
    failing. The socket is bound on construction, so a port in use is
    reported before the bot starts its work, and ``port`` is the bound port.
    Callers leave the server out when ``service.health_port`` is 0.
    """

    def __init__(self, settings: Settings, store: Store, replica: str,
                 checks: Mapping[str, Check] | None = None) -> None:
        host, port = settings.service.health_host, settings.service.health_port
        if port == 0:
            raise ValueError("service.health_port is 0, which turns the health endpoint off; do not start it")

        self.replica = replica
        self.checks: dict[str, Check] = {"store": lambda: _store_responds(store), **(checks or {})}
        self.registry = build_registry(store)
        self._failing: set[str] = set()
        try:
            self._server = ThreadingHTTPServer((host, port), _handler_class(self))
        except OSError as exc:
            log.error("cannot listen for the health endpoint on %s:%d: %s", host, port, exc)
            raise InputError(f"{host}:{port}", N_("cannot listen for the health endpoint: {reason}"),
                             fix=N_("choose a free service.health_port or stop the program that uses it"),
                             reason=exc.strerror or str(exc)) from None
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), name="health-http",
                                        daemon=True)
        self._thread.start()
        log.info("health endpoint listening at %s/healthz and %s/metrics", self.url, self.url)

    def stop(self) -> None:
        """Stop serving and close the socket; requests in progress end on their daemon threads."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=STOP_SECONDS)
        self._server.server_close()
        log.info("health endpoint at %s stopped", self.url)

    def health(self) -> tuple[int, dict[str, object]]:
        """Run every check and return the HTTP status and the JSON body of ``/healthz``."""
        results = _run_checks(self.checks)
        self._log_changes(results)

        healthy = all(results.values())
        body = {
            "status": "ok" if healthy else "failing",
            "replica": self.replica,
            "checks": {name: "ok" if passed else "failing" for name, passed in results.items()},
        }
        return (HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE), body

    def metrics(self) -> bytes:
        return generate_latest(self.registry)

    def _log_changes(self, results: dict[str, bool]) -> None:
        """Log a check when it starts or stops failing, not on every probe."""
        failing = {name for name, passed in results.items() if not passed}
        for name in sorted(failing - self._failing):
            log.warning("health check %s is failing on replica %s", name, self.replica)
        for name in sorted(self._failing - failing):
            log.info("health check %s passes again on replica %s", name, self.replica)
        self._failing = failing


def _store_responds(store: Store) -> bool:
    with store.engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar_one() == 1


def _run_checks(checks: Mapping[str, Check]) -> dict[str, bool]:
    """Run the checks side by side on daemon threads and return whether each passed.

    An exception, or a check still running after ``CHECK_TIMEOUT_SECONDS``,
    counts as failing. A thread that hangs on a dead database connection is
    left behind. It ends when the connection attempt times out, and it does
    not delay the exit.
    """
    outcomes: dict[str, bool] = {}

    def run(name: str, check: Check) -> None:
        try:
            outcomes[name] = bool(check())
        except Exception:
            log.exception("health check %s raised", name)
            outcomes[name] = False

    threads = {name: threading.Thread(target=run, args=(name, check), name=f"health-check-{name}", daemon=True)
               for name, check in checks.items()}
    for thread in threads.values():
        thread.start()

    deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
    results = {}
    for name, thread in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("health check %s timed out after %.0f seconds", name, CHECK_TIMEOUT_SECONDS)
            results[name] = False
        else:
            results[name] = outcomes[name]
    return results


def _handler_class(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class HealthRequestHandler(BaseHTTPRequestHandler):
        server_version = "allocbot"

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            try:
                status, content_type, body = _answer(server, path)
            except Exception:
                log.exception("health endpoint failed on GET %s", path)
                status, content_type, body = HTTPStatus.INTERNAL_SERVER_ERROR, PLAIN_TEXT, b"internal error\n"
            self._reply(status, content_type, body)

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the name the base class uses
            log.debug("health request from %s: " + format, self.client_address[0], *args)

    return HealthRequestHandler


def _answer(server: HealthServer, path: str) -> tuple[int, str, bytes]:
    """Return the status, content type and body for a GET of ``path``."""
    if path == "/healthz":
        status, body = server.health()
        return status, "application/json", json.dumps(body).encode() + b"\n"
    if path == "/metrics":
        return HTTPStatus.OK, CONTENT_TYPE_LATEST, server.metrics()
    return HTTPStatus.NOT_FOUND, PLAIN_TEXT, b"not found\n"
