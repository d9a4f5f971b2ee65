"""HTTP client resource: bounded timeouts, bounded retries with backoff, conditional requests.

Retries use tenacity: timeouts, refused connections, 5xx and 429 are retried with
exponential backoff (a 429's ``Retry-After`` is honoured up to ``max_backoff_s``),
at most ``max_attempts`` times, so a dead source costs seconds, not minutes.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx
from dagster import ConfigurableResource
from pydantic import Field
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class HttpResult:
    """What one (possibly retried) GET returned."""

    url: str
    status: int
    body: bytes
    headers: dict[str, str]
    attempts: int
    elapsed_s: float
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


class FetchError(Exception):
    """A fetch that failed for good (after retries); ``kind`` says how."""

    def __init__(self, kind: str, message: str, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.attempts = attempts


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, (_RetryableStatus, httpx.TimeoutException, httpx.TransportError)) and not isinstance(
        exc, httpx.UnsupportedProtocol
    )


def _describe(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc) or type(exc).__name__
        dns = any(marker in text for marker in ("Name or service not known", "name resolution", "nodename nor servname"))
        kind = "dns" if dns else ("refused" if "refused" in text.lower() else "connect")
        return kind, f"connection failed: {text}"
    if isinstance(exc, httpx.TransportError):
        return "transport", f"transport error: {exc or type(exc).__name__}"
    return "error", str(exc)


class HttpClientResource(ConfigurableResource):
    """Fetches source URLs with bounded timeouts and retries."""

    user_agent: str = "ai-server-information/0.1 (+self-hosted)"
    max_attempts: int = Field(default=3, description="Tries per request, first one included.")
    backoff_initial_s: float = Field(default=0.5, description="First backoff; doubles each retry.")
    max_backoff_s: float = Field(default=4.0, description="Cap on one wait, Retry-After included.")
    connect_timeout_s: float = 5.0

    def get(self, url: str, *, headers: dict[str, str] | None = None, timeout_s: float = 20.0) -> HttpResult:
        """GET ``url``; returns any final non-retryable response (200, 304, 4xx) or raises FetchError."""
        request_headers = {"user-agent": self.user_agent, "accept-encoding": "gzip, deflate"}
        request_headers.update(headers or {})
        timeout = httpx.Timeout(timeout_s, connect=min(self.connect_timeout_s, timeout_s))
        started = time.monotonic()

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _RetryableStatus):
                hinted = _retry_after_seconds(exc.response.headers.get("retry-after"))
                if hinted is not None:
                    return min(hinted, self.max_backoff_s)
            return wait_exponential(multiplier=self.backoff_initial_s, max=self.max_backoff_s)(state)

        @retry(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(max(1, self.max_attempts)),
            wait=wait,
            reraise=True,
        )
        def attempt(client: httpx.Client) -> httpx.Response:
            response = client.get(url, headers=request_headers)
            if response.status_code in RETRY_STATUSES:
                raise _RetryableStatus(response)
            return response

        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            try:
                response = attempt(client)
            except _RetryableStatus as exc:
                attempts = attempt.statistics.get("attempt_number", self.max_attempts)
                raise FetchError(
                    "rate_limited" if exc.response.status_code == 429 else "http_5xx",
                    f"HTTP {exc.response.status_code} after {attempts} attempts",
                    status=exc.response.status_code,
                    attempts=attempts,
                ) from None
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                attempts = attempt.statistics.get("attempt_number", self.max_attempts)
                kind, message = _describe(exc)
                raise FetchError(kind, f"{message} after {attempts} attempts", attempts=attempts) from None
        return HttpResult(
            url=url,
            status=response.status_code,
            body=response.content,
            headers={k.lower(): v for k, v in response.headers.items()},
            attempts=attempt.statistics.get("attempt_number", 1),
            elapsed_s=time.monotonic() - started,
        )
