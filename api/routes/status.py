"""``/api/v1/status``: sources' health, the snapshot served, and providers' availability."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import availability
from api.catalog import CatalogReader
from api.encoding import dumps
from api.errors import missing_table, no_catalog
from api.schemas import INVALID, REFUSED, Status
from api.store import NoSnapshot
from core.sources.health import SourceHealth, assess_source, cadence_of, summarise

router = APIRouter(prefix="/api/v1", tags=["status"])


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


def quality(catalog: CatalogReader) -> dict[str, Any]:
    """Per pair of sources pricing the same offerings: how many they disagree on."""
    try:
        pairs = catalog.q("status_quality")
    except Exception as exc:
        if not missing_table(exc):
            raise
        return {"source_disagreements": [], "note": "the served snapshot predates the disagreement figure"}
    return {"source_disagreements": pairs, "disagreements_total": sum(int(p["disagreements"]) for p in pairs)}


def catalog_section(catalog: CatalogReader, now: dt.datetime) -> dict[str, Any]:
    """The snapshot served and each source's health; a note instead when nothing is published."""
    try:
        with catalog.one_snapshot():
            snapshot = catalog.q("snapshot")
            sources = catalog.q("status_sources")
            disagreements = quality(catalog)
    except Exception as exc:
        if not no_catalog(exc):
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


@router.get("/status", response_model=Status, responses={**INVALID, **REFUSED},
            summary="Sources' health (failed, cached, stale), freshness and badges, the snapshot served, and providers' availability")
async def status(request: Request) -> Response:
    """Computed per request (ages change every second), never cached; answers even before the
    first publish, with a note."""
    catalog: CatalogReader = request.app.state.catalog

    def build() -> dict[str, Any]:
        now = dt.datetime.now(dt.timezone.utc)
        return {**catalog_section(catalog, now), **availability.status_section(request.app.state.monitor, now)}

    return Response(content=dumps(await run_in_threadpool(build)), media_type="application/json")
