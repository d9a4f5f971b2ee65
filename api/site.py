"""The dashboard: a page for people at ``/``, built from the static files in ``api/dashboard/``
(an HTML page, a small JavaScript app, CSS and the vendored uPlot chart library) served under
``/dashboard/``. No build step and nothing from the internet: the app reads only the public JSON
API (``/api/v1/...``) and follows ``/api/v1/events`` for live updates.

Both routes are plain Starlette routes left out of ``/openapi.json``: they are pages, not API
operations, and they answer GET and HEAD (``HeadAsGet``) whatever the query string (the app keeps
its own state in the URL's fragment, never in query parameters)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

DASHBOARD_DIR = Path(__file__).parent / "dashboard"
ASSETS_PATH = "/dashboard"


async def index(_: Request) -> FileResponse:
    """The dashboard's single page; its views live behind ``#/...`` in the URL."""
    return FileResponse(DASHBOARD_DIR / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


def mount_dashboard(app: Starlette) -> None:
    """Serves the dashboard on ``app``: its page at ``/`` and its files under ``/dashboard/``."""
    app.router.routes.append(Route("/", endpoint=index, methods=["GET"], include_in_schema=False))
    app.router.routes.append(Mount(ASSETS_PATH, app=StaticFiles(directory=DASHBOARD_DIR), name="dashboard"))
