"""Availability figures: the uptime rollup over 30 days x 1-minute probes x 50 targets
(2.16 M rows) in DuckDB and in PostgreSQL, from the rollups (the view availability_uptime) and from
the raw checks (what the view computed before the rollups), and the wall time of one probe / status
run."""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

TARGETS = 50
DAYS = 30
PG_ADMIN_URL = os.environ.get("AISI_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
VIEW = "monitor/queries/uptime.sql"
RAW = "monitor/bench/uptime_raw.sql"
COUNTED = ("checks", "up_checks", "uptime_pct", "last_checked_at")


@dataclass
class Timing:
    name: str
    rows: int
    load_s: float
    first_ms: float
    median_ms: float
    result_rows: int


@dataclass
class Comparison:
    """The view against the raw checks: the migrations that built the rollups (backfill; in
    PostgreSQL also the index on the checks' time, and ANALYZE), the raw query's time, and how far
    the view's answers are from the raw ones (read in one transaction)."""

    name: str
    rollups: int
    migrate_s: float
    raw_median_ms: float
    view_median_ms: float
    counts_equal: bool
    p50_max_diff_pct: float
    p95_max_diff_pct: float


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times), result


def _keyed(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(r["provider_id"], r["period"]): r for r in rows}


def _counts_equal(view: Sequence[Mapping[str, Any]], raw: Sequence[Mapping[str, Any]]) -> bool:
    """The same providers and periods, with the same checks, up_checks, uptime_pct and last_checked_at."""
    v, r = _keyed(view), _keyed(raw)
    return v.keys() == r.keys() and all(v[k][c] == r[k][c] for k in v for c in COUNTED)


def _max_diff_pct(view: Sequence[Mapping[str, Any]], raw: Sequence[Mapping[str, Any]], column: str) -> float:
    """The largest difference of ``column`` between the view's rows and the raw ones, in % of the raw value."""
    v, r = _keyed(view), _keyed(raw)
    diffs = [abs(float(v[k][column]) - float(r[k][column])) / float(r[k][column]) for k in v if r[k][column]]
    return 100 * max(diffs, default=0.0)


def _measure(store: Any, label: str, load: Callable[[], None], migrate: Callable[[], None],
             repeat: int) -> tuple[Timing, Comparison]:
    """Loads the checks, lets the rollups migration backfill them, then times the view and the raw query."""
    started = time.perf_counter()
    load()
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    migrate()
    migrate_s = time.perf_counter() - started
    rows = store.query("monitor/queries/count_checks.sql")[0]["n"]
    first, median, result = _timed(lambda: store.query(VIEW), repeat)
    if len(result) != TARGETS * 4:
        raise SystemExit(f"{label}: uptime rollup returned {len(result)} rows, expected {TARGETS * 4}")
    _, raw_median, _ = _timed(lambda: store.query(RAW), repeat)
    view, raw = store.query_together([VIEW, RAW])
    counts_equal = _counts_equal(view, raw)
    comparison = Comparison(label, int(store.query("monitor/bench/count_rollups.sql")[0]["n"]), migrate_s, raw_median, median,
                            counts_equal, _max_diff_pct(view, raw, "p50_ms"), _max_diff_pct(view, raw, "p95_ms"))
    return Timing(label, int(rows), load_s, first, median, len(result)), comparison


def rollups(home: Path, repeat: int = 5) -> list[tuple[Timing, Comparison]]:
    """Loads the same synthetic series into both stores (as a store from before the rollups holds
    it; the rollups migration then backfills them) and times the uptime view and the raw query."""
    from core.stores.monitor import ROLLUPS_MIGRATION, DuckDBMonitorStore, PostgresMonitorStore, duckdb_schema

    now = datetime.now(timezone.utc)
    params = {"now": now, "minutes": DAYS * 1440, "targets": TARGETS}
    path = home / "monitor" / "monitor.duckdb"
    duck = DuckDBMonitorStore(path)
    before = DuckDBMonitorStore(path, schema=duckdb_schema(before=ROLLUPS_MIGRATION))
    results = [_measure(duck, "duckdb", lambda: before.execute("monitor/bench/generate_checks.sql", params), duck.migrate, repeat)]

    import psycopg
    from psycopg import sql

    from core.paths import read_sql

    name = f"aisi_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        print(f"  postgres: skipped ({PG_ADMIN_URL} not reachable: {exc})")
        return results
    pg = PostgresMonitorStore(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    try:
        pg.migrate(before=ROLLUPS_MIGRATION)

        def load_pg() -> None:
            pg.ensure_partitions((now - timedelta(days=DAYS + 1)).date(), DAYS + 3)
            pg.execute("monitor/bench/generate_checks.sql", params)

        def migrate_pg() -> None:
            pg.migrate()
            # What autovacuum would have done to 30 days of rows (VACUUM cannot run in a transaction).
            with psycopg.connect(pg.url, autocommit=True, options="-c search_path=monitor") as conn:
                conn.execute(read_sql("monitor/bench/analyze.sql"))

        results.append(_measure(pg, "postgres", load_pg, migrate_pg, repeat))
    finally:
        pg.close()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    return results


@dataclass
class RunTiming:
    name: str
    targets: int
    median_s: float
    max_s: float
    dagster_s: float  # Dagster's own start-to-end of the run (RunStats), median


def monitor_runs(home: Path, repeat: int = 5) -> list[RunTiming]:
    """probe_job (50 local targets) and status_job (8 local pages) in-process on a SQLite
    instance, as the per-minute schedules run them; and one `aisi monitor --once` cycle."""
    import dagster as dg

    from tests.replay import ReplayServer

    summary = json.dumps({"page": {"id": "p"}, "status": {"indicator": "none", "description": "ok"}, "components": [], "incidents": []}).encode()
    incidents = json.dumps({"page": {"id": "p"}, "incidents": []}).encode()
    with ReplayServer() as server:
        config: dict[str, dict[str, Any]] = {}
        for j in range(TARGETS):
            server.add(f"/t{j}/models", b'{"data":[]}')
            config[f"target-{j}"] = {"name": f"target {j}", "probe_url": f"{server.url}/t{j}/models"}
        for j in range(8):
            server.add(f"/s{j}/api/v2/summary.json", summary)
            server.add(f"/s{j}/api/v2/incidents.json", incidents)
            config[f"target-{j}"]["status_page"] = f"{server.url}/s{j}"
        from core.availability.targets import load_targets

        defaults = [p.provider_id for p in load_targets({})]
        config.update({pid: {"enabled": False} for pid in defaults})
        home.mkdir(parents=True, exist_ok=True)
        user = home / "monitor-bench.yaml"
        user.write_text(json.dumps({"providers": config}), encoding="utf-8")  # JSON is YAML
        os.environ.update({"AISI_HOME": str(home), "AISI_MONITOR_CONFIG": str(user)})
        os.environ.pop("AISI_DATABASE_URL", None)

        from pipelines.definitions import build_definitions

        defs = build_definitions()
        results = []
        from pipelines.cli import prepare_instance

        prepare_instance()  # $AISI_HOME/dagster with the project's dagster.yaml: SQLite storage
        with dg.DagsterInstance.get() as instance:
            for job_name, targets in (("probe_job", TARGETS), ("status_job", 8)):
                job = defs.resolve_job_def(job_name)
                walls, inner = [], []
                for _ in range(repeat):
                    started = time.perf_counter()
                    result = job.execute_in_process(instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
                    walls.append(time.perf_counter() - started)
                    if not result.success:
                        raise SystemExit(f"{job_name} failed")
                    stats = instance.get_run_stats(result.run_id)
                    inner.append((stats.end_time or 0) - (stats.start_time or 0))
                results.append(RunTiming(job_name, targets, statistics.median(walls), max(walls), statistics.median(inner)))

        from pipelines.monitor.loop import run_cycle

        walls = []
        for _ in range(repeat):
            started = time.perf_counter()
            report = run_cycle()
            walls.append(time.perf_counter() - started)
        if report.probes != TARGETS:
            raise SystemExit(f"monitor cycle probed {report.probes} targets, expected {TARGETS}")
        results.append(RunTiming("monitor --once (in-process)", TARGETS, statistics.median(walls), max(walls), float("nan")))
    return results


def report(home: Path) -> None:
    print(f"availability: uptime rollup (view availability_uptime, 4 periods x {TARGETS} targets) over "
          f"{DAYS} days x 1-minute probes x {TARGETS} targets")
    print(f"  {'store':<10} {'rows':>9} {'load_s':>7} {'first_ms':>9} {'median_ms':>10}")
    measured = rollups(home / "rollup")
    for t, _ in measured:
        print(f"  {t.name:<10} {t.rows:>9} {t.load_s:>7.1f} {t.first_ms:>9.1f} {t.median_ms:>10.1f}")
    print(f"availability: the view (hourly and daily rollups) against the same rollup from the raw checks "
          f"({RAW}, the view before the rollups), read in one transaction")
    print(f"  {'store':<10} {'rollups':>8} {'migrate_s':>9} {'raw_ms':>9} {'view_ms':>8} {'speedup':>8} "
          f"{'counts_equal':>12} {'p50_max_diff_%':>14} {'p95_max_diff_%':>14}")
    for _, c in measured:
        print(f"  {c.name:<10} {c.rollups:>8} {c.migrate_s:>9.1f} {c.raw_median_ms:>9.1f} {c.view_median_ms:>8.1f} "
              f"{c.raw_median_ms / c.view_median_ms:>7.1f}x {'yes' if c.counts_equal else 'NO':>12} "
              f"{c.p50_max_diff_pct:>14.3f} {c.p95_max_diff_pct:>14.3f}")
    print("availability: one monitor run against local servers (median of 5; embedded SQLite instance)")
    print(f"  {'run':<28} {'targets':>7} {'wall_s':>7} {'max_s':>6} {'dagster_run_s':>13}")
    for r in monitor_runs(home / "runs"):
        print(f"  {r.name:<28} {r.targets:>7} {r.median_s:>7.2f} {r.max_s:>6.2f} {r.dagster_s:>13.2f}")
