"""Active probes: one GET of each provider's model-listing endpoint, all at once.

A probe measures exactly one attempt (no retries): whether the provider answered, how fast
(wall time from the request to the full response, also for failures: time until failure),
and if not, why. Rows have the columns of ``availability_checks``
(``sql/monitor/duckdb_availability_checks.sql``).

Keys travel only in request headers; they are never put in a URL, a returned field or a log
line (details are scrubbed of the key as a last line of defence). Redirects are followed by
``core.http.transport.RedirectChain``: a few hops at most, and the key only to the target's own
origin (a redirect loop is an answer of kind "4xx", as an unfollowed 3xx is).

Concurrency: the probes run on one ``httpx.AsyncClient`` under ``asyncio``, bounded by a
semaphore, so N targets with timeout T take about T in the worst case, not N*T.
``run_probes`` is synchronous; it starts its own event loop with ``asyncio.run``. Called from
a thread whose event loop is running (inside a coroutine) it runs that loop in a short-lived
worker thread instead and blocks the caller until done; async callers should prefer
``await asyncio.to_thread(run_probes, ...)``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import ssl
import time
from datetime import datetime
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from core.availability.targets import ProbeTarget
from core.http.transport import FetchError, RedirectChain
from core.stores.monitor import CHECK_COLUMNS

USER_AGENT = "ai-server-information/0.1 (+self-hosted; availability probe)"

# The columns of availability_checks, in table order (the store's list).
COLUMNS = CHECK_COLUMNS

_DETAIL_LIMIT = 300


def make_row(**fields: Any) -> dict[str, Any]:
    """A row with exactly the table's columns (missing ones None); unknown names are an error."""
    unknown = set(fields) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not availability_checks columns: {sorted(unknown)}")
    return {column: fields.get(column) for column in COLUMNS}


def scrub(text: str, key: str | None) -> str:
    """``text`` without the key (should it ever appear), trimmed to a short detail."""
    if key:
        text = text.replace(key, "***")
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 3] + "..."


def display_url(url: str) -> str:
    """The URL without query string, fragment or user info: what a row's ``target`` shows."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or during (and group members), once each."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)


def classify_exception(exc: BaseException) -> str:
    """The error_kind of a failed request: timeout, dns, tls, refused, closed or connect.

    Root causes found in the ``__cause__``/``__context__`` chain decide (no message matching):
    ``socket.gaierror`` -> dns, ``ssl.SSLError`` -> tls, ``ConnectionRefusedError`` -> refused,
    a connection reset or a server that hung up without answering -> closed.
    """
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return "timeout"
    chain = list(_chain(exc))
    for kind, types in (
        ("dns", (socket.gaierror,)),
        ("tls", (ssl.SSLError, ssl.CertificateError)),
        ("refused", (ConnectionRefusedError,)),
        ("timeout", (httpx.TimeoutException, TimeoutError)),
        ("closed", (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)),
    ):
        if any(isinstance(link, types) for link in chain):
            return kind
    if any(isinstance(link, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)) for link in chain):
        return "closed"
    return "connect"


def classify_status(status: int, authenticated: bool) -> tuple[bool, str, str | None]:
    """``(up, state, error_kind)`` of an HTTP answer.

    Any status below 500 means the service runs (up). 2xx is ok; 401/403 without a key is
    reachable_unauthenticated; 429 is an error of kind "429"; other answers below 500
    (401/403 with a key, 404, an unfollowed 3xx) are "4xx"; 5xx is down.
    """
    if 200 <= status < 300:
        return True, "ok", None
    if status >= 500:
        return False, "error", "5xx"
    if status in (401, 403) and not authenticated:
        return True, "reachable_unauthenticated", None
    if status == 429:
        return True, "error", "429"
    return True, "error", "4xx"


def status_detail(status: int, authenticated: bool, reason: str = "") -> str:
    """Short human text for an HTTP answer (never contains the key)."""
    up, state, kind = classify_status(status, authenticated)
    label = f"HTTP {status}" + (f" {reason}" if reason else "")
    if state == "ok":
        return label
    if state == "reachable_unauthenticated":
        return "reachable, unauthenticated (no key set)"
    if status in (401, 403):
        return f"{label}: key rejected"
    if kind == "429":
        return f"{label}: rate limited"
    if kind == "5xx":
        return f"{label}: server error"
    return label


def exception_detail(kind: str, exc: BaseException) -> str:
    """Short human text for a failed request: its kind and the innermost message."""
    messages = [str(link) for link in _chain(exc) if str(link)]
    message = messages[-1] if messages else type(exc).__name__
    return f"{kind}: {message}"


async def _probe_one(
    client: httpx.AsyncClient, target: ProbeTarget, key: str | None, checked_at: datetime, timeout_s: float
) -> dict[str, Any]:
    authenticated = bool(key)
    # Redirects are followed by hand: the key goes only to the target's own origin.
    chain = RedirectChain(target.url, target.headers(key))
    base = {
        "checked_at": checked_at,
        "provider_id": target.provider_id,
        "probe": "listing",
        "target": display_url(target.url),
        "authenticated": authenticated,
    }
    started = time.perf_counter()

    async def fetch() -> httpx.Response:
        while True:
            headers = {"user-agent": USER_AGENT, "accept": "application/json", **chain.headers()}
            async with client.stream("GET", chain.url, headers=headers) as response:
                if chain.follow(response.status_code, response.headers.get("location")):
                    continue
                async for _ in response.aiter_raw():  # read the whole body, keep none of it
                    pass
                return response

    try:
        # httpx's timeouts are per operation; wait_for bounds the whole attempt.
        response = await asyncio.wait_for(fetch(), timeout_s)
    except FetchError as exc:  # a redirect loop or too many hops: the server answers, wrongly
        latency_ms = (time.perf_counter() - started) * 1000.0
        up, state, kind = classify_status(exc.status or 300, authenticated)
        return make_row(
            **base, up=up, state=state, error_kind=kind, http_status=exc.status, latency_ms=latency_ms,
            detail=scrub(str(exc), key),
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a row
        latency_ms = (time.perf_counter() - started) * 1000.0
        kind = classify_exception(exc)
        detail = f"timeout: no complete answer within {timeout_s:g} s" if kind == "timeout" else exception_detail(kind, exc)
        return make_row(
            **base, up=False, state="error", error_kind=kind, latency_ms=latency_ms, detail=scrub(detail, key),
        )
    latency_ms = (time.perf_counter() - started) * 1000.0
    up, state, kind = classify_status(response.status_code, authenticated)
    detail = status_detail(response.status_code, authenticated, response.reason_phrase)
    if authenticated and chain.left_origin:
        detail += f" (redirected to {display_url(chain.url)}, asked without the key)"
    return make_row(
        **base, up=up, state=state, error_kind=kind, http_status=response.status_code, latency_ms=latency_ms,
        detail=scrub(detail, key),
    )


async def probe_all(
    targets: Sequence[tuple[ProbeTarget, str | None]], checked_at: datetime, timeout_s: float = 10.0, concurrency: int = 16
) -> list[dict[str, Any]]:
    """The coroutine behind ``run_probes``, for callers that already run an event loop."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    limits = httpx.Limits(max_connections=max(1, concurrency), max_keepalive_connections=0)
    timeout = httpx.Timeout(timeout_s)

    async with httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False) as client:

        async def bounded(target: ProbeTarget, key: str | None) -> dict[str, Any]:
            async with semaphore:
                return await _probe_one(client, target, key, checked_at, timeout_s)

        return list(await asyncio.gather(*(bounded(target, key) for target, key in targets)))


def run_probes(
    targets: Sequence[tuple[ProbeTarget, str | None]], checked_at: datetime, timeout_s: float = 10.0, concurrency: int = 16
) -> list[dict[str, Any]]:
    """Probes every ``(target, key)`` once, concurrently; one row per target, in input order.

    No retries. A key of None (or empty) probes without authentication.
    """
    if not targets:
        return []
    coroutine = probe_all(targets, checked_at, timeout_s, concurrency)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from inside a running loop: asyncio.run would refuse, so use a worker thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
