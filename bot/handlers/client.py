"""The Slack Web API client the bot uses, with retries.

slack_sdk's retry handlers do the work: a 429 waits for the Retry-After
seconds Slack sends, and a dropped connection or a 5xx answer is retried
with exponential backoff. Whatever still fails raises to the caller,
which keeps the question unsent so that a later run sends it.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

# Three retries with backoff 0.5, 1 and 2 s (plus jitter) ride out a short outage.
NETWORK_RETRIES = 3
# Slack asks for Retry-After seconds per method; five waits cover a burst of a few hundred messages.
RATE_LIMIT_RETRIES = 5
TIMEOUT_SECONDS = 30


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every HTTP 5xx response, where slack_sdk's handler (3.48.0) retries only 500 and 503.

    A proxy or load balancer in front of Slack responds with 502 or 504 when
    it cannot reach Slack, a failure as temporary as a 503.
    """

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code >= 500


def build_client(token: str, api_url: str) -> WebClient:
    """Return a WebClient for ``api_url`` that retries rate limits, network errors and 5xx answers."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return WebClient(
        token=token,
        base_url=api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=NETWORK_RETRIES, interval_calculator=backoff),
            AnyServerErrorRetryHandler(max_retry_count=NETWORK_RETRIES, interval_calculator=backoff),
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )
