"""The Dagster-free half of the HTTP client: the error every transport fault becomes, and
redirects followed by hand (``RedirectChain``), shared by ``resources.http`` and the
availability probes so that a credential only ever goes to the host it belongs to.
"""

from __future__ import annotations

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
