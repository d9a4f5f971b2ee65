"""The availability rollups (sql/monitor/migrations/0005_rollups.sql) against the raw checks, on the
embedded DuckDB store and on PostgreSQL: the uptime view, read from hourly and daily rollups plus
the raw checks of each period's partial first hour, gives the answers the raw checks give
(sql/monitor/bench/uptime_raw.sql, the view as it was before the rollups). Both are read in one
transaction, so they see the same now().

The dataset has three dense providers (a probe a minute for 40 days, loaded before the rollups
migration, which backfills them), and, written through the store afterwards: probes on hour and
day boundaries, a sparse provider with gaps and latencies beyond the histogram's range, a
provider that never answered, one probed only by canaries (no listing probe: absent), a probe
from the future, late and out-of-order batches, and float latencies dense enough for the
histogram estimate. Then the retention drops the oldest days, checks and rollups alike.
"""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import duckdb
import psycopg
import pytest

from core.stores.monitor import ROLLUPS_MIGRATION, SCHEMA_STATE, DuckDBMonitorStore, MonitorStore, PostgresMonitorStore, duckdb_schema

VIEW = "monitor/queries/uptime.sql"
RAW = "monitor/bench/uptime_raw.sql"
DENSE_DAYS = 40
DENSE_TARGETS = 3  # bench-1 .. bench-3
EXACT_UP_TO = 200  # answered probes in a period up to which the view's percentiles are exact
BUCKET_RATIO = 2 ** (1 / 8)  # the histogram's bucket width: an estimate is within this factor
ROLLUP_ORDER = "ORDER BY span_s, span_start, provider_id, probe"


def check(provider_id: str, at: datetime, up: bool = True, latency: float | None = 100.0, probe: str = "listing") -> dict[str, Any]:
    return {"checked_at": at, "provider_id": provider_id, "probe": probe, "target": f"https://{provider_id}.example/v1/models",
            "up": up, "state": "ok" if up else "error", "error_kind": None if up else "5xx", "http_status": 200 if up else 503,
            "latency_ms": latency, "authenticated": True}


def edge_rows(now: datetime) -> list[list[dict[str, Any]]]:
    """The batches written through the store, oldest last (late and out of order on purpose)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    midnight = hour.replace(hour=0)
    rng = random.Random(11)
    boundaries = [hour, hour - timedelta(hours=1), hour - timedelta(hours=23), hour - timedelta(hours=24), midnight,
                  midnight - timedelta(days=1), midnight - timedelta(days=7), hour - timedelta(days=7) + timedelta(hours=1),
                  hour - timedelta(days=7), hour - timedelta(days=30) + timedelta(hours=1), hour - timedelta(days=30),
                  now - timedelta(hours=1, seconds=-2), now - timedelta(days=30, seconds=-2)]
    sparse = [check("sparse", now - timedelta(minutes=3), latency=0.4),  # below the first bucket
              check("sparse", now - timedelta(hours=2), latency=70_000.0),  # beyond the last one
              check("sparse", now - timedelta(hours=5), latency=None),  # answered, no latency
              check("sparse", now - timedelta(days=3), up=False, latency=10_000.0),
              check("sparse", now - timedelta(days=6, hours=23, minutes=30), latency=250.0),
              check("sparse", now - timedelta(days=29, hours=23, minutes=50), latency=251.0),
              check("sparse", now - timedelta(days=31), latency=252.0)]  # beyond every period
    jitter = [check("jitter", now - timedelta(minutes=5 * i), up=rng.random() > 0.03, latency=rng.lognormvariate(5.5, 0.6))
              for i in range(600)]  # two days of floats, dense enough for the histogram
    batches = [jitter[i:i + 50] for i in range(0, len(jitter), 50)]
    batches.append([check("boundary", at, latency=10.0 * (i + 1)) for i, at in enumerate(boundaries)])
    batches.append([check("down", now - timedelta(minutes=m), up=False, latency=None) for m in (1, 61, 60 * 30)])
    batches.append([check("canary-only", now - timedelta(minutes=2), probe="canary")])
    batches.append([check("future", now + timedelta(minutes=5), latency=33.0), check("future", now - timedelta(days=2), latency=44.0)])
    batches.append(list(reversed(sparse)))
    batches.append([check("bench-1", now - timedelta(days=12, seconds=30), latency=5.0)])  # late: a day the backfill summed
    return batches


def answers(store: MonitorStore) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    """The view's and the raw checks' rows by (provider, period), read in one transaction."""
    view, raw = store.query_together([VIEW, RAW])
    return {(r["provider_id"], r["period"]): r for r in view}, {(r["provider_id"], r["period"]): r for r in raw}


def answered(rows: Sequence[Mapping[str, Any]], provider_id: str, period: str, now: datetime) -> int:
    """Answered probes with a latency in the period, from what was written (the edge rows only)."""
    seconds = {"1h": 3600, "24h": 86400, "7d": 604800, "30d": 2592000}[period]
    return sum(1 for r in rows if r["provider_id"] == provider_id and r["probe"] == "listing" and r["up"]
               and r["latency_ms"] is not None and r["checked_at"] > now - timedelta(seconds=seconds))


def assert_view_matches_raw(store: MonitorStore, exact: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Counts equal everywhere; percentiles equal for ``exact`` keys, else within one bucket."""
    view, raw = answers(store)
    assert view.keys() == raw.keys()
    for key, r in raw.items():
        v = view[key]
        assert (v["checks"], v["up_checks"], v["last_checked_at"]) == (r["checks"], r["up_checks"], r["last_checked_at"]), key
        assert float(v["uptime_pct"]) == float(r["uptime_pct"]), key
        for column in ("p50_ms", "p95_ms"):
            if r[column] is None:
                assert v[column] is None, (key, column)
            elif key in exact:
                assert v[column] == pytest.approx(r[column], rel=1e-12), (key, column)
            else:
                assert abs(v[column] - r[column]) <= (BUCKET_RATIO - 1) * r[column] * (1 + 1e-9), (key, column, v[column], r[column])
    return view


# -- the stores ------------------------------------------------------------------------------


@contextmanager
def _stores(kind: str, home: Path, request: pytest.FixtureRequest) -> Iterator[tuple[MonitorStore, MonitorStore, Any]]:
    """(the store as it was before the rollups migration, the store, a function running SQL text)."""
    if kind == "duckdb":
        path = home / "monitor" / "monitor.duckdb"

        def sql(text: str) -> list[tuple[Any, ...]]:
            with duckdb.connect(str(path)) as con:
                con.execute("SET TimeZone = 'UTC'")
                return con.execute(text).fetchall()

        yield DuckDBMonitorStore(path, schema=duckdb_schema(before=ROLLUPS_MIGRATION)), DuckDBMonitorStore(path), sql
        return
    url = request.getfixturevalue("pg_database")

    def pg_sql(text: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True, options="-c search_path=monitor -c timezone=UTC") as conn:
            cur = conn.execute(text)
            return cur.fetchall() if cur.description else []

    store = PostgresMonitorStore(url)
    try:
        yield store, store, pg_sql
    finally:
        store.close()


@pytest.fixture(params=["duckdb", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which store: the embedded DuckDB file, or a fresh PostgreSQL database."""
    return request.param


def load_dense(before: MonitorStore, now: datetime) -> None:
    """DENSE_TARGETS providers probed every minute for DENSE_DAYS days, as a store from before the
    rollups holds them."""
    if isinstance(before, PostgresMonitorStore):
        before.migrate(before=ROLLUPS_MIGRATION)
        before.ensure_partitions((now - timedelta(days=DENSE_DAYS + 1)).date(), DENSE_DAYS + 3)
    before.execute("monitor/bench/generate_checks.sql", {"now": now, "minutes": DENSE_DAYS * 1440, "targets": DENSE_TARGETS})


# -- tests -----------------------------------------------------------------------------------


def test_rollups_give_the_raw_answers_with_edges_and_after_retention(kind: str, home: Path, request: pytest.FixtureRequest) -> None:
    """Backfilled and upserted rollups give the raw answers, before and after the retention."""
    now = datetime.now(timezone.utc)
    with _stores(kind, home, request) as (before, store, sql):
        load_dense(before, now)
        store.migrate()  # the rollups migration backfills the dense providers
        assert sql("SELECT count(DISTINCT provider_id) FROM availability_rollups") == [(DENSE_TARGETS,)]
        written: list[dict[str, Any]] = []
        for batch in edge_rows(now):
            store.append_checks(batch)
            written += batch

        sparse_providers = ("sparse", "boundary", "down", "future")
        exact = {(p, period) for p in sparse_providers for period in ("1h", "24h", "7d", "30d")}
        exact |= {(f"bench-{j}", "1h") for j in range(1, DENSE_TARGETS + 1)} | {("jitter", "1h")}
        assert all(answered(written, p, period, now) <= EXACT_UP_TO for p, period in exact if p in sparse_providers)
        assert answered(written, "jitter", "24h", now) > EXACT_UP_TO  # the histogram's case, on floats
        view = assert_view_matches_raw(store, exact)

        providers = {p for p, _ in view}
        assert providers == {"bench-1", "bench-2", "bench-3", "jitter", "boundary", "down", "future", "sparse"}  # not canary-only
        assert {p for p, period in view if period == "30d"} == providers
        assert (view[("down", "30d")]["checks"], view[("down", "30d")]["p50_ms"]) == (3, None)
        assert view[("future", "1h")]["last_checked_at"] > now  # a period has no end, as before
        assert view[("sparse", "1h")]["p50_ms"] == pytest.approx(0.4) and view[("sparse", "24h")]["p95_ms"] > 60_000
        assert view[("sparse", "30d")]["checks"] == 6  # the one of 31 days ago is beyond every period
        assert view[("bench-1", "30d")]["checks"] == view[("bench-2", "30d")]["checks"] + 1  # the late probe is in

        # Retention: the checks and the rollups of the days before the cutoff go together.
        store.retention(now, keep_days=10)
        cutoff = datetime.combine(now.date() - timedelta(days=10), datetime.min.time(), timezone.utc)
        assert sql(f"SELECT count(*) FROM availability_checks WHERE checked_at < '{cutoff.isoformat()}'") == [(0,)]
        assert sql(f"SELECT count(*) FROM availability_rollups WHERE span_start < '{cutoff.isoformat()}'") == [(0,)]
        after = assert_view_matches_raw(store, exact)
        assert after[("bench-1", "30d")]["checks"] <= 11 * 1440 + 1 < view[("bench-1", "30d")]["checks"]
        assert after[("sparse", "30d")]["checks"] == 5  # the one of 29 days 23 hours ago is gone


def test_backfill_sums_what_the_upserts_sum(kind: str, home: Path, request: pytest.FixtureRequest) -> None:
    """The same checks, once written before the rollups migration (which backfills them) and once
    through the store (which upserts them): the same rollups, and reopening does not backfill twice."""
    now = datetime.now(timezone.utc)
    rows = [r for batch in edge_rows(now) for r in batch]
    with _stores(kind, home, request) as (before, store, sql):
        if isinstance(before, PostgresMonitorStore):
            before.migrate(before=ROLLUPS_MIGRATION)
            for day in sorted({r["checked_at"].date() for r in rows}):
                before.ensure_partitions(day, 0)
        for row in rows:
            before.execute("monitor/write/insert_check.sql", {**dict.fromkeys(
                ("error_kind", "http_status", "ttft_ms", "tokens_per_s", "tokens", "detail")), **row})
        store.migrate()
        backfilled = sql(f"SELECT * FROM availability_rollups {ROLLUP_ORDER}")
        assert len(backfilled) > 0

        sql("DELETE FROM availability_rollups")
        sql("DELETE FROM availability_checks")
        for batch in edge_rows(now):
            store.append_checks(batch)
        upserted = sql(f"SELECT * FROM availability_rollups {ROLLUP_ORDER}")
        assert upserted == backfilled

        if kind == "duckdb":  # a later release changes a schema file: the migration runs again, adds nothing
            sql(f"DELETE FROM monitor_state WHERE key = '{SCHEMA_STATE}'")
            DuckDBMonitorStore(store.path).migrate()
            assert sql(f"SELECT * FROM availability_rollups {ROLLUP_ORDER}") == upserted
            assert len(sql(f"SELECT value FROM monitor_state WHERE key = '{SCHEMA_STATE}'")) == 1


def test_concurrent_writers_add_up(kind: str, home: Path, request: pytest.FixtureRequest) -> None:
    """Batches for the same providers and hours written at once from several threads (PostgreSQL:
    several connections) land in the rollups exactly, without deadlock."""
    now = datetime.now(timezone.utc)
    with _stores(kind, home, request) as (_, store, sql):
        store.migrate()
        if isinstance(store, PostgresMonitorStore):  # the day partitions, made before the writers race to make them
            store.ensure_partitions((now - timedelta(hours=1)).date())
        errors: list[BaseException] = []

        def writer(seed: int) -> None:
            rng = random.Random(seed)
            try:
                for _ in range(10):
                    store.append_checks([check(f"p{rng.randrange(3)}", now - timedelta(seconds=rng.randrange(3600)),
                                               up=rng.random() > 0.1, latency=rng.uniform(20, 900)) for _ in range(8)])
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sql("SELECT sum(checks) FROM availability_rollups WHERE span_s = 3600") == [(320,)]
        assert sql("SELECT sum(checks) FROM availability_rollups WHERE span_s = 86400") == [(320,)]
        assert_view_matches_raw(store, {(f"p{i}", period) for i in range(3) for period in ("1h", "24h", "7d", "30d")})
