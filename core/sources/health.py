"""A source's health as an operator sees it: the verdict behind its asset's ``source_health``
check in the Dagster UI and its row in ``/api/v1/status``.

Pure and Dagster-free (the read API uses it). A source is **unhealthy** when its fetch
``failed`` (nothing to serve), or it served its last good payload as ``cached`` (the source
failed, or its fresh payload was held back by the sudden-drop guard), or the payload in use is
**stale**: older than its cadence allows (``core/sources/cadence.py``). ``skipped`` (no key
configured) and ``ok`` are healthy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from core.quality.payload_guard import HELD_BACK
from core.sources import cadence as cadences

UNHEALTHY_STATUSES = ("failed", "cached")


@dataclass(frozen=True)
class SourceHealth:
    """One source's verdict at ``now``."""

    source: str
    status: str  # ok | cached | failed | skipped (the fetch's)
    badge: str | None
    healthy: bool
    stale: bool
    held_back: bool  # cached because the payload guard held the fresh payload back
    description: str
    error: str | None
    http_status: int | None
    payload_fetched_at: datetime | None
    payload_age: timedelta | None
    cadence: str
    allowed_age: timedelta | None

    def metadata(self) -> dict[str, Any]:
        """Plain values for a check result's metadata (no Dagster types here)."""
        return {
            "status": self.status,
            "badge": self.badge or "none",
            "error": self.error or "none",
            "http_status": self.http_status if self.http_status is not None else "none",
            "payload_fetched_at": self.payload_fetched_at.isoformat() if self.payload_fetched_at else "none",
            "payload_age_seconds": round(self.payload_age.total_seconds()) if self.payload_age is not None else "none",
            "stale": self.stale,
            "held_back": self.held_back,
            "cadence": self.cadence or "none",
            "allowed_age_seconds": round(self.allowed_age.total_seconds()) if self.allowed_age is not None else "none",
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}Z"


def assess_source(
    source: str,
    status: str,
    *,
    badge: str | None,
    error: str | None,
    http_status: int | None,
    payload_fetched_at: datetime | None,
    cadence: str,
    now: datetime,
) -> SourceHealth:
    """The verdict for one source's fetch (a FetchOutcome's fields, or a ``source_runs`` row)."""
    held_back = status == "cached" and HELD_BACK in (error or "")
    age = now - payload_fetched_at if payload_fetched_at is not None else None
    try:
        limit = cadences.allowed_age(cadence)
    except ValueError:  # a cadence we cannot read judges nothing as stale
        limit = None
    stale = age is not None and limit is not None and age > limit
    if status == "failed":
        text = f"failed: {error or 'no error recorded'}; no archived payload to serve"
    elif held_back:
        text = f"held back: {error}; serving the last good payload from {_when(payload_fetched_at)} as cached" if payload_fetched_at else f"held back: {error}"
    elif status == "cached":
        served = f"; serving the last good payload from {_when(payload_fetched_at)} as cached" if payload_fetched_at else ""
        text = f"failed: {error or 'no error recorded'}{served}"
    elif status == "skipped":
        text = f"{error or 'skipped'} (not configured: not a failure)"
    elif status == "ok":
        how = f"HTTP {http_status}" if http_status is not None else "read"
        text = f"ok ({'304 not modified' if http_status == 304 else how})" + (f"; note: {error}" if error else "")
    else:
        text = f"{status}: {error or 'unknown status'}"
    if stale:
        assert age is not None and payload_fetched_at is not None
        text += f"; stale: payload from {_when(payload_fetched_at)}, {cadences.describe_age(age)} old, cadence {cadence}"
    return SourceHealth(
        source=source,
        status=status,
        badge=badge,
        healthy=status not in UNHEALTHY_STATUSES and not stale,
        stale=stale,
        held_back=held_back,
        description=text,
        error=error,
        http_status=http_status,
        payload_fetched_at=payload_fetched_at,
        payload_age=age,
        cadence=cadence,
        allowed_age=limit,
    )


def summarise(verdicts: list[SourceHealth]) -> dict[str, Any]:
    """The overall figure of ``/api/v1/status``: healthy when no source failed, is cached or is stale."""
    failed = sorted(v.source for v in verdicts if v.status == "failed")
    cached = sorted(v.source for v in verdicts if v.status == "cached")
    stale = sorted(v.source for v in verdicts if v.stale)
    return {
        "healthy": not (failed or cached or stale),
        "sources": len(verdicts),
        "failed": len(failed),
        "cached": len(cached),
        "stale": len(stale),
        "held_back": sum(1 for v in verdicts if v.held_back),
        "skipped": sum(1 for v in verdicts if v.status == "skipped"),
        "unhealthy_sources": sorted({*failed, *cached, *stale}),
    }


def cadence_of(source: str) -> str:
    """The cron cadence it runs on (its spec's, or AISI_SOURCE_<NAME>_CADENCE); '' for a source the registry does not know."""
    from core.sources.registry import ALL_SOURCES

    return next((m.SPEC.schedule() for m in ALL_SOURCES if m.SPEC.name == source), "")
