"""Rollbacks as the warehouse records them: which one is in effect (no publish since it).

Read on every ``aisi refresh`` (a rollback in effect makes it publish again), so this module needs
no pandas: the rows come straight from the warehouse (DuckDB, or PostgreSQL ``curated``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.paths import WAREHOUSE_FILE
from core.sqlfiles import as_dicts, duckdb_sql, postgres_sql


@dataclass(frozen=True)
class Rollback:
    """A row of ``rollbacks``."""

    rolled_back_at: datetime
    from_snapshot_id: str | None
    to_snapshot_id: str
    postgres: bool
    command: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rolled_back_at": self.rolled_back_at.isoformat(), "from_snapshot_id": self.from_snapshot_id,
            "to_snapshot_id": self.to_snapshot_id, "postgres": self.postgres, "command": self.command,
        }

    def describe(self) -> str:
        return (f"rollback of {self.rolled_back_at:%Y-%m-%d %H:%M:%S} UTC to {self.to_snapshot_id}"
                + (f" (from {self.from_snapshot_id})" if self.from_snapshot_id else ""))


def warehouse_rows(home: Path, database_url: str | None, query: str) -> list[dict[str, Any]]:
    """Rows of ``sql/<query>`` in the warehouse (read only); [] while it has no such table."""
    if database_url:
        import psycopg

        with psycopg.connect(database_url, options="-c search_path=curated") as conn, conn.cursor() as cur:
            try:
                return as_dicts(cur.execute(postgres_sql(query)))
            except psycopg.errors.UndefinedTable:
                return []
    import duckdb

    path = home / WAREHOUSE_FILE
    if not path.exists():
        return []
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # This process holds the warehouse open already (a refresh run in-process after another):
        # DuckDB shares that instance with a connection of the same configuration only.
        con = duckdb.connect(str(path))
    with con:
        try:
            return as_dicts(con.execute(duckdb_sql(query)))
        except duckdb.CatalogException:
            return []


def _rollback(row: dict[str, Any]) -> Rollback:
    return Rollback(
        rolled_back_at=_as_utc(row["rolled_back_at"]) or datetime.now(timezone.utc), from_snapshot_id=row["from_snapshot_id"],
        to_snapshot_id=str(row["to_snapshot_id"]), postgres=bool(row["postgres"]), command=row["command"],
    )


def rollbacks(home: Path, database_url: str | None) -> list[Rollback]:
    """The rollbacks recorded in the publish history, newest first."""
    return [_rollback(r) for r in warehouse_rows(home, database_url, "ops/rollbacks.sql")]


def active_rollback(home: Path, database_url: str | None) -> Rollback | None:
    """The rollback in effect (no publish since it), or None."""
    rows = warehouse_rows(home, database_url, "ops/active_rollback.sql")
    return _rollback(rows[0]) if rows else None


def _as_utc(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (a naive one is UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
