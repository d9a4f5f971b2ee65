"""The served catalog as the routes read it: one snapshot per request, answers built once per
snapshot and request (``api.cache``), the lookup index that resolves any spelling of a model,
and the reference prices.

A snapshot never changes once published, so each response is computed once per snapshot and
then served again as bytes; its ETag carries the snapshot id (``If-None-Match`` -> 304).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator
from urllib.parse import urlencode

import anyio

from fastapi import Request
from fastapi.responses import Response

from api.cache import ResponseCache
from api.errors import OutdatedSnapshot, missing_column, missing_table
from api.http_rules import etag_matches
from api.lookup import LookupCache, LookupIndex, SnapshotCache
from api.store import Pinned, Store

# The snapshot a cache-missing request is built from (set for the build, in its thread).
_PINNED: ContextVar[Pinned | None] = ContextVar("aisi_pinned_snapshot", default=None)
# Attribution their terms ask for, shown wherever their data is served.
ATTRIBUTION = {
    "artificial_analysis": "Benchmarks, speed and prices by Artificial Analysis (https://artificialanalysis.ai/)",
    "lmarena": "Elo ratings by LMArena (https://lmarena.ai/)",
}
Build = Callable[[], tuple[int, Any]]
BUILD_THREADS = 8


def attribution(rows: list[dict[str, Any]]) -> list[str]:
    """The attributions owed for the sources behind ``rows``."""
    sources = {str(r.get("source", "")) for r in rows}
    return [text for prefix, text in ATTRIBUTION.items() if any(s.startswith(prefix) for s in sources)]


class CatalogReader:
    """What every catalog route reads through (``app.state.catalog``)."""

    def __init__(self, store: Store):
        self.store = store
        self.cache = ResponseCache()
        self._lookups = LookupCache()
        self._references: SnapshotCache[dict[str, dict[str, Any]]] = SnapshotCache()
        # Misses built at once: more only queue in the database and hold memory per thread.
        self._builds = anyio.CapacityLimiter(BUILD_THREADS)

    @contextmanager
    def one_snapshot(self) -> Iterator[Pinned]:
        """Holds the snapshot served now for the block: every ``q`` in it reads that snapshot."""
        with self.store.pin() as pinned:
            token = _PINNED.set(pinned)
            try:
                yield pinned
            finally:
                _PINNED.reset(token)

    def _pinned_build(self, target: str, build: Build) -> tuple[str, tuple[str, bytes, int]]:
        """A miss, built from one snapshot held for the whole build: the snapshot id keying the
        entry (and so its ETag and X-Snapshot-Id) is the one every query of the build read."""
        with self.one_snapshot() as pinned:
            key = (pinned.snapshot_id, target)
            return pinned.snapshot_id, self.cache.get(key) or self.cache.build(key, build)

    async def cached(self, request: Request, if_none_match: str | None, build: Build) -> Response:
        """The answer to ``request``: a hit is answered on the event loop; a miss queries the
        store in the thread pool."""
        snapshot = self.store.snapshot_id()
        # One entry per question, however it is spelt: parameters in a fixed order (names the
        # route does not know were refused before this point).
        target = f"{request.url.path}?{urlencode(sorted(request.query_params.multi_items()))}"
        entry = self.cache.get((snapshot, target))
        if entry is None:
            snapshot, entry = await anyio.to_thread.run_sync(self._pinned_build, target, build, limiter=self._builds)
        etag, body, status = entry
        headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Snapshot-Id": snapshot}
        if status == 200 and etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(content=body, status_code=status, media_type="application/json", headers=headers)

    def serving(self) -> str:
        """The id of the snapshot this request reads."""
        pinned = _PINNED.get()
        return pinned.snapshot_id if pinned is not None else self.store.snapshot_id()

    def q(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of ``sql/api/<name>.sql`` from the request's pinned snapshot (else the newest)."""
        try:
            return (_PINNED.get() or self.store).query(name, params)
        except Exception as exc:
            if missing_column(exc):
                raise OutdatedSnapshot(
                    f"the served snapshot ({self.serving()}) predates this version's schema: {str(exc).splitlines()[0]}"
                ) from exc
            raise

    def page(self, name: str, limit: int, offset: int, **params: Any) -> dict[str, Any]:
        """A page of ``sql/api/<name>.sql`` (whose rows carry the query's ``total``, removed here)
        with its total. A page past the end is empty, so its total comes from the query's first
        row alone: never from reading every row (a request with a large offset costs one row)."""
        rows = self.q(name, **params, limit=limit, offset=offset)
        head = rows or (self.q(name, **params, limit=1, offset=0) if offset else [])
        total = head[0]["total"] if head else 0
        for row in rows:
            row.pop("total", None)
        return {"items": rows, "total": total, "limit": limit, "offset": offset}

    def optional(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a table the served snapshot may predate (model_aliases, benchmarks): none then."""
        try:
            return self.q(name, **params)
        except Exception as exc:
            if not missing_table(exc):
                raise
            return []

    def index(self) -> LookupIndex:
        """The served snapshot's lookup index (models, their aliases, providers), built once per snapshot."""
        return self._lookups.get(self.serving(), lambda: LookupIndex.build(
            self.q("lookup_models"), self.optional("lookup_aliases"), [r["model_key"] for r in self.optional("lookup_keys")],
            self.q("providers")))

    def references(self) -> dict[str, dict[str, Any]]:
        """model_key -> {price_type: its reference price with provenance and spread}, once per snapshot."""
        def build() -> dict[str, dict[str, Any]]:
            by_model: dict[str, dict[str, Any]] = {}
            for row in self.optional("reference_prices"):
                by_model.setdefault(row.pop("model_key"), {})[row.pop("price_type")] = row
            return by_model
        return self._references.get(self.serving(), build)

    def unknown(self, asked: str) -> tuple[int, Any]:
        """The 404 for a model of no known spelling, with the closest ones."""
        return 404, {"error": f"unknown model {asked!r}", "hint": "see /api/v1/search?q=...", "suggestions": self.index().suggest(asked)}


def catalog_of(request: Request) -> CatalogReader:
    """The app's catalog reader."""
    return request.app.state.catalog
