"""Where the API reads from: the newest DuckDB snapshot, or PostgreSQL ``curated``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Protocol

from api.queries import duckdb_sql, postgres_sql
from core.settings import settings
from core.sqlfiles import as_dicts

# PostgreSQL mode: how long a looked-up snapshot id is trusted before asking again.
SNAPSHOT_TTL_S = 1.0


class NoSnapshot(Exception):
    """Nothing has been published yet."""


class Store(Protocol):
    def snapshot_id(self) -> str: ...

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...


class DuckDBStore:
    """Reads ``latest.duckdb``; a newer snapshot is picked up on the next request."""

    def __init__(self, snapshots_dir: Path):
        self.latest = snapshots_dir / "latest.duckdb"
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._connection: Any = None

    def _current(self) -> tuple[Path, Any]:
        try:
            path = self.latest.resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            raise NoSnapshot(f"no snapshot at {self.latest}; run `aisi refresh`") from None
        with self._lock:
            if path != self._path:
                import duckdb

                # The old connection is not closed here: queries still running hold it (and its
                # cursors); closing it would fail them. It closes when the last of them lets go.
                self._connection = duckdb.connect(str(path), read_only=True)
                self._path = path
            return path, self._connection

    def snapshot_id(self) -> str:
        return self._current()[0].stem

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        _, connection = self._current()
        cursor = connection.cursor()  # one cursor per call: safe across the server's threads
        try:
            result = cursor.execute(duckdb_sql(name), params)
            return as_dicts(result)
        finally:
            cursor.close()


class PostgresStore:
    """Reads schema ``curated``; the newest ``publishes`` row is the snapshot id."""

    def __init__(self, url: str):
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self._snapshot: tuple[float, str] | None = None
        self.pool = ConnectionPool(url, min_size=1, max_size=8, kwargs={"row_factory": dict_row, "autocommit": True,
                                                                         "options": "-c search_path=curated"}, open=True)

    def snapshot_id(self) -> str:
        """The newest publish, looked up at most once per ``SNAPSHOT_TTL_S`` (it is asked per request)."""
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot[0] > SNAPSHOT_TTL_S:
            rows = self.query("snapshot", {})
            if not rows:
                raise NoSnapshot("nothing published to PostgreSQL yet; run `aisi refresh` with AISI_DATABASE_URL set")
            self._snapshot = (now, str(rows[0]["snapshot_id"]))
        return self._snapshot[1]

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return list(conn.execute(postgres_sql(name), params).fetchall())

    def close(self) -> None:
        self.pool.close()


def store_from_env() -> Store:
    url = settings().database_url
    if url:
        return PostgresStore(url)
    home = settings().home
    return DuckDBStore(home / "snapshots")
