"""Where the API reads from: the newest DuckDB snapshot, or PostgreSQL ``curated``."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterator, Protocol

from api.queries import duckdb_sql, postgres_sql
from core.settings import settings
from core.sqlfiles import as_dicts

# PostgreSQL mode: how long a looked-up snapshot id is trusted before asking again.
SNAPSHOT_TTL_S = 1.0


class NoSnapshot(Exception):
    """Nothing has been published yet."""


class Pinned(Protocol):
    """One snapshot, held for one request: every query of the request reads it, whatever is
    published meanwhile."""

    snapshot_id: str

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...


class Store(Protocol):
    def snapshot_id(self) -> str: ...

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...

    def pin(self) -> "AbstractContextManager[Pinned]": ...


class _PinnedDuckDB:
    def __init__(self, snapshot_id: str, connection: Any):
        self.snapshot_id = snapshot_id
        self._connection = connection  # held: the file's connection lives while the request does

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        cursor = self._connection.cursor()  # one cursor per call: safe across the server's threads
        try:
            return as_dicts(cursor.execute(duckdb_sql(name), params))
        finally:
            cursor.close()


class _PinnedPostgres:
    def __init__(self, connection: Any):
        self._connection = connection
        rows = self.query("snapshot", {})
        if not rows:
            raise NoSnapshot("nothing published to PostgreSQL yet; run `aisi refresh` with AISI_DATABASE_URL set")
        self.snapshot_id = str(rows[0]["snapshot_id"])

    def query(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self._connection.execute(postgres_sql(name), params).fetchall())


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
        return _PinnedDuckDB(*self._pinned_parts()).query(name, params)

    def _pinned_parts(self) -> tuple[str, Any]:
        path, connection = self._current()
        return path.stem, connection

    @contextmanager
    def pin(self) -> Iterator[Pinned]:
        """The snapshot ``latest.duckdb`` names now, through its own connection, for the request."""
        yield _PinnedDuckDB(*self._pinned_parts())


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

    @contextmanager
    def pin(self) -> Iterator[Pinned]:
        """One read-only REPEATABLE READ transaction for the request: its snapshot id and every
        query see the database as it was when the transaction began (a publish commits the
        ``publishes`` row and the tables together)."""
        with self.pool.connection() as conn:
            with conn.transaction():
                conn.execute(postgres_sql("pin_snapshot"))
                yield _PinnedPostgres(conn)

    def close(self) -> None:
        self.pool.close()


def store_from_env() -> Store:
    url = settings().database_url
    if url:
        return PostgresStore(url)
    home = settings().home
    return DuckDBStore(home / "snapshots")
