"""One monitor cycle: read the status pages, probe the providers, keep the store tidy, alert.

The Dagster assets (``pipelines.monitor.assets``) and ``aisi monitor`` both call these, so
the per-minute jobs and the daemon-less monitor do exactly the same work.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Any, Callable, Mapping, Sequence

from core.availability.targets import MonitoredProvider

STATUS_MEMO = "status_pages"  # monitor_state key: each page's ETags and last indicator
HOUSEKEEPING_DAY = "housekeeping_day"
ALERT_CURSOR = "alert_cursor"  # used by `aisi monitor` (the Dagster sensor keeps its own cursor)


@dataclass
class StatusCycle:
    readings: list[Any] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, str]:
        return {r.provider_id: r.error for r in self.readings if r.error}


def status_cycle(store: Any, providers: Sequence[MonitoredProvider], now: datetime, timeout_s: float = 10.0) -> StatusCycle:
    """Reads every configured status page (conditionally, with the ETags seen last time) and records it."""
    import httpx

    from core.availability.status_pages import read_status_page

    pages = [p for p in providers if p.status_page]
    memo: dict[str, Any] = store.get_state(STATUS_MEMO) or {}
    cycle = StatusCycle()
    if not pages:
        return cycle
    with httpx.Client(timeout=timeout_s, follow_redirects=True, headers={"user-agent": "ai-server-information-monitor"}) as client:
        with ThreadPoolExecutor(max_workers=min(8, len(pages))) as pool:
            cycle.readings = list(pool.map(lambda p: read_status_page(p, client, memo.get(p.provider_id), now, timeout_s), pages))
    for reading in cycle.readings:
        store.record_status(reading)
        memo[reading.provider_id] = reading.memo()
    store.set_state(STATUS_MEMO, memo, now)
    return cycle


@dataclass
class ProbeCycle:
    rows: list[dict[str, Any]]
    notes: list[str]

    @property
    def failed(self) -> dict[str, str]:
        return {r["provider_id"]: str(r.get("error_kind")) for r in self.rows if not r["up"]}


def probe_cycle(store: Any, providers: Sequence[MonitoredProvider], key_for: Callable[[MonitoredProvider], str | None],
                now: datetime, timeout_s: float = 10.0, canary: Any = None) -> ProbeCycle:
    """Probes every provider once (concurrently) and, when configured, runs the canaries."""
    from core.availability.probes import run_probes

    targets = [(p.probe, key_for(p)) for p in providers if p.probe is not None]
    rows = run_probes(targets, now, timeout_s=timeout_s) if targets else []
    notes: list[str] = []
    if canary is not None:
        from core.availability.canary import run_canaries

        day_start = datetime.combine(now.astimezone(timezone.utc).date(), time(), timezone.utc)
        used = int(store.query("monitor/queries/canary_tokens_since.sql", {"since": day_start})[0]["tokens"] or 0)
        keys = {p.provider_id: key_for(p) for p in providers}
        canary_rows, notes = run_canaries(canary, keys, used, now)
        rows += canary_rows
    store.append_checks(rows)
    return ProbeCycle(rows, notes)


def housekeeping(store: Any, now: datetime, keep_days: int) -> dict[str, int] | None:
    """Once per UTC day: retention (and, embedded, the Parquet export of closed days)."""
    today = now.astimezone(timezone.utc).date().isoformat()
    if store.get_state(HOUSEKEEPING_DAY) == today:
        return None
    done = store.retention(now, keep_days)
    store.set_state(HOUSEKEEPING_DAY, today, now)
    return done


def keys_from(environ: Mapping[str, str]) -> Callable[[MonitoredProvider], str | None]:
    from core.availability.targets import provider_key

    return lambda provider: provider_key(provider, environ)
