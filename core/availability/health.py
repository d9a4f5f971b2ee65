"""Each provider's current state, from its newest probes and status-page readings.

A provider is **down** when its last ``down_after`` probes all failed (no HTTP answer or a 5xx),
or when its status page says ``major`` or ``critical``; ``since`` is when that began.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

LOOKBACK = timedelta(days=1)


def down_after_from_env() -> int:
    """``AISI_MONITOR_DOWN_AFTER``: failed probes in a row that make a provider down (default 3)."""
    from core.settings import settings

    return settings().monitor_down_after


@dataclass(frozen=True)
class ProviderHealth:
    provider_id: str
    state: str  # up, degraded (page says minor/maintenance, or the last probe failed), down, unknown
    down: bool
    since: datetime | None  # when the current down state began
    reason: str
    last_checked_at: datetime | None
    last_probe: dict[str, Any] | None
    page_indicator: str | None
    page_description: str | None
    open_incidents: int
    consecutive_failures: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess(probes: Sequence[dict[str, Any]], pages: Sequence[dict[str, Any]], provider_ids: Sequence[str],
           down_after: int) -> dict[str, ProviderHealth]:
    """Health of each provider in ``provider_ids`` (plus any other the rows mention), from the
    ``latest_probes.sql`` and ``latest_pages.sql`` rows."""
    by_probe = {r["provider_id"]: r for r in probes}
    by_page = {r["provider_id"]: r for r in pages}
    result: dict[str, ProviderHealth] = {}
    for pid in dict.fromkeys([*provider_ids, *by_probe, *by_page]):
        probe, page = by_probe.get(pid), by_page.get(pid)
        failures = int(probe["consecutive_failures"]) if probe else 0
        indicator = page.get("indicator") if page else None
        reasons: list[str] = []
        starts: list[datetime] = []
        if probe and failures >= down_after:
            kind = probe.get("error_kind") or "error"
            reasons.append(f"{failures} probes in a row failed (last: {kind}{', HTTP ' + str(probe['http_status']) if probe.get('http_status') else ''})")
            starts.append(probe["failing_since"])
        if page and page.get("severe_since") is not None:
            reasons.append(f"status page says {indicator}: {page.get('description') or 'no description'}")
            starts.append(page["severe_since"])
        if reasons:
            state, down, reason = "down", True, "; ".join(reasons)
        elif (probe and not probe["up"]) or indicator in ("minor", "maintenance"):
            state, down = "degraded", False
            reason = (f"last probe failed ({probe.get('error_kind')})" if probe and not probe["up"]
                      else f"status page says {indicator}: {page.get('description') if page else ''}")
        elif probe or page:
            state, down, reason = "up", False, "probes answered" if probe else "status page operational"
        else:
            state, down, reason = "unknown", False, "not checked yet"
        times = [t for t in (probe.get("checked_at") if probe else None, page.get("checked_at") if page else None) if t]
        result[pid] = ProviderHealth(
            provider_id=pid, state=state, down=down, since=min(starts) if starts else None, reason=reason,
            last_checked_at=max(times) if times else None,
            last_probe={k: probe.get(k) for k in ("checked_at", "up", "state", "error_kind", "http_status", "latency_ms", "detail")} if probe else None,
            page_indicator=indicator, page_description=page.get("description") if page else None,
            open_incidents=int(page["open_incidents"]) if page else 0, consecutive_failures=failures,
        )
    return result


def current_health(store: Any, provider_ids: Sequence[str], now: datetime, down_after: int) -> dict[str, ProviderHealth]:
    """Reads the store and assesses every provider."""
    since = now - LOOKBACK
    probes = store.query("monitor/queries/latest_probes.sql", {"since": since})
    pages = store.query("monitor/queries/latest_pages.sql", {"since": since})
    return assess(probes, pages, provider_ids, down_after)
