"""HTTP requests to an ERP API, retried only where a retry cannot book a voucher twice.

A request that reads or replaces (GET, PUT, DELETE, PATCH) is sent again
after a timeout, a dropped connection, a 429 or a 5xx response, with
exponential backoff. A POST is sent again only when it never reached the
server (the connection failed). When a POST times out or gets a 5xx, the
server may have booked it, so ``request`` raises OutcomeUnknown and the
connector looks the voucher up before it posts again, in a later run.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import httpx

from bot.ports import ErpUnavailable

log = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "PUT", "DELETE", "PATCH"}
RETRY_AFTER_LIMIT = 60.0  # seconds; a longer Retry-After is cut to this


class OutcomeUnknown(Exception):
    """A POST timed out or got a 5xx response, so the server may or may not have acted on it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class Retrying:
    """Sends requests through an httpx client with ``attempts`` tries and doubling pauses."""

    def __init__(self, client: httpx.Client, connector: str, *, attempts: int, backoff_seconds: float,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.connector = connector
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send the request and return the first response that is not retried (2xx, 3xx or 4xx but 429).

        Raises ErpUnavailable when every attempt failed, and OutcomeUnknown
        for a POST whose outcome is unknown (see the module docstring).
        """
        method = method.upper()
        reason = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # The request never reached the server, so even a POST may be sent again.
                reason = f"cannot connect to {_origin(self.client.base_url.join(url))}: {type(exc).__name__}"
                wait = self._pause(attempt)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                reason = f"{type(exc).__name__} after sending {method} {_path(url)}"
                if method not in SAFE_METHODS:
                    raise OutcomeUnknown(reason) from exc
                wait = self._pause(attempt)
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                reason = f"HTTP {response.status_code} on {method} {_path(url)}"
                if response.status_code >= 500 and method not in SAFE_METHODS:
                    raise OutcomeUnknown(reason)
                wait = max(self._pause(attempt), _retry_after(response))

            if attempt < self.attempts:
                log.warning("%s: %s; attempt %d of %d, next in %.1f s", self.connector, reason, attempt,
                            self.attempts, wait)
                self.sleep(wait)
        log.error("%s: %s; giving up after %d attempts", self.connector, reason, self.attempts)
        raise ErpUnavailable(self.connector, reason)

    def _pause(self, attempt: int) -> float:
        return self.backoff_seconds * 2 ** (attempt - 1)


def _retry_after(response: httpx.Response) -> float:
    """Return the seconds a 429 or 503 response requests to wait, 0 when it names none.

    Besides Retry-After, a 429 response may name the seconds left in the
    rate-limit period in X-Rate-Limit-Reset, as Tripletex's API does.
    """
    headers = ["Retry-After", "X-Rate-Limit-Reset"] if response.status_code == 429 else ["Retry-After"]
    for header in headers:
        try:
            return min(float(response.headers.get(header, "")), RETRY_AFTER_LIMIT)
        except ValueError:
            continue
    return 0.0


def _origin(url: httpx.URL) -> str:
    """Return the scheme, host and port of the URL, which name the server without any token."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _path(url: str) -> str:
    """Return the URL without its query, which may carry tokens."""
    return url.split("?", 1)[0]
