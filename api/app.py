"""The read API: models, prices, providers, search and status from the newest snapshot, and
provider availability from the monitor (``api.availability``).

``create_app`` assembles it: the middleware (size limits, rate limit, HEAD), the error
answers, and one router per resource (``api.routes``); what the routes read goes through the
app's ``CatalogReader`` (``api.catalog``: one snapshot per request, answers cached per snapshot).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import availability
from api.catalog import CatalogReader
from api.errors import OutdatedSnapshot, error
from api.events import router as events_router
from api.export import router as export_router
from api.http_rules import HeadAsGet, SizeLimits, reject_unknown_parameters
from api.mcp_server import mount as mount_mcp
from api.rate_limit import RateLimit, parse_limit
from api.routes import availability as availability_routes
from api.routes import feed, models, pricing, providers, status, sync
from api.site import mount_dashboard
from api.store import NoSnapshot, Store, store_from_env
from core.settings import settings

ROUTERS = (models.router, pricing.router, feed.router, providers.router, availability_routes.router, status.router, sync.router,
           events_router, export_router)
TAGS = [
    {"name": "models", "description": "The catalog's models, any spelling of them, and search."},
    {"name": "pricing", "description": "Current prices (USD per 1M tokens), comparisons across providers, history."},
    {"name": "changes", "description": "What changed between publishes."},
    {"name": "benchmarks", "description": "Benchmark scores with their sources."},
    {"name": "providers", "description": "Who serves the models."},
    {"name": "availability", "description": "Providers' uptime, latency, incidents and outages from the monitor."},
    {"name": "status", "description": "The health of every source and of the snapshot served."},
    {"name": "sync", "description": "Refresh a source now (needs the server's bearer token)."},
]


def create_app(store: Store | None = None, home: Path | None = None, monitor: availability.Monitor | None = None) -> FastAPI:
    """The API over ``store`` (default: from the environment) and the availability ``monitor``
    (default: beside the store, see ``availability.open_monitor``); what it opens it closes on shutdown."""
    owned: list[Any] = []

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        async with running.state.mcp.running():  # the MCP transport at /mcp (api.mcp_server)
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
        openapi_tags=TAGS,
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
    catalog = app.state.catalog = CatalogReader(app.state.store)
    app.state.response_cache = catalog.cache

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]) or "request", "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        text = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems)
        return error(422, f"invalid parameters: {text}", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """The framework's own refusals (no such path, method not allowed) in the API's shape."""
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)}, headers=exc.headers)

    @app.exception_handler(NoSnapshot)
    async def _no_snapshot(_: Request, exc: NoSnapshot) -> JSONResponse:
        return error(503, str(exc))

    @app.exception_handler(OutdatedSnapshot)
    async def _outdated(_: Request, exc: OutdatedSnapshot) -> JSONResponse:
        return error(503, str(exc), hint="run `aisi refresh` once: it publishes a snapshot in this version's schema")

    for router in ROUTERS:
        app.include_router(router)
    app.state.mcp = mount_mcp(app)  # MCP tools for AI agents at /mcp, answering from the routes above
    mount_dashboard(app)  # the dashboard for people at / (api/site.py)
    return app
