"""The response cache: bodies built once per snapshot and request, served again as bytes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any, Callable

from api.encoding import dumps

# The response cache holds at most this many bytes of bodies (least recently used go first).
CACHE_BYTES = 64 * 1024 * 1024


class ResponseCache:
    """LRU of response bodies keyed by (snapshot id, normalised request), bounded by the bytes
    it holds, not by a count (a few large answers cannot take the memory of many small ones);
    a new snapshot misses naturally. A body larger than the whole budget is served, not kept."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple[str, str], tuple[str, bytes, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[str, str], threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, str]) -> tuple[str, bytes, int] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def build(self, key: tuple[str, str], build: Callable[[], tuple[int, Any]]) -> tuple[str, bytes, int]:
        """The entry for ``key``, built once: concurrent misses for the same key wait for the
        first one's build instead of each building it again."""
        with self._lock:
            flight = self._building.setdefault(key, threading.Lock())
        with flight:
            entry = self.get(key)
            if entry is None:
                status, payload = build()
                body = dumps(payload)
                entry = (f'"{key[0]}-{hashlib.sha1(body).hexdigest()[:16]}"', body, status)
                if len(body) <= self.max_bytes:
                    with self._lock:
                        self._items[key] = entry
                        self.bytes += len(body)
                        while self.bytes > self.max_bytes:
                            _, (_, evicted, _) = self._items.popitem(last=False)
                            self.bytes -= len(evicted)
        with self._lock:
            if self._building.get(key) is flight:  # waiters still holding it find the entry built
                del self._building[key]
        return entry
