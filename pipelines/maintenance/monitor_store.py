"""Compaction of the embedded monitor store (``$AISI_HOME/monitor/monitor.duckdb``).

DuckDB reuses the blocks of deleted rows (the monitor's retention deletes old probes and their
rollups daily) but rarely gives them back to the file system, and CHECKPOINT does not shrink the
file. So the store is rewritten: a fresh file receives every table (with its keys), view and live
row through ``ATTACH`` + ``COPY FROM DATABASE``, the row counts are compared, and the fresh file
replaces the old one atomically (``os.replace``).

While that happens the old file stays attached read-only: other processes (``aisi monitor``, the
API) may still read it, and a writer waits on DuckDB's file lock (the store retries a busy file)
and then opens the new file. In this process the store's own file lock is held throughout. A
leftover write-ahead log (a writer that crashed) is checkpointed first; if one appears during the
copy, the compaction is abandoned and the old file kept.

Also: settled notifications older than the monitor's retention are forgotten (either store).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from core.sqlfiles import duckdb_sql
from core.stores.monitor import file_lock

LOCK_WAIT_S = 30.0


@dataclass
class CompactionReport:
    path: str
    bytes_before: int
    bytes_after: int
    tables: int
    rows: int
    skipped: str | None = None


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _wal(path: Path) -> Path:
    return Path(f"{path}.wal")


def _busy(exc: BaseException) -> bool:
    import duckdb

    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _with_lock_retry(fn: Any, wait_s: float) -> Any:
    from tenacity import retry, retry_if_exception, stop_after_delay, wait_random_exponential

    return retry(retry=retry_if_exception(_busy), stop=stop_after_delay(wait_s),
                 wait=wait_random_exponential(multiplier=0.05, max=1.0), reraise=True)(fn)()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_counts(con: Any, database: str) -> dict[str, int]:
    counts = {}
    for schema, table in con.execute(duckdb_sql("maintenance/duckdb_tables.sql"), {"database": database}).fetchall():
        qualified = ".".join(_quote(part) for part in (database, schema, table))
        counts[f"{schema}.{table}"] = int(con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0])
    return counts


def compact_duckdb(path: Path, lock_wait_s: float = LOCK_WAIT_S) -> CompactionReport:
    """Rewrites ``path`` into a fresh file and swaps it in; the report says what it saved."""
    import duckdb

    if not path.exists():
        return CompactionReport(str(path), 0, 0, 0, 0, skipped="no monitor store yet")
    fresh = path.with_name(f".{path.name}.compact")
    with file_lock(path):
        if _wal(path).exists():  # fold a leftover log in first: the copy must see every row
            def checkpoint() -> None:
                with duckdb.connect(str(path)) as con:
                    con.execute("CHECKPOINT")

            _with_lock_retry(checkpoint, lock_wait_s)
        before = _size(path) + _size(_wal(path))
        for leftover in (fresh, _wal(fresh)):
            leftover.unlink(missing_ok=True)
        con = duckdb.connect()
        try:
            _with_lock_retry(lambda: con.execute(duckdb_sql("maintenance/duckdb_attach_read_only.sql"), {"path": str(path)}),
                             lock_wait_s)
            if _wal(path).exists():
                return CompactionReport(str(path), before, before, 0, 0, skipped="a writer left a write-ahead log; kept as is")
            con.execute(duckdb_sql("maintenance/duckdb_attach_fresh.sql"), {"path": str(fresh)})
            con.execute(duckdb_sql("maintenance/duckdb_copy_database.sql"))
            old_counts, new_counts = _row_counts(con, "old_store"), _row_counts(con, "fresh_store")
            con.execute("DETACH fresh_store")
            if old_counts != new_counts or _wal(fresh).exists():
                fresh.unlink(missing_ok=True)
                return CompactionReport(str(path), before, before, len(old_counts), sum(old_counts.values()),
                                        skipped="the copy did not match the store; kept as is")
            with open(fresh, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(fresh, path)  # while the old file is still attached: no writer slips in between
        finally:
            con.close()
            fresh.unlink(missing_ok=True)
    return CompactionReport(str(path), before, _size(path), len(new_counts), sum(new_counts.values()))


def prune_notifications(store: Any, now: datetime, keep_days: int, max_attempts: int) -> int:
    """Forgets settled notifications older than ``keep_days``; returns how many."""
    cutoff = datetime.combine(now.astimezone(timezone.utc).date() - timedelta(days=keep_days), time(), timezone.utc)
    params = {"cutoff": cutoff, "max_attempts": max_attempts}
    rows = store.query("maintenance/count_prunable_notifications.sql", params)
    n = int(rows[0]["n"]) if rows else 0
    if n:
        store.execute("maintenance/prune_notifications.sql", params)
    return n
