"""The read API: models, prices, providers, search and status from the newest snapshot, and
provider availability from the monitor (api.availability).

A snapshot never changes once published, so each response is computed once per snapshot
and then served again as bytes; its ETag carries the snapshot id (``If-None-Match`` -> 304).
``/api/v1/status`` and the availability endpoint are computed per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import threading
from collections import OrderedDict
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Callable, Iterator, Literal, get_args
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from api import availability
from api.http_rules import HeadAsGet, SizeLimits, bearer_token, etag_matches, reject_unknown_parameters
from api.lookup import LookupCache, LookupIndex, SnapshotCache
from api.mcp_server import mount as mount_mcp
from api.rate_limit import RateLimit, parse_limit
from api.store import NoSnapshot, Pinned, Store, store_from_env
from api.sync import SYNCABLE_SOURCES, SyncBusy, launch_sync
from core.settings import settings
from core.sources.health import SourceHealth, assess_source, cadence_of, summarise

MAX_LIMIT = 500
# The snapshot a cache-missing request is built from (set for the build, in its thread).
_PINNED: ContextVar[Pinned | None] = ContextVar("aisi_pinned_snapshot", default=None)
# Beyond any table's size and any context window: larger asks are a 422, never a database overflow.
MAX_OFFSET = 10_000_000
MAX_TOKENS = 1_000_000_000
MAX_PRICE = 1_000_000.0  # USD per 1M tokens
Billing = Literal["metered", "free_tier", "plan"]
ModelSort = Literal["key", "price", "-price", "context", "-context", "released", "-released"]
# Attribution their terms ask for, shown wherever their data is served.
ATTRIBUTION = {
    "artificial_analysis": "Benchmarks, speed and prices by Artificial Analysis (https://artificialanalysis.ai/)",
    "lmarena": "Elo ratings by LMArena (https://lmarena.ai/)",
}


def attribution(rows: list[dict[str, Any]]) -> list[str]:
    """The attributions owed for the sources behind ``rows``."""
    sources = {str(r.get("source", "")) for r in rows}
    return [text for prefix, text in ATTRIBUTION.items() if any(s.startswith(prefix) for s in sources)]
# The response cache holds at most this many bytes of bodies (least recently used go first).
CACHE_BYTES = 64 * 1024 * 1024
# The change feed's kinds (core.catalog.changes.KINDS; the API does not import the pipeline).
ChangeKind = Literal["model_added", "model_removed", "price_changed", "context_changed", "status_changed", "source_disagreement"]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)

INM = Annotated[str | None, Header(alias="If-None-Match")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip, at most {MAX_OFFSET}.")]


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (float, Decimal, array item) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist"):
        return _finite(value.tolist())
    return value


def _dumps(payload: Any) -> bytes:
    """JSON bytes; never ``NaN`` or ``Infinity`` (not JSON): a non-finite number, which parsing
    already rejects, would be served as null (unknown) rather than break a client."""
    options: dict[str, Any] = dict(default=_json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return json.dumps(payload, **options).encode()
    except ValueError:  # a non-finite number somewhere: the rare, slower path
        return json.dumps(_finite(payload), **options).encode()


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
                body = _dumps(payload)
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


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message, **extra})


def _invalid_parameter(parameter: str, message: str) -> JSONResponse:
    """A 422 shaped like FastAPI's validation errors (see ``_invalid`` in ``create_app``)."""
    return _error(422, f"invalid parameters: {parameter}: {message}", problems=[{"parameter": parameter, "message": message}])


def parse_since(text: str | None) -> dt.datetime | None:
    """``since`` as an aware datetime: an ISO date (midnight UTC) or datetime (naive = UTC).

    Raises ValueError with what was expected."""
    if text is None:
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r} (e.g. 2026-11-01 or 2026-11-01T12:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# PostgreSQL's undefined_table and invalid_schema_name: schema `curated` not made yet.
_NO_CATALOG_SQLSTATES = {"42P01", "3F000"}


def _no_catalog(exc: BaseException) -> bool:
    """Nothing published yet: no snapshot file, or no publish / no ``curated`` schema in PostgreSQL."""
    return isinstance(exc, NoSnapshot) or getattr(exc, "sqlstate", None) in _NO_CATALOG_SQLSTATES


def _missing_table(exc: BaseException) -> bool:
    """A table the served snapshot does not have (published before the migration that added it)."""
    return type(exc).__name__ == "CatalogException" or getattr(exc, "sqlstate", None) in _NO_CATALOG_SQLSTATES


class OutdatedSnapshot(Exception):
    """The served snapshot was written by an older version: a column this version reads is not in it."""


def _missing_column(exc: BaseException) -> bool:
    """DuckDB's binder error on an unknown column, or PostgreSQL's undefined_column."""
    return type(exc).__name__ == "BinderException" or getattr(exc, "sqlstate", None) == "42703"


def source_health(row: dict[str, Any], now: dt.datetime) -> SourceHealth:
    """A ``status_sources.sql`` row's verdict: failed, cached (held back too) or stale is unhealthy."""
    fetched = row.get("payload_fetched_at")
    return assess_source(
        str(row["source"]), str(row["status"]), badge=row.get("badge"), error=row.get("error"),
        http_status=row.get("http_status"), payload_fetched_at=fetched if isinstance(fetched, dt.datetime) else None,
        cadence=cadence_of(str(row["source"])), now=now,
    )


def _seconds(delta: dt.timedelta | None) -> int | None:
    return round(delta.total_seconds()) if delta is not None else None


def create_app(store: Store | None = None, home: Path | None = None, monitor: availability.Monitor | None = None) -> FastAPI:
    """The API over ``store`` (default: from the environment) and the availability ``monitor``
    (default: beside the store, see ``availability.open_monitor``); what it opens it closes on shutdown."""
    owned: list[Any] = []

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        async with running.state.mcp.session_manager.run():  # the MCP transport at /mcp (api.mcp_server)
            yield
        for resource in owned:
            close = getattr(resource, "close", None)
            if close is not None:
                close()

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from the package's own files
    # (under /static-offline-docs), so they work on a machine without internet.
    app = FastAPIOffline(
        title="AI Server Information",
        version="1",
        description="Every AI model, its offerings and prices (USD per 1M tokens), each value with its source and badge; "
                    "providers' availability.",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_parameters)],
    )
    app.add_middleware(HeadAsGet)
    if (limit := settings().api_rate_limit) is not None:
        parse_limit(limit)  # a malformed setting stops the start-up, not the first request
        app.add_middleware(RateLimit, limit=limit, loopback=settings().api_rate_limit_loopback)
    app.add_middleware(SizeLimits)  # added last: the outermost, refusing before anything runs
    app.state.store = store or store_from_env()
    app.state.home = home or settings().home
    app.state.monitor = monitor or availability.open_monitor(app.state.store, app.state.home)
    owned += [r for r, given in ((app.state.monitor, monitor), (app.state.store, store)) if given is None]
    cache = app.state.response_cache = ResponseCache()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]) or "request", "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        text = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems)
        return _error(422, f"invalid parameters: {text}", problems=problems)

    @app.exception_handler(NoSnapshot)
    async def _no_snapshot(_: Request, exc: NoSnapshot) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(OutdatedSnapshot)
    async def _outdated(_: Request, exc: OutdatedSnapshot) -> JSONResponse:
        return _error(503, str(exc), hint="run `aisi refresh` once: it publishes a snapshot in this version's schema")

    @contextmanager
    def one_snapshot() -> Iterator[Pinned]:
        """Holds the snapshot served now for the block: every ``q`` in it reads that snapshot."""
        with app.state.store.pin() as pinned:
            token = _PINNED.set(pinned)
            try:
                yield pinned
            finally:
                _PINNED.reset(token)

    def pinned_build(target: str, build: Callable[[], tuple[int, Any]]) -> tuple[str, tuple[str, bytes, int]]:
        """A miss, built from one snapshot held for the whole build: the snapshot id keying the
        entry (and so its ETag and X-Snapshot-Id) is the one every query of the build read."""
        with one_snapshot() as pinned:
            key = (pinned.snapshot_id, target)
            return pinned.snapshot_id, cache.get(key) or cache.build(key, build)

    async def cached(request: Request, if_none_match: str | None, build: Callable[[], tuple[int, Any]]) -> Response:
        """A hit is answered on the event loop; a miss queries the store in the thread pool."""
        state: Store = app.state.store
        snapshot = state.snapshot_id()
        # One entry per question, however it is spelt: parameters in a fixed order (names the
        # route does not know were refused before this point).
        target = f"{request.url.path}?{urlencode(sorted(request.query_params.multi_items()))}"
        entry = cache.get((snapshot, target))
        if entry is None:
            snapshot, entry = await run_in_threadpool(pinned_build, target, build)
        etag, body, status = entry
        headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Snapshot-Id": snapshot}
        if status == 200 and etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(content=body, status_code=status, media_type="application/json", headers=headers)

    def reader() -> Store | Pinned:
        """The request's pinned snapshot when it has one, else the store's newest."""
        return _PINNED.get() or app.state.store

    def serving() -> str:
        pinned = _PINNED.get()
        return pinned.snapshot_id if pinned is not None else app.state.store.snapshot_id()

    def q(name: str, **params: Any) -> list[dict[str, Any]]:
        try:
            return reader().query(name, params)
        except Exception as exc:
            if _missing_column(exc):
                raise OutdatedSnapshot(
                    f"the served snapshot ({serving()}) predates this version's schema: {str(exc).splitlines()[0]}"
                ) from exc
            raise

    def page(rows: list[dict[str, Any]], limit: int, offset: int, count: Callable[[], int]) -> dict[str, Any]:
        total = rows[0]["total"] if rows else (count() if offset else 0)
        for row in rows:
            row.pop("total", None)
        return {"items": rows, "total": total, "limit": limit, "offset": offset}

    lookups = LookupCache()

    def optional(name: str) -> list[dict[str, Any]]:
        """Rows of a table the served snapshot may predate (model_aliases, benchmarks): none then."""
        try:
            return q(name)
        except Exception as exc:
            if not _missing_table(exc):
                raise
            return []

    def index() -> LookupIndex:
        """The served snapshot's lookup index (models, their aliases, providers), built once per snapshot."""
        return lookups.get(serving(), lambda: LookupIndex.build(
            q("lookup_models"), optional("lookup_aliases"), [r["model_key"] for r in optional("lookup_keys")], q("providers")))

    reference_cache: SnapshotCache[dict[str, dict[str, Any]]] = SnapshotCache()

    def references() -> dict[str, dict[str, Any]]:
        """model_key -> {price_type: its reference price with provenance and spread}, once per snapshot."""
        def build() -> dict[str, dict[str, Any]]:
            by_model: dict[str, dict[str, Any]] = {}
            for row in optional("reference_prices"):
                by_model.setdefault(row.pop("model_key"), {})[row.pop("price_type")] = row
            return by_model
        return reference_cache.get(serving(), build)

    def unknown(asked: str) -> tuple[int, Any]:
        return 404, {"error": f"unknown model {asked!r}", "hint": "see /api/v1/search?q=...", "suggestions": index().suggest(asked)}

    @app.get("/api/v1/models", summary="List models")
    async def list_models(
        request: Request,
        if_none_match: INM = None,
        provider: Annotated[str | None, Query(min_length=1, description="Only models this provider serves.")] = None,
        creator: Annotated[str | None, Query(min_length=1, description="Only this creator's models (openai, meta...).")] = None,
        search: Annotated[str | None, Query(min_length=1, max_length=200, description="Part of the key or name, any case.")] = None,
        modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="Input or output modality: text, image, audio...")] = None,
        input_modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="A modality the model takes in (image: vision models).")] = None,
        output_modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="A modality the model puts out (image, audio...).")] = None,
        min_context: Annotated[int | None, Query(ge=0, le=MAX_TOKENS, description="Minimum context window in tokens.")] = None,
        max_input_price: Annotated[float | None, Query(ge=0, le=MAX_PRICE, description="Lowest metered input price at most this (USD per 1M tokens).")] = None,
        max_output_price: Annotated[float | None, Query(ge=0, le=MAX_PRICE, description="Lowest metered output price at most this (USD per 1M tokens).")] = None,
        sort: Annotated[ModelSort, Query(description="key (default); price / -price (lowest metered input price, unpriced last); "
                                                     "context / -context; released / -released (release date, unknown last).")] = "key",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response:
        params = dict(provider=provider, creator=creator, search=search, modality=modality, input_modality=input_modality,
                      output_modality=output_modality, min_context=min_context, max_input_price=max_input_price,
                      max_output_price=max_output_price, sort=sort)

        def build() -> tuple[int, Any]:
            params.update(provider=index().provider(provider), creator=index().creator(creator))
            rows = q("models", **params, limit=limit, offset=offset)
            known = references()
            for row in rows:
                prices = known.get(row["model_key"], {})
                row["reference_price"] = {t: prices[t] for t in ("input", "output") if t in prices} or None
            count = lambda: len(q("models", **params, limit=10**9, offset=0))  # noqa: E731
            return 200, page(rows, limit, offset, count)

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/models/{model_key:path}", summary="One model with its offerings and prices")
    async def get_model(request: Request, model_key: Annotated[str, PathParam(description="A model key (openai/gpt-4o) or any spelling: a source id, alias or name (claude-sonnet-4.5, gpt4o)")], if_none_match: INM = None) -> Response:
        asked = model_key

        def build() -> tuple[int, Any]:
            resolved = index().resolve(asked)
            found = q("model", model_key=resolved.model_key) if resolved else []
            if resolved is None or not found:
                return unknown(asked)
            model_key = resolved.model_key
            model = {**found[0], **resolved.describe()}
            prices: dict[tuple[str, str], dict[str, Any]] = {}
            tiers: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for row in q("pricing", provider=None, model=model_key, billing=None, limit=10**6, offset=0):
                key = (row["provider_id"], row["provider_model_id"])
                price = {"usd_per_mtok": row["usd_per_mtok"], "badge": row["badge"], "source": row["source"], "valid_from": row["valid_from"]}
                if row["above_tokens"]:  # a long-context tier: the price for prompts above above_tokens
                    tiers.setdefault(key, []).append({"price_type": row["price_type"], "above_tokens": row["above_tokens"], **price})
                else:
                    prices.setdefault(key, {})[row["price_type"]] = price
            offerings = q("model_offerings", model_key=model_key)
            for offering in offerings:
                offering["prices"] = prices.get((offering["provider_id"], offering["provider_model_id"]), {})
                offering["price_tiers"] = tiers.get((offering["provider_id"], offering["provider_model_id"]), [])
            model["reference_price"] = references().get(model_key) or None
            model["offerings"] = offerings
            model["performance"] = q("model_performance", model_key=model_key)
            model["benchmarks"] = q("model_benchmarks", model_key=model_key)
            model["attribution"] = attribution(model["performance"] + model["benchmarks"] + offerings)
            return 200, model

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/pricing", summary="Current prices, USD per 1M tokens")
    async def pricing(
        request: Request,
        if_none_match: INM = None,
        provider: Annotated[str | None, Query(min_length=1)] = None,
        model: Annotated[str | None, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it.")] = None,
        billing: Annotated[Billing | None, Query(description="metered (pay per token), free_tier or plan (a subscription: its 0 is not a price).")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Response:
        def build() -> tuple[int, Any]:
            resolved = index().resolve(model) if model is not None else None
            if model is not None and resolved is None:
                return unknown(model)
            key, provider_id = resolved.model_key if resolved else None, index().provider(provider)
            rows = q("pricing", provider=provider_id, model=key, billing=billing, limit=limit, offset=offset)
            count = lambda: len(q("pricing", provider=provider_id, model=key, billing=billing, limit=10**9, offset=0))  # noqa: E731
            return 200, {**page(rows, limit, offset, count), **(resolved.describe() if resolved else {})}

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/pricing/compare", summary="One model's prices across its providers, cheapest metered offering first")
    async def pricing_compare(
        request: Request,
        model: Annotated[str, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it (required).")],
        if_none_match: INM = None,
    ) -> Response:
        def build() -> tuple[int, Any]:
            resolved = index().resolve(model)
            if resolved is None:
                return unknown(model)
            rows = q("compare", model=resolved.model_key)
            metered = [r for r in rows if r["billing"] == "metered" and r["input_usd_per_mtok"] is not None]
            cheapest = metered[0]["input_usd_per_mtok"] if metered else None
            for row in rows:
                value = row["input_usd_per_mtok"]
                row["input_vs_cheapest"] = (round(value / cheapest, 4) if cheapest and value is not None and row["billing"] == "metered"
                                            else None)
            reference = references().get(resolved.model_key, {})
            return 200, {**resolved.describe(), "items": rows,
                         "cheapest_metered": metered[0] if metered else None,
                         "reference_price": {t: reference[t] for t in ("input", "output") if t in reference} or None}

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/pricing/history", summary="Price history of a model: every price row with valid_from / valid_to")
    async def pricing_history(
        request: Request,
        model: Annotated[str, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it (required).")],
        if_none_match: INM = None,
        provider: Annotated[str | None, Query(min_length=1, description="Only this provider's offerings.")] = None,
        price_type: Annotated[str | None, Query(pattern="^[a-z_]+$", description="input, output, cached_input, ...")] = None,
    ) -> Response:
        def build() -> tuple[int, Any]:
            resolved = index().resolve(model, catalog_only=False)  # a removed model keeps its history
            if resolved is None:
                return unknown(model)
            rows = q("price_history", model=resolved.model_key, provider=index().provider(provider), price_type=price_type)
            return 200, {"model": resolved.model_key, **resolved.describe(), "items": rows, "total": len(rows)}

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/changes", summary="The change feed: models added / removed, price, context and status changes, new disagreements")
    async def changes(
        request: Request,
        if_none_match: INM = None,
        since: Annotated[str | None, Query(description="ISO date (2026-11-01, midnight UTC) or datetime (2026-11-01T12:00:00Z; naive is UTC).")] = None,
        kind: Annotated[ChangeKind | None, Query(description="One of: " + ", ".join(CHANGE_KINDS) + ".")] = None,
        model: Annotated[str | None, Query(min_length=1, description="A model key, e.g. openai/gpt-4o.")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Response:
        try:
            since_at = parse_since(since)
        except ValueError as exc:
            return _invalid_parameter("since", str(exc))
        params = dict(since=since_at, kind=kind, model=model)

        def build() -> tuple[int, Any]:
            rows = q("changes", **params, limit=limit, offset=offset)
            count = lambda: len(q("changes", **params, limit=10**9, offset=0))  # noqa: E731
            return 200, page(rows, limit, offset, count)

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/benchmarks", summary="Benchmark scores (latest per model, benchmark, variant and source)")
    async def benchmarks(
        request: Request,
        if_none_match: INM = None,
        benchmark: Annotated[str | None, Query(min_length=1, description="e.g. artificial_analysis_intelligence_index, gpqa, lmarena_elo_full")] = None,
        model: Annotated[str | None, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it.")] = None,
        creator: Annotated[str | None, Query(min_length=1, description="A creator in any case (openai, Meta).")] = None,
        sort: Annotated[str, Query(pattern="^(score|score_asc|model)$", description="score (highest first), score_asc or model.")] = "score",
        top: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many rows (the top N by the sort).")] = 50,
        offset: Offset = 0,
    ) -> Response:
        params = dict(benchmark=benchmark, model=model, creator=creator, sort=sort)

        def build() -> tuple[int, Any]:
            # Models the arena scored but no source lists have benchmarks too.
            resolved = index().resolve(model, catalog_only=False) if model is not None else None
            if model is not None and resolved is None:
                return unknown(model)
            params.update(model=resolved.model_key if resolved else None, creator=index().creator(creator))
            rows = q("benchmarks", **params, limit=top, offset=offset)
            count = lambda: len(q("benchmarks", **params, limit=10**9, offset=0))  # noqa: E731
            body = {**page(rows, top, offset, count), **(resolved.describe() if resolved else {})}
            body["attribution"] = attribution(rows)
            return 200, body

        return await cached(request, if_none_match, build)

    @app.get("/api/v1/providers", summary="Providers")
    async def providers(request: Request, if_none_match: INM = None) -> Response:
        return await cached(request, if_none_match, lambda: (200, {"items": q("providers")}))

    @app.get("/api/v1/search", summary="Find models by key, name or any source's id, forgiving case and separators")
    async def search(
        request: Request,
        q_: Annotated[str, Query(alias="q", min_length=1, max_length=200, description="Text to look for: gpt4o, sonnet 4.5, Llama 3.1 70b...")],
        if_none_match: INM = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> Response:
        return await cached(request, if_none_match, lambda: (200, {"query": q_, "items": index().search(q_, limit)}))

    @app.get("/api/v1/status", summary="Sources' health (failed, cached, stale), freshness and badges, the snapshot served, and providers' availability")
    async def status() -> Response:
        def catalog(now: dt.datetime) -> dict[str, Any]:
            try:
                with one_snapshot():
                    snapshot = q("snapshot")
                    sources = q("status_sources")
                    disagreements = quality()
            except Exception as exc:
                if not _no_catalog(exc):
                    raise
                why = str(exc) if isinstance(exc, NoSnapshot) else "no `curated` schema in PostgreSQL"
                return {"snapshot": None, "sources": [], "health": None, "quality": {"source_disagreements": []},
                        "note": f"no catalog published yet ({why}); only provider availability is reported"}
            verdicts = []
            for s in sources:
                last = s.get("last_run_at")
                s["age_seconds"] = round((now - last).total_seconds()) if isinstance(last, dt.datetime) else None
                s["rejected_reasons"] = json.loads(s["rejected_reasons"]) if s.get("rejected_reasons") else {}
                s["unmatched_share"] = round(s["unmatched"] / s["rows"], 4) if s.get("rows") else None
                verdict = source_health(s, now)
                verdicts.append(verdict)
                s.update(healthy=verdict.healthy, stale=verdict.stale, held_back=verdict.held_back,
                         health=verdict.description, cadence=verdict.cadence or None,
                         payload_age_seconds=_seconds(verdict.payload_age), allowed_age_seconds=_seconds(verdict.allowed_age))
            body: dict[str, Any] = {"snapshot": snapshot[0] if snapshot else None, "sources": sources,
                                    "health": summarise(verdicts), "quality": disagreements}
            if not snapshot:
                body["note"] = "no catalog published yet; run `aisi refresh`"
            return body

        def quality() -> dict[str, Any]:
            """Per pair of sources pricing the same offerings: how many they disagree on."""
            try:
                pairs = q("status_quality")
            except Exception as exc:
                if not _missing_table(exc):
                    raise
                return {"source_disagreements": [], "note": "the served snapshot predates the disagreement figure"}
            return {"source_disagreements": pairs, "disagreements_total": sum(int(p["disagreements"]) for p in pairs)}

        def build() -> tuple[int, Any]:
            now = dt.datetime.now(dt.timezone.utc)
            return 200, {**catalog(now), **availability.status_section(app.state.monitor, now)}

        # Ages change every second: computed per request, not cached.
        code, body = await run_in_threadpool(build)
        return Response(content=_dumps(body), status_code=code, media_type="application/json")

    availability.register(app, _dumps)

    @app.post("/api/v1/sync/{source}", status_code=202, summary="Refresh one source now (bearer token)")
    def sync(source: str, authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
        token = settings().api_token
        if not token:
            return _error(403, "manual sync is disabled: set AISI_API_TOKEN on the API server to enable it")
        offered = bearer_token(authorization)
        if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
            return JSONResponse(status_code=401, content={"error": "missing or wrong bearer token"}, headers={"WWW-Authenticate": "Bearer"})
        if source not in SYNCABLE_SOURCES:
            return _error(404, f"unknown source {source!r}", known=list(SYNCABLE_SOURCES))
        try:
            launched = launch_sync(source, app.state.home)
        except SyncBusy as exc:
            return _error(409, str(exc))
        return JSONResponse(status_code=202, content={"status": "launched", **launched.__dict__})

    app.state.mcp = mount_mcp(app)  # MCP tools for AI agents at /mcp, answering from the routes above
    return app
