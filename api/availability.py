"""Provider availability in the read API: each provider's health in ``/api/v1/status`` and
``GET /api/v1/providers/{provider_id}/availability`` (its route: ``api.routes.availability``).

Reads the availability monitor's store (``core.stores.monitor``): the embedded DuckDB file
``$AISI_HOME/monitor/monitor.duckdb``, or schema ``monitor`` in PostgreSQL when the catalog is
served from PostgreSQL. Needs neither a catalog snapshot nor Dagster. The data changes with every
probe, so nothing here is cached; availability responses carry an ETag (a hash of the body) and
answer ``If-None-Match`` with 304.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping, Protocol, Sequence

from core.availability.health import ProviderHealth, assess, current_health, down_after_from_env
from core.availability.targets import MonitorConfigError, load_targets
from core.sqlfiles import as_dicts, duckdb_sql
from core.stores.monitor import DuckDBMonitorStore, MonitorStore, open_monitor_store

QUERIES = "monitor/queries"
Window = Literal["1h", "24h", "7d", "30d"]
# window -> (its length, the series' bucket), in seconds
WINDOWS: dict[str, tuple[int, int]] = {"1h": (3600, 60), "24h": (86400, 900), "7d": (604800, 3600), "30d": (2592000, 21600)}
STATUS_PERIODS = ("24h", "7d", "30d")
HEALTH_FIELDS = ("state", "since", "reason", "last_checked_at", "last_probe", "page_indicator", "page_description",
                 "consecutive_failures")


class Reader(Protocol):
    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


class _Nothing:
    """What the monitor has before its first write: no rows."""

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return []


class _DuckDBReader:
    """Every query of one request on one read-only connection (one open of the file, one view of it)."""

    def __init__(self, connection: Any):
        self.connection = connection

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self.connection.execute(duckdb_sql(relative), dict(params or {}))
        return as_dicts(result)


class Monitor:
    """The API's handle on the monitor store, made once per app.

    DuckDB: the file is opened read-only per request (the monitor writes it between requests).
    PostgreSQL: the store's connection pool lives as long as the app; until the monitor schema
    is migrated every read is empty (checked until it is there, then no more).
    """

    def __init__(self, store: MonitorStore):
        self.store = store
        self._ready = False

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A reader for one request."""
        store = self.store
        if isinstance(store, DuckDBMonitorStore):
            if not store.exists():
                yield _Nothing()
                return
            with store.connect(read_only=True) as connection:
                yield _DuckDBReader(connection)
            return
        if not self._ready:
            rows = store.query(f"{QUERIES}/ready.sql")
            self._ready = bool(rows and rows[0]["ready"])
        yield store if self._ready else _Nothing()

    def close(self) -> None:
        self.store.close()


def open_monitor(catalog_store: Any, home: Path) -> Monitor:
    """The monitor store beside the catalog ``catalog_store``: PostgreSQL (same URL) when the
    catalog is served from PostgreSQL, else ``<home>/monitor/monitor.duckdb``."""
    from api.store import PostgresStore

    url = catalog_store.pool.conninfo if isinstance(catalog_store, PostgresStore) else ""
    return Monitor(open_monitor_store(home=home, database_url=url))


# -- payloads ------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """Decimal (PostgreSQL's numeric) and DuckDB's doubles alike as a float; None stays None."""
    if value is None:
        return None
    return float(value) if isinstance(value, (Decimal, float, int)) else value


@dataclass(frozen=True)
class Configured:
    """The configured providers (id -> display name), or why the configuration cannot be read."""

    names: dict[str, str]
    error: str | None = None


def configured_providers() -> Configured:
    """From ``config/monitor.yaml`` and ``AISI_MONITOR_CONFIG``; a broken file is reported, not raised."""
    try:
        return Configured({p.provider_id: p.name for p in load_targets()})
    except MonitorConfigError as exc:
        return Configured({}, str(exc))


def health_dict(health: ProviderHealth) -> dict[str, Any]:
    """The public fields of one provider's health."""
    values = health.as_dict()
    return {k: values[k] for k in HEALTH_FIELDS}


def uptime_row(row: Mapping[str, Any] | None) -> dict[str, Any]:
    """checks, up_checks, uptime_pct, p50_ms, p95_ms; zero checks when there was no row."""
    if row is None:
        return {"checks": 0, "up_checks": 0, "uptime_pct": None, "p50_ms": None, "p95_ms": None}
    return {"checks": int(row["checks"]), "up_checks": int(row["up_checks"]), "uptime_pct": _number(row["uptime_pct"]),
            "p50_ms": _number(row["p50_ms"]), "p95_ms": _number(row["p95_ms"])}


def incident_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """An open incident as ``/api/v1/status`` lists it."""
    return {"id": row["incident_id"], "name": row["name"], "impact": row["impact"], "status": row["status"],
            "started_at": row["started_at"], "shortlink": row["shortlink"]}


def provider_statuses(reader: Reader, configured: Mapping[str, str], now: dt.datetime,
                      down_after: int) -> list[dict[str, Any]]:
    """One entry per monitored provider for ``/api/v1/status``: the configured ones in order,
    then any other the store knows (by id)."""
    health = current_health(reader, list(configured), now, down_after)
    uptime: dict[str, dict[str, Mapping[str, Any]]] = {}
    for row in reader.query(f"{QUERIES}/uptime.sql"):
        uptime.setdefault(row["provider_id"], {})[row["period"]] = row
    incidents: dict[str, list[dict[str, Any]]] = {}
    for row in reader.query(f"{QUERIES}/open_incidents.sql"):
        incidents.setdefault(row["provider_id"], []).append(incident_summary(row))
    others = sorted(({*health, *uptime, *incidents}) - set(configured))
    entries = []
    for pid in [*configured, *others]:
        h = health.get(pid) or assess([], [], [pid], down_after)[pid]
        periods = uptime.get(pid, {})
        day = uptime_row(periods.get("24h"))
        entries.append({
            "provider_id": pid,
            "name": configured.get(pid, pid),
            "configured": pid in configured,
            **health_dict(h),
            "uptime": {p: uptime_row(periods.get(p))["uptime_pct"] for p in STATUS_PERIODS},
            "latency_24h": {"p50_ms": day["p50_ms"], "p95_ms": day["p95_ms"]},
            "open_incidents": incidents.get(pid, []),
        })
    return entries


def status_section(monitor: Monitor, now: dt.datetime) -> dict[str, Any]:
    """What ``/api/v1/status`` adds: ``providers`` (and ``monitor_config_error`` when the monitor
    configuration cannot be read; the providers the store knows are still listed)."""
    configured = configured_providers()
    with monitor.reading() as reader:
        section: dict[str, Any] = {"providers": provider_statuses(reader, configured.names, now, down_after_from_env())}
    if configured.error:
        section["monitor_config_error"] = configured.error
    return section


def fill_series(rows: Sequence[Mapping[str, Any]], now: dt.datetime, seconds: int, bucket: int) -> list[dict[str, Any]]:
    """Every bucket from the one holding ``now - seconds`` to the one holding ``now``, oldest
    first; those without probes have zero checks."""
    by_start = {int(r["bucket_start"].timestamp()): r for r in rows}
    last = int(now.timestamp()) // bucket * bucket
    first = (int(now.timestamp()) - seconds) // bucket * bucket
    starts = sorted({*range(first, last + 1, bucket), *by_start})
    return [{"start": dt.datetime.fromtimestamp(s, dt.timezone.utc), **uptime_row(by_start.get(s))} for s in starts]


def provider_known(reader: Reader, provider_id: str, configured: Mapping[str, str]) -> bool:
    """Configured for monitoring, or the store has a row about it."""
    if provider_id in configured:
        return True
    rows = reader.query(f"{QUERIES}/provider_known.sql", {"provider_id": provider_id})
    return bool(rows and rows[0]["known"])


def availability(reader: Reader, provider_id: str, window: str, now: dt.datetime, down_after: int,
                 name: str | None = None) -> dict[str, Any]:
    """The body of ``/api/v1/providers/{provider_id}/availability?window=...``."""
    seconds, bucket = WINDOWS[window]
    params = {"provider_id": provider_id, "seconds": seconds}
    uptime = reader.query(f"{QUERIES}/provider_uptime.sql", {"provider_id": provider_id, "period": window})
    series = reader.query(f"{QUERIES}/availability_series.sql", {**params, "bucket": bucket})
    incidents = [
        {"id": r["incident_id"], "name": r["name"], "status": r["status"], "impact": r["impact"], "started_at": r["started_at"],
         "resolved_at": r["resolved_at"], "shortlink": r["shortlink"], "checks": int(r["checks"]),
         "failed_checks": int(r["failed_checks"]), "seen_by_probes": r["seen_by_probes"]}
        for r in reader.query(f"{QUERIES}/incidents_in_window.sql", params)
    ]
    outages = [
        {**r, "failed_checks": int(r["failed_checks"]), "incidents": int(r["incidents"])}
        for r in reader.query(f"{QUERIES}/outages_in_window.sql", params)
    ]
    health = current_health(reader, [provider_id], now, down_after)[provider_id]
    return {
        "provider_id": provider_id,
        "name": name or provider_id,
        "window": window,
        "bucket_seconds": bucket,
        "uptime": uptime_row(uptime[0] if uptime else None),
        "series": fill_series(series, now, seconds, bucket),
        "incidents": incidents,
        "outages": outages,
        "state": health_dict(health),
    }
