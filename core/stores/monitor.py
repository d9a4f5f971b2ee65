"""Where the availability monitor keeps its data.

Embedded default: one DuckDB file, ``$AISI_HOME/monitor/monitor.duckdb``, opened only for the
moment a write or a read takes (a DuckDB file admits one writing process at a time, so the
monitor, the Dagster runs and the API take turns; a busy file is retried briefly). Closed UTC
days are also exported as Parquet (``monitor/parquet/date=YYYY-MM-DD/``) for analysts.

With ``AISI_DATABASE_URL``: schema ``monitor`` in PostgreSQL, migrated by yoyo, with
``availability_checks`` partitioned by day (partitions made ahead, old ones dropped).

Both keep ``availability_rollups`` beside the checks (``sql/monitor/migrations/0005_rollups.sql``):
per UTC hour and per UTC day, provider and probe, the counts and a latency histogram of its checks.
Each check insert upserts its hour's and day's rollups in the same transaction, and the retention
drops the rollups of the days whose checks it drops, so the rollups always sum exactly the checks
there are; the uptime view reads them (plus at most the first partial hour of raw checks).

Both run the same SQL files (``sql/monitor``) with driver parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence

from core.paths import SQL_DIR, aisi_home
from core.settings import settings
from core.sqlfiles import as_dicts, duckdb_sql, postgres_sql

MONITOR_SQL = SQL_DIR / "monitor"
MIGRATIONS_DIR = MONITOR_SQL / "migrations"
# Embedded store: the portable migrations, with DuckDB's own availability_checks in place of
# PostgreSQL's partitioned one (0002), and without PostgreSQL's index on the checks' time (0006) and its
# partition maker's lock (0007).
# They are idempotent; a file runs them again whenever they changed (SCHEMA_STATE: their hash).
DUCKDB_SCHEMA = ("migrations/0001_status.sql", "duckdb_availability_checks.sql", "migrations/0003_views.sql",
                 "migrations/0004_notifications.sql", "migrations/0005_rollups.sql", "migrations/0008_notification_channels.sql")
PARTITIONS_AHEAD_DAYS = 2
CHECK_COLUMNS = ("checked_at", "provider_id", "probe", "target", "up", "state", "error_kind", "http_status", "latency_ms",
                 "authenticated", "ttft_ms", "tokens_per_s", "tokens", "detail")
ROLLUPS_MIGRATION = "0005_rollups"  # creates availability_rollups and backfills it from the checks there are
SCHEMA_STATE = "duckdb_schema"  # monitor_state key: the hash of the SQL files the embedded store last ran
INSERT_CHECK = "monitor/write/insert_check.sql"
UPSERT_ROLLUPS = "monitor/write/upsert_rollups.sql"


def duckdb_schema(before: str | None = None) -> tuple[str, ...]:
    """The embedded store's SQL files in order; with ``before`` (a migration id such as
    ``ROLLUPS_MIGRATION``) only those that come ahead of that migration."""
    if before is None:
        return DUCKDB_SCHEMA
    return DUCKDB_SCHEMA[:DUCKDB_SCHEMA.index(f"migrations/{before}.sql")]


class MonitorStore(Protocol):
    kind: str

    def append_checks(self, rows: Sequence[Mapping[str, Any]]) -> int: ...

    def record_status(self, reading: Any) -> None: ...

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def query_together(self, relatives: Sequence[str]) -> list[list[dict[str, Any]]]: ...

    def get_state(self, key: str) -> Any: ...

    def set_state(self, key: str, value: Any, now: datetime) -> None: ...

    def execute(self, relative: str, params: Mapping[str, Any]) -> None: ...

    def retention(self, now: datetime, keep_days: int) -> dict[str, int]: ...

    def close(self) -> None: ...


def _check_params(row: Mapping[str, Any]) -> dict[str, Any]:
    missing = [c for c in ("checked_at", "provider_id", "probe", "target", "up", "state", "authenticated") if row.get(c) is None]
    if missing:
        raise ValueError(f"availability check for {row.get('provider_id')!r} lacks {', '.join(missing)}")
    return {c: row.get(c) for c in CHECK_COLUMNS}


def _rollup_params(checks: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The parameters of write/upsert_rollups.sql: the batch's columns it reads, as arrays."""
    return {"provider_ids": [c["provider_id"] for c in checks], "probes": [c["probe"] for c in checks],
            "checked_ats": [c["checked_at"] for c in checks], "ups": [c["up"] for c in checks],
            "latencies_ms": [None if c["latency_ms"] is None else float(c["latency_ms"]) for c in checks]}


def _status_statements(reading: Any) -> list[tuple[str, dict[str, Any]]]:
    """The writes one status-page reading makes: its check row, then the upserts."""
    statements = [("monitor/write/insert_status_check.sql", reading.status_check_row())]
    statements += [("monitor/write/upsert_component.sql", dict(c)) for c in reading.components]
    statements += [("monitor/write/upsert_incident.sql", dict(i)) for i in reading.incidents]
    statements += [("monitor/write/upsert_incident_update.sql", dict(u)) for u in reading.updates]
    return statements


class _SqlStore:
    """What both stores do the same way, on top of their own ``_run`` and ``query``."""

    def _run(self, statements: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        raise NotImplementedError

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Releases connections (the embedded store holds none between operations)."""

    def record_status(self, reading: Any) -> None:
        self._run(_status_statements(reading))

    def execute(self, relative: str, params: Mapping[str, Any]) -> None:
        self._run([(relative, params)])

    def get_state(self, key: str) -> Any:
        rows = self.query("monitor/write/get_state.sql", {"key": key})
        return json.loads(rows[0]["value"]) if rows else None

    def set_state(self, key: str, value: Any, now: datetime) -> None:
        self.execute("monitor/write/set_state.sql", {"key": key, "value": json.dumps(value, default=str), "updated_at": now})


_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def file_lock(path: Path) -> threading.Lock:
    """One lock per store file in this process: DuckDB shares one database per file within a
    process, and the monitor writes from two threads (pages and probes) at once."""
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path.resolve(), threading.Lock())


class DuckDBMonitorStore(_SqlStore):
    """The embedded store: a DuckDB file opened per operation."""

    kind = "duckdb"

    def __init__(self, path: Path, lock_wait_s: float = 15.0, schema: Sequence[str] = DUCKDB_SCHEMA):
        """``schema``: the SQL files (under ``sql/monitor``) run on the first write, all of them by
        default; ``duckdb_schema(before=ROLLUPS_MIGRATION)`` leaves the store as it was before the
        rollups (the tests and the benchmark load checks so, then let the migration backfill them)."""
        self.path = path
        self.lock_wait_s = lock_wait_s
        self.schema = tuple(schema)
        self._migrated = False

    @property
    def parquet_dir(self) -> Path:
        return self.path.parent / "parquet"

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        """A connection for one operation; waits (bounded) while another process holds the file."""
        import duckdb
        from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

        def busy(exc: BaseException) -> bool:
            return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()

        @retry(retry=retry_if_exception(busy), stop=stop_after_delay(self.lock_wait_s),
               wait=wait_random_exponential(multiplier=0.02, max=0.5), reraise=True)
        def open_() -> Any:
            return duckdb.connect(str(self.path), read_only=read_only)

        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.path):
            con = open_()
            try:
                con.execute("SET TimeZone = 'UTC'")
                if not read_only and not self._migrated:
                    self._bring_up_to_date(con)
                    self._migrated = True
                yield con
            finally:
                con.close()

    def _bring_up_to_date(self, con: Any) -> None:
        """Runs the schema's SQL files, unless this file last ran these very files: running them
        again is harmless but not free (planning the rollups' backfill and view takes a good part
        of a monitor cycle), and each monitor cycle and job run opens the store anew."""
        import duckdb

        texts = [duckdb_sql(f"monitor/{relative}") for relative in self.schema]
        version = hashlib.sha1("\0".join(texts).encode()).hexdigest()
        try:
            ran = con.execute(duckdb_sql("monitor/write/get_state.sql"), {"key": SCHEMA_STATE}).fetchall()
        except duckdb.CatalogException:  # a new file: no monitor_state yet
            ran = []
        if ran and json.loads(ran[0][0]) == version:
            return
        for text in texts:
            con.execute(text)
        con.execute(duckdb_sql("monitor/write/set_state.sql"),
                    {"key": SCHEMA_STATE, "value": json.dumps(version), "updated_at": datetime.now(timezone.utc)})

    def migrate(self) -> list[str]:
        with self.connect():
            pass
        return list(self.schema)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection inside one transaction: committed when the block ends, else rolled back."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def _run(self, statements: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        with self.transaction() as con:
            for relative, params in statements:
                con.execute(duckdb_sql(relative), dict(params))

    def append_checks(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Inserts the checks and upserts their rollups, in one transaction."""
        checks = [_check_params(r) for r in rows]
        if checks:
            self._run([*((INSERT_CHECK, c) for c in checks), (UPSERT_ROLLUPS, _rollup_params(checks))])
        return len(rows)

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of ``sql/<relative>``; none before the monitor's first write."""
        if not self.path.exists():
            return []
        with self.connect(read_only=True) as con:
            result = con.execute(duckdb_sql(relative), dict(params or {}))
            return as_dicts(result)

    def query_together(self, relatives: Sequence[str]) -> list[list[dict[str, Any]]]:
        """The rows of several queries run in one transaction: the same data, the same now()."""
        if not self.path.exists():
            return [[] for _ in relatives]
        with self.connect(read_only=True) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                return [as_dicts(con.execute(duckdb_sql(relative))) for relative in relatives]
            finally:
                con.execute("ROLLBACK")

    def retention(self, now: datetime, keep_days: int) -> dict[str, int]:
        """Drops probes, their rollups and page reads older than ``keep_days`` (one transaction);
        exports closed days to Parquet first."""
        exported = self.export_parquet(now)
        cutoff = datetime.combine(now.date() - timedelta(days=keep_days), time(), timezone.utc)
        with self.transaction() as con:
            deleted = con.execute(duckdb_sql("monitor/write/delete_checks_before.sql"), {"cutoff": cutoff}).fetchone()
            con.execute(duckdb_sql("monitor/write/delete_rollups_before.sql"), {"cutoff": cutoff})
            con.execute(duckdb_sql("monitor/write/delete_status_checks_before.sql"), {"cutoff": cutoff})
        return {"exported_days": exported, "deleted_checks": int(deleted[0]) if deleted else 0}

    def export_parquet(self, now: datetime) -> int:
        """Writes each closed UTC day not yet exported to ``parquet/date=YYYY-MM-DD/availability_checks.parquet``."""
        import pyarrow.parquet as pq

        today = datetime.combine(now.astimezone(timezone.utc).date(), time(), timezone.utc)
        written = 0
        for row in self.query("monitor/write/check_days.sql", {"before": today}):
            day: date = row["day"]
            target = self.parquet_dir / f"date={day.isoformat()}" / "availability_checks.parquet"
            if target.exists():
                continue
            start = datetime.combine(day, time(), timezone.utc)
            with self.connect(read_only=True) as con:
                table = con.sql(duckdb_sql("monitor/write/checks_of_day.sql"),
                                params={"day_start": start, "day_end": start + timedelta(days=1)}).to_arrow_table()
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".parquet.tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, target)
            written += 1
        return written


class PostgresMonitorStore(_SqlStore):
    """Schema ``monitor`` in PostgreSQL; ``availability_checks`` is partitioned by day."""

    kind = "postgres"
    _migrated: set[str] = set()  # URLs this process has brought up to date

    def __init__(self, url: str):
        self.url = url
        self._pool: Any = None

    def _connection(self) -> Any:
        if self._pool is None:
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool

            # jit off: compiling a rollup over ~30 day partitions costs seconds more than running it.
            self._pool = ConnectionPool(self.url, min_size=0, max_size=4, open=True, kwargs={
                "row_factory": dict_row, "autocommit": True, "options": "-c search_path=monitor -c timezone=UTC -c jit=off"})
        return self._pool.connection()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def migrate(self, before: str | None = None) -> list[str]:
        """Applies the pending migrations, all of them or only those ahead of the one named
        ``before`` (the tests and the benchmark load checks into the schema as it was before
        ``ROLLUPS_MIGRATION``, then let that migration backfill them). Returns their ids."""
        import psycopg
        from yoyo import get_backend, read_migrations

        from core.stores.warehouse import yoyo_url

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(postgres_sql("monitor/create_schema.sql"))
        backend = get_backend(yoyo_url(self.url, schema="monitor"))
        migrations = read_migrations(str(MIGRATIONS_DIR))
        if before is not None:
            migrations = migrations.filter(lambda m: m.id < before)
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]

    def ensure_migrated(self) -> None:
        """Migrates once per process and URL: the per-minute jobs and sensor ticks open the store
        often, and yoyo's lock and bookkeeping queries are not free."""
        if self.url not in PostgresMonitorStore._migrated:
            self.migrate()
            PostgresMonitorStore._migrated.add(self.url)

    def _run(self, statements: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            for relative, params in statements:
                cur.execute(postgres_sql(relative), dict(params))

    def ensure_partitions(self, first_day: date, days: int = PARTITIONS_AHEAD_DAYS) -> int:
        rows = self.query("monitor/write/ensure_partitions.sql", {"first_day": first_day, "days": days})
        return int(rows[0]["created"])

    def append_checks(self, rows: Sequence[Mapping[str, Any]]) -> int:
        if not rows:
            return 0
        days = sorted({r["checked_at"].astimezone(timezone.utc).date() for r in rows})
        for day in days[:-1]:  # a late or back-dated row gets its own day's partition
            self.ensure_partitions(day, 0)
        self.ensure_partitions(days[-1], PARTITIONS_AHEAD_DAYS)  # and the coming days are made ahead
        checks = [_check_params(r) for r in rows]
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(postgres_sql(INSERT_CHECK), checks)
            cur.execute(postgres_sql(UPSERT_ROLLUPS), _rollup_params(checks))
        return len(rows)

    def query(self, relative: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return list(conn.execute(postgres_sql(relative), dict(params or {})).fetchall())

    def query_together(self, relatives: Sequence[str]) -> list[list[dict[str, Any]]]:
        """The rows of several queries run in one transaction: the same data, the same now()."""
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return [list(conn.execute(postgres_sql(relative)).fetchall()) for relative in relatives]

    def retention(self, now: datetime, keep_days: int) -> dict[str, int]:
        """Drops whole day partitions older than ``keep_days``, the rollups of those days and old
        page reads, in one transaction."""
        keep_from = now.astimezone(timezone.utc).date() - timedelta(days=keep_days)
        cutoff = {"cutoff": datetime.combine(keep_from, time(), timezone.utc)}
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            dropped = cur.execute(postgres_sql("monitor/write/drop_partitions.sql"), {"keep_from": keep_from}).fetchone()
            cur.execute(postgres_sql("monitor/write/delete_rollups_before.sql"), cutoff)
            cur.execute(postgres_sql("monitor/write/delete_status_checks_before.sql"), cutoff)
        return {"dropped_partitions": int(dropped["dropped"])}


def monitor_dir(home: Path | None = None) -> Path:
    return (home or aisi_home()) / "monitor"


def open_monitor_store(home: Path | None = None, database_url: str | None = None) -> MonitorStore:
    """PostgreSQL when a URL is given (or ``AISI_DATABASE_URL`` is set), else the embedded DuckDB file."""
    url = database_url if database_url is not None else settings().database_url
    if url:
        return PostgresMonitorStore(url)
    return DuckDBMonitorStore(monitor_dir(home) / "monitor.duckdb")


def retention_days() -> int:
    return settings().monitor_retention_days

