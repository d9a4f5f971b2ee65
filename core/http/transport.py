"""The Dagster-free half of the HTTP client: the error every transport fault becomes,
redirects followed by hand (``RedirectChain``), shared by ``core.http.client`` and the
availability probes so that a credential only ever goes to the host it belongs to, and the
``HostBreaker`` that stops a run from asking a host that does not answer.
"""

from __future__ import annotations

import threading
from typing import Mapping

import httpx

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A fetch that failed for good (after retries); ``kind`` says how."""

    def __init__(self, kind: str, message: str, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.attempts = attempts


# How ``core.http.client`` words a request that never reached an answer (``FetchError`` text,
# kept verbatim in a FetchOutcome's error): the host did not answer at all.
TIMED_OUT = "timed out: "
CONNECTION_FAILED = "connection failed: "
NOT_ASKED = "not asked: "
# FetchError kinds of the same: timeouts, refused connections, DNS failures, other connect errors.
UNREACHABLE_KINDS = frozenset({"timeout", "refused", "dns", "connect"})


def unreachable_error(error: str | None) -> bool:
    """True when ``error`` (a FetchError's text, or a source's error built on one) says the host
    never answered: timed out, refused, not found by DNS, not connectable, or not asked because
    it had not answered before. An HTTP status, a redirect loop or a bad body is an answer."""
    return bool(error) and str(error).startswith((TIMED_OUT, CONNECTION_FAILED, NOT_ASKED))


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: what a credential belongs to."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)


def shown(url: str | httpx.URL) -> str:
    """The URL without query string, fragment or user info, for messages."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


class RedirectChain:
    """Redirects followed by hand: the URL to ask next and the headers that may go with it.

    ``headers`` are the caller's own (keys, conditional headers): they are sent only while the
    current URL has the first URL's origin. ``follow`` moves to a redirect's target or says
    the answer is final; a loop, too many hops or an unusable target is FetchError ``redirect``.
    """

    def __init__(self, url: str, headers: Mapping[str, str] | None = None, max_hops: int = MAX_REDIRECTS):
        self.first = url
        self.url = url
        self.own_headers = dict(headers or {})
        self.max_hops = max_hops
        self.visited: list[str] = [str(httpx.URL(url).copy_with(fragment=None))]

    @property
    def left_origin(self) -> bool:
        return origin(self.url) != origin(self.first)

    def headers(self) -> dict[str, str]:
        """The caller's headers for the current URL: all of them at home, none elsewhere."""
        return {} if self.left_origin else dict(self.own_headers)

    def follow(self, status: int, location: str | None) -> bool:
        """True when ``status``/``location`` is a redirect, now the current URL; False when the
        answer is final (not a redirect, or a 3xx without a Location)."""
        if status not in REDIRECT_STATUSES or not location:
            return False
        try:
            target = httpx.URL(self.url).join(location).copy_with(fragment=None)
            target_origin = origin(target)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchError("redirect", f"HTTP {status} to an unusable location: {exc}", status=status) from None
        if target_origin[0] not in ("http", "https") or not target_origin[1]:
            raise FetchError("redirect", f"HTTP {status} to a non-HTTP location ({target.scheme or 'no scheme'}): refused", status=status)
        if str(target) in self.visited:
            hops = " -> ".join(shown(u) for u in [*self.visited, str(target)])
            raise FetchError("redirect", f"redirect loop: {hops}", status=status)
        if len(self.visited) > self.max_hops:
            raise FetchError("redirect", f"more than {self.max_hops} redirects from {shown(self.first)}", status=status)
        self.visited.append(str(target))
        self.url = str(target)
        return True


class HostBreaker:
    """Stops asking a host that does not answer, for the rest of one run (one fan-out).

    Shared by the requests of a run: each attempt that ends without any answer from the host
    (timeout, refused, DNS, connect error: ``failed``) counts against its origin; any answer,
    even a 404 or a 500, resets the count (``answered``). After ``threshold`` such failures in
    a row the origin is down (``trip`` also marks it down at once, for a host known to be down
    from an earlier step): ``down`` then gives the reason, requests not yet sent are not sent,
    and requests under way make no further attempts. Thread-safe.
    """

    def __init__(self, threshold: int = 2):
        self.threshold = max(1, threshold)
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str, int | None], int] = {}
        self._down: dict[tuple[str, str, int | None], str] = {}

    def down(self, url: str) -> str | None:
        """Why ``url``'s origin is not asked any more, or None while it is."""
        with self._lock:
            return self._down.get(origin(url))

    def trip(self, url: str, reason: str) -> None:
        """Marks ``url``'s origin down for the rest of the run (the first reason is kept)."""
        with self._lock:
            self._down.setdefault(origin(url), reason)

    def failed(self, url: str, reason: str) -> None:
        """One attempt at ``url`` got no answer at all; ``reason`` says how."""
        key = origin(url)
        with self._lock:
            self._failures[key] = self._failures.get(key, 0) + 1
            if self._failures[key] >= self.threshold:
                self._down.setdefault(key, f"{self._failures[key]} attempts in a row without an answer, the last: {reason}")

    def answered(self, url: str) -> None:
        """``url``'s host answered (any HTTP status)."""
        with self._lock:
            self._failures[origin(url)] = 0

    @property
    def down_hosts(self) -> dict[str, str]:
        """``host:port`` -> reason, for every origin found down."""
        with self._lock:
            return {f"{host}:{port}" if port else host: reason for (_, host, port), reason in self._down.items()}
