"""The published snapshots as an operator sees them, and rolling the API back to one of them.

``aisi snapshots`` lists the snapshot files (``$AISI_HOME/snapshots/<id>.duckdb``) with each one's
own ``publishes`` row (published at, counts) and says which one is served: the file
``latest.duckdb`` points at, or in PostgreSQL mode the newest publish of ``curated``.

``aisi rollback [SNAPSHOT]`` serves the previous (or the named) snapshot again: ``latest.duckdb`` is
switched to it atomically (the retention keeps the file it points at, so a snapshot served again
is not pruned while it is served) and, when ``AISI_DATABASE_URL`` is set, PostgreSQL ``curated`` is
republished from that snapshot's tables in one transaction, the rollback recorded in that same
transaction. The rollback is recorded in the warehouse's ``rollbacks`` table (the publish
history); it is **in effect** until a later publish. The next ``aisi refresh`` publishes again even
when no source changed, and says that it replaces the rollback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.paths import LATEST_SNAPSHOT, WAREHOUSE_FILE, snapshots_dir
from core.sqlfiles import as_dicts, duckdb_sql, postgres_sql
from core.stores.rollbacks import Rollback
from core.stores.warehouse import TABLES, DuckDBWarehouse, PostgresWarehouse, SnapshotStore


class RollbackError(Exception):
    """A rollback that cannot be done (nothing earlier to go back to, an unknown snapshot)."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One published snapshot file and its own ``publishes`` row (None where it has none)."""

    snapshot_id: str
    path: Path
    published_at: datetime | None
    models: int | None
    offerings: int | None
    prices: int | None
    served: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id, "path": str(self.path),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "models": self.models, "offerings": self.offerings, "prices": self.prices, "served": self.served,
        }


def _optional_int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _utc(value: Any) -> datetime | None:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def _own_publish(path: Path) -> dict[str, Any] | None:
    """The newest ``publishes`` row of a snapshot file (its own publish); None when unreadable."""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = as_dicts(con.execute(duckdb_sql("ops/served_publish.sql")))
    except duckdb.Error:
        return None
    return rows[0] if rows else None


def _postgres_served(url: str) -> str | None:
    import psycopg

    with psycopg.connect(url, options="-c search_path=curated") as conn, conn.cursor() as cur:
        try:
            rows = as_dicts(cur.execute(postgres_sql("ops/served_publish.sql")))
        except psycopg.errors.UndefinedTable:
            return None
    return str(rows[0]["snapshot_id"]) if rows else None


def served_snapshot_id(home: Path, database_url: str | None) -> str | None:
    """The snapshot the API serves: PostgreSQL ``curated``'s newest publish when ``database_url``
    is set, else the file ``latest.duckdb`` points at; None when nothing is published."""
    if database_url:
        return _postgres_served(database_url)
    served = SnapshotStore(snapshots_dir(home)).latest_path()
    return served.stem if served is not None else None


def list_snapshots(home: Path, database_url: str | None) -> list[SnapshotInfo]:
    """Every published snapshot file, oldest first, with its counts and whether it is served."""
    store = SnapshotStore(snapshots_dir(home))
    served = served_snapshot_id(home, database_url)
    found: list[SnapshotInfo] = []
    for path in store.snapshots():
        row = _own_publish(path) or {}
        found.append(SnapshotInfo(
            snapshot_id=path.stem, path=path, published_at=_utc(row.get("published_at")),
            models=_optional_int(row.get("models")), offerings=_optional_int(row.get("offerings")),
            prices=_optional_int(row.get("prices")), served=path.stem == served,
        ))
    return found


def choose_target(snapshots: list[SnapshotInfo], served: str | None, named: str | None) -> SnapshotInfo:
    """The snapshot to serve again: ``named``, or the newest one older than the served one."""
    by_id = {s.snapshot_id: s for s in snapshots}
    if named is not None:
        wanted = named.removesuffix(".duckdb")
        if wanted not in by_id:
            known = ", ".join(s.snapshot_id for s in snapshots) or "none"
            raise RollbackError(f"no published snapshot {wanted!r}; published: {known}")
        if wanted == served:
            raise RollbackError(f"snapshot {wanted} is the one served already")
        return by_id[wanted]
    if served is None:
        raise RollbackError("nothing is served yet: no snapshot to roll back from (run `aisi refresh`)")
    earlier = [s for s in snapshots if s.snapshot_id < served]
    if not earlier:
        raise RollbackError(f"no snapshot published before {served} (the one served): nothing to roll back to")
    return earlier[-1]


def _snapshot_tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every published table of a snapshot file, for PostgreSQL to be republished from."""
    import duckdb

    tables: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in TABLES:
            try:
                frame = con.execute(f'SELECT * FROM "{table}"').df()
            except duckdb.CatalogException:
                raise RollbackError(f"snapshot {path.stem} has no table {table} (written before it existed): "
                                    "PostgreSQL cannot be republished from it") from None
            for column in frame.columns[frame.dtypes == object]:  # DuckDB lists arrive as arrays: PostgreSQL takes lists
                frame[column] = frame[column].map(lambda v: v.tolist() if isinstance(v, np.ndarray) else v)
            tables[table] = frame
    return tables


def _point_latest_at(directory: Path, target: Path) -> None:
    """``latest.duckdb`` -> ``target``, swapped atomically (as a publish does)."""
    link_tmp = directory / f".{LATEST_SNAPSHOT}.rollback.{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(target.name)
    os.replace(link_tmp, directory / LATEST_SNAPSHOT)


def roll_back(home: Path, database_url: str | None, named: str | None, command: str, now: datetime) -> Rollback:
    """Serves the previous (or the ``named``) published snapshot again and records it; the caller
    holds the catalog lock (no refresh publishes meanwhile). PostgreSQL first (its tables and the
    record in one transaction), then ``latest.duckdb``; in DuckDB mode the record goes to the
    warehouse file after the switch."""
    snapshots = list_snapshots(home, database_url)
    served = served_snapshot_id(home, database_url)
    target = choose_target(snapshots, served, named)
    record = Rollback(rolled_back_at=now, from_snapshot_id=served, to_snapshot_id=target.snapshot_id,
                      postgres=bool(database_url), command=command)
    logged = {"rollbacks": pd.DataFrame([{**record.as_dict(), "rolled_back_at": pd.Timestamp(now)}])}
    if database_url:
        tables = _snapshot_tables(target.path)
        warehouse = PostgresWarehouse(database_url)
        warehouse.migrate()
        warehouse.restore(tables, logged)
        _point_latest_at(snapshots_dir(home), target.path)
        return record
    _point_latest_at(snapshots_dir(home), target.path)
    with DuckDBWarehouse(home / WAREHOUSE_FILE) as warehouse:
        warehouse.migrate()
        warehouse.restore({}, logged)
    return record
