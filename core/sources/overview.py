"""Every source as ``aisi sources`` shows it: its spec (kind, cadence, URL variable and the URL in
use, key variables and whether one is set; never a key's value) and its newest run from the
warehouse's ``source_runs`` (or, while the warehouse is busy or absent, the latest snapshot's):
last run, status, badge, payload age against its cadence, rows, whether it was forced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from core.paths import LATEST_SNAPSHOT, WAREHOUSE_FILE, snapshots_dir
from core.settings import settings
from core.sources.health import assess_source
from core.sources.registry import ALL_SOURCES
from core.sources.spec import is_chosen
from core.sqlfiles import as_dicts, duckdb_sql, postgres_sql

RUNS_QUERY = "ops/source_runs_latest.sql"


@dataclass(frozen=True)
class SourceLine:
    """One source: its configuration and its newest run (None fields: never run)."""

    name: str
    kind: str
    cadence: str
    url_variable: str
    url: str
    key_variables: tuple[str, ...]
    key_set: bool | None  # None: the source takes no key
    chosen: bool  # not left out by AISI_SOURCES
    last_run: datetime | None
    status: str | None
    badge: str | None
    rows: int | None
    forced: bool
    payload_age_s: float | None
    healthy: bool | None
    health: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "cadence": self.cadence, "url_variable": self.url_variable, "url": self.url,
            "key_variables": list(self.key_variables), "key_set": self.key_set, "chosen": self.chosen,
            "last_run": self.last_run.isoformat() if self.last_run else None, "status": self.status, "badge": self.badge,
            "rows": self.rows, "forced": self.forced, "payload_age_s": self.payload_age_s, "healthy": self.healthy,
            "health": self.health,
        }


def _read_runs(home: Path, database_url: str | None) -> tuple[list[dict[str, Any]], str]:
    """The newest run of each source and where it was read from ('' when nowhere)."""
    if database_url:
        import psycopg

        with psycopg.connect(database_url, options="-c search_path=curated") as conn, conn.cursor() as cur:
            try:
                return as_dicts(cur.execute(postgres_sql(RUNS_QUERY))), "PostgreSQL schema curated"
            except psycopg.errors.UndefinedTable:
                return [], ""
    import duckdb

    for path in (home / WAREHOUSE_FILE, snapshots_dir(home) / LATEST_SNAPSHOT):
        if not path.exists():
            continue
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                return as_dicts(con.execute(duckdb_sql(RUNS_QUERY))), str(path)
        except duckdb.Error:  # held by a refresh writing it, or from before source_runs: the next
            continue
    return [], ""


def _when(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def source_lines(home: Path, database_url: str | None, now: datetime) -> tuple[list[SourceLine], str]:
    """Every source (the registry's 21) with its newest run, and where the runs were read from."""
    runs, location = _read_runs(home, database_url)
    newest = {str(r["source"]): r for r in runs}
    lines = []
    for module in ALL_SOURCES:
        spec = module.SPEC
        cadence = spec.schedule()
        run = newest.get(spec.name)
        key_set = any(settings().raw(name) for name in spec.key_env) if spec.key_env else None
        verdict = None
        if run is not None:
            http_status = run.get("http_status")
            verdict = assess_source(
                spec.name, str(run["status"]), badge=run.get("badge"), error=run.get("error"),
                http_status=None if http_status is None or pd.isna(http_status) else int(http_status),
                payload_fetched_at=_when(run.get("payload_fetched_at")), cadence=cadence, now=now,
            )
        lines.append(SourceLine(
            name=spec.name, kind=spec.kind, cadence=cadence, url_variable=spec.url_variable, url=spec.url(),
            key_variables=spec.key_env, key_set=key_set, chosen=is_chosen(spec.name),
            last_run=_when(run.get("started_at")) if run else None,
            status=str(run["status"]) if run else None, badge=run.get("badge") if run else None,
            rows=int(run["rows"]) if run and run.get("rows") is not None else None,
            forced=bool(run.get("forced")) if run else False,
            payload_age_s=verdict.payload_age.total_seconds() if verdict and verdict.payload_age is not None else None,
            healthy=verdict.healthy if verdict else None, health=verdict.description if verdict else None,
        ))
    return lines, location
