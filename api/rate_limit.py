"""A per-client rate limit for the API (``limits``' moving window, in memory): a client (its IP
address) over ``AISI_API_RATE_LIMIT`` gets 429 with ``Retry-After``; clients on this machine are
spared unless ``AISI_API_RATE_LIMIT_LOOPBACK`` is set."""

from __future__ import annotations

import ipaddress
import math
import time
from typing import Any, Awaitable, Callable

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.http_rules import ASGIApp, refuse


def parse_limit(text: str) -> RateLimitItem:
    """``50/second`` and the like; ValueError naming the setting otherwise."""
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"AISI_API_RATE_LIMIT must be like 50/second or 1000/minute (or off), got {text!r}") from None


def local(host: str | None) -> bool:
    """A client on this machine: a loopback address, or none at all (a Unix socket)."""
    if host is None:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RateLimit:
    """Counts each client's requests in a moving window; over the limit: 429, nothing runs."""

    def __init__(self, app: ASGIApp, limit: str, loopback: bool = False):
        self.app = app
        self.item = parse_limit(limit)
        self.loopback = loopback
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope.get("type") == "http":
            host = (scope.get("client") or (None,))[0]
            if (self.loopback or not local(host)) and not self.limiter.hit(self.item, str(host)):
                stats = self.limiter.get_window_stats(self.item, str(host))
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                await refuse(send, 429, f"rate limit of {self.item} per client exceeded", {"retry-after": str(wait)}, retry_after_s=wait)
                return
        await self.app(scope, receive, send)
