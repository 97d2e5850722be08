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


def build_client(token: str, api_url: str, *, retry_failures: bool = True) -> WebClient:
    """Return a WebClient for ``api_url`` that retries rate limits, and network errors and 5xx answers.

    With ``retry_failures`` False only rate limits are retried. A 429 means
    that Slack did not take the request, but after a dropped connection or
    a 5xx Slack may have posted the message all the same, so the caller
    that posts questions looks for it before trying again.
    """
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    handlers = [RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
    if retry_failures:
        handlers = [
            ConnectionErrorRetryHandler(max_retry_count=NETWORK_RETRIES, interval_calculator=backoff),
            AnyServerErrorRetryHandler(max_retry_count=NETWORK_RETRIES, interval_calculator=backoff),
            *handlers,
        ]
    return WebClient(token=token, base_url=api_url, timeout=TIMEOUT_SECONDS, retry_handlers=handlers)
