"""HTTP client: a deadline per request, bounded retries with backoff, redirects
followed by hand, conditional requests.

Every transport fault ends as a ``FetchError`` (its ``kind`` says how), which the fetch turns
into the source's fallback; nothing httpx raises escapes ``get``.

Deadline: ``timeout_s`` bounds one attempt as a whole, from connecting to the last byte of the
body, redirects included: the body is streamed and a monotonic deadline is checked between
chunks, and connect and every read wait at most what was left of the attempt when it started,
so a server that drips bytes is cut off at the deadline (kind ``timeout``) instead of holding
the source for minutes. Timeouts, refused connections, 5xx and 429 are retried (tenacity) with
exponential backoff (a 429's ``Retry-After`` is honoured up to ``max_backoff_s``), at most
``max_attempts`` times, and only while the call's budget lasts: the whole call, retries and
waits included, must end within ``budget_factor`` x ``timeout_s`` (each attempt's deadline is
capped by it, and a retry starts only if a quarter of ``timeout_s`` is left after its wait).
The only overrun is a read started just before the deadline on a server that then goes
silent, cut by its read timeout: at worst ``(budget_factor + 1) x timeout_s`` in all.

A ``HostBreaker`` (``core/http/transport.py``) passed to ``get`` by a caller making many
requests to one host (the OpenRouter endpoints fan-out) counts the attempts that got no answer
at all (timeout, refused, DNS); once it gives the host up, calls send nothing (kind
``unreachable``, "not asked: ...") and calls under way make no further attempt.

Redirects (``RedirectChain`` in ``core/http/transport.py``, Dagster-free and shared with the
availability probes): at most ``max_redirects`` hops, a URL seen before is a loop, only
http(s) targets (kind ``redirect``, not retried). The caller's own headers (API keys,
conditional headers) go only to the origin (scheme, host, port) of the URL asked for: a hop
to any other origin is sent without them. A body whose Content-Encoding cannot be decoded
(corrupt gzip) is kind ``decoding``, not retried.
"""

from __future__ import annotations

import email.utils
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Mapping

import httpx
from pydantic import BaseModel, Field
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_before_delay

from core.http.transport import (
    CONNECTION_FAILED,
    MAX_REDIRECTS,
    NOT_ASKED,
    REDIRECT_STATUSES,
    TIMED_OUT,
    FetchError,
    HostBreaker,
    RedirectChain,
    origin,
    shown,
)

__all__ = ["FetchError", "HostBreaker", "HttpClient", "HttpResult", "RedirectChain", "REDIRECT_STATUSES", "origin", "shown"]

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


class _RetryableStatus(Exception):
    def __init__(self, status: int, headers: httpx.Headers):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers


class _DeadlineExceeded(Exception):
    """The attempt's deadline passed while the body was still arriving."""


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
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, (_RetryableStatus, _DeadlineExceeded, httpx.TimeoutException, httpx.TransportError)) and not isinstance(
        exc, httpx.UnsupportedProtocol
    )


def _no_answer(exc: BaseException) -> bool:
    """The attempt got nothing from the host: no connection (refused, DNS, connect timeout) or
    no answer in time. A body cut off at the deadline (the host was answering) is not counted."""
    return isinstance(exc, (httpx.TimeoutException, httpx.ConnectError))


def _describe(exc: BaseException, timeout_s: float) -> tuple[str, str]:
    if isinstance(exc, (httpx.TimeoutException, _DeadlineExceeded)):
        return "timeout", f"{TIMED_OUT}no complete answer within {timeout_s:g} s ({type(exc).__name__.lstrip('_')})"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc) or type(exc).__name__
        dns = any(marker in text for marker in ("Name or service not known", "name resolution", "nodename nor servname"))
        kind = "dns" if dns else ("refused" if "refused" in text.lower() else "connect")
        return kind, f"{CONNECTION_FAILED}{text}"
    if isinstance(exc, httpx.DecodingError):
        return "decoding", f"body could not be decoded (Content-Encoding): {exc}"
    if isinstance(exc, httpx.TransportError):
        return "transport", f"transport error: {exc or type(exc).__name__}"
    return "transport", f"{type(exc).__name__}: {exc}"


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """httpx's default verifying TLS context (certifi's CA bundle), built once per process: loading
    the bundle costs about 25 ms of CPU, paid by every new client otherwise."""
    return httpx.create_ssl_context()


class HttpClient(BaseModel):
    """Fetches source URLs within a deadline, with bounded retries and safe redirects. Dagster-free;
    ``pipelines.resources.http.HttpClient`` is the same client as a configurable resource."""

    user_agent: str = "ai-server-information/0.1 (+self-hosted)"
    max_attempts: int = Field(default=3, description="Tries per request, first one included.")
    backoff_initial_s: float = Field(default=0.5, description="First backoff; doubles each retry.")
    max_backoff_s: float = Field(default=4.0, description="Cap on one wait, Retry-After included.")
    connect_timeout_s: float = 5.0
    budget_factor: float = Field(default=2.0, description="The whole call, retries and waits included, ends within this many times timeout_s.")
    max_redirects: int = Field(default=MAX_REDIRECTS, description="Redirect hops followed per attempt.")

    def get(
        self, url: str, *, headers: dict[str, str] | None = None, timeout_s: float = 20.0, breaker: HostBreaker | None = None
    ) -> HttpResult:
        """GET ``url``; returns any final non-retryable response (200, 304, 4xx, a 3xx without
        Location) or raises FetchError. ``headers`` go only to ``url``'s origin.

        ``breaker`` (shared by the requests of one run) counts the attempts that got no answer
        from ``url``'s host: once it says the host is down, this call sends nothing (FetchError
        kind ``unreachable``, "not asked: ...") or, already under way, makes no more attempts."""
        started = time.monotonic()
        budget = max(1.0, self.budget_factor) * timeout_s
        call_deadline = started + budget
        attempts = 0
        if breaker is not None and (reason := breaker.down(url)) is not None:
            raise FetchError("unreachable", f"{NOT_ASKED}{shown(url)}: its host did not answer earlier in this run ({reason})", attempts=0)
        last_failure: BaseException | None = None

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self._wait(exc, state.attempt_number) if exc is not None else 0.0

        def host_down(state: RetryCallState) -> bool:
            return breaker is not None and breaker.down(url) is not None

        # Retried while attempts remain and a quarter of timeout_s is left after the wait.
        retrying = Retrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(max(1, self.max_attempts)) | stop_before_delay(budget - timeout_s / 4) | host_down,
            wait=wait,
            reraise=True,
        )
        with httpx.Client(follow_redirects=False, verify=_tls()) as client:

            def attempt() -> tuple[int, httpx.Headers, bytes]:
                nonlocal attempts, last_failure
                if breaker is not None and last_failure is not None and breaker.down(url) is not None:
                    raise last_failure  # the host was given up during the backoff: no further attempt
                attempts += 1
                try:
                    answer = self._attempt(client, url, headers or {}, min(time.monotonic() + timeout_s, call_deadline))
                except Exception as exc:
                    last_failure = exc
                    if breaker is not None and _no_answer(exc):
                        breaker.failed(url, _describe(exc, timeout_s)[1])
                    elif breaker is not None and isinstance(exc, (_RetryableStatus, _DeadlineExceeded, FetchError, httpx.DecodingError)):
                        breaker.answered(url)  # a 5xx, 429, slow body or bad redirect is an answer
                    raise
                if breaker is not None:
                    breaker.answered(url)
                return answer

            try:
                status, response_headers, body = retrying(attempt)
            except FetchError as exc:
                exc.attempts = attempts
                raise
            except (_RetryableStatus, _DeadlineExceeded, httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                raise self._failure(exc, attempts, timeout_s) from None
        return HttpResult(
            url=url,
            status=status,
            body=body,
            headers={k.lower(): v for k, v in response_headers.items()},
            attempts=attempts,
            elapsed_s=time.monotonic() - started,
        )

    def _attempt(
        self, client: httpx.Client, url: str, headers: Mapping[str, str], deadline: float
    ) -> tuple[int, httpx.Headers, bytes]:
        """One attempt, redirects included, ending by ``deadline`` (bar one read's overrun)."""
        chain = RedirectChain(url, headers, self.max_redirects)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _DeadlineExceeded("deadline passed between redirects")
            timeout = httpx.Timeout(left, connect=min(self.connect_timeout_s, left))
            request_headers = {"user-agent": self.user_agent, "accept-encoding": "gzip, deflate", **chain.headers()}
            with client.stream("GET", chain.url, headers=request_headers, timeout=timeout) as response:
                if chain.follow(response.status_code, response.headers.get("location")):
                    continue  # the redirect's body is not read
                if response.status_code in RETRY_STATUSES:
                    raise _RetryableStatus(response.status_code, response.headers)
                raw: list[bytes] = []
                for chunk in response.iter_raw():
                    raw.append(chunk)
                    if time.monotonic() > deadline:
                        raise _DeadlineExceeded("deadline passed while the body was arriving")
                status, response_headers = response.status_code, response.headers
            # Decoded (gzip, deflate) once whole; a corrupt body raises httpx.DecodingError.
            body = httpx.Response(status, headers=response_headers, content=b"".join(raw)).content
            return status, response_headers, body

    def _wait(self, exc: BaseException, attempts: int) -> float:
        """Exponential backoff (tenacity's formula), or a 429's Retry-After; capped."""
        if isinstance(exc, _RetryableStatus):
            hinted = _retry_after_seconds(exc.headers.get("retry-after"))
            if hinted is not None:
                return min(hinted, self.max_backoff_s)
        return min(self.max_backoff_s, self.backoff_initial_s * 2 ** (attempts - 1))

    def _failure(self, exc: BaseException, attempts: int, timeout_s: float) -> FetchError:
        if isinstance(exc, _RetryableStatus):
            return FetchError(
                "rate_limited" if exc.status == 429 else "http_5xx",
                f"HTTP {exc.status} after {attempts} attempts",
                status=exc.status,
                attempts=attempts,
            )
        kind, message = _describe(exc, timeout_s)
        return FetchError(kind, f"{message} after {attempts} attempts", attempts=attempts)
