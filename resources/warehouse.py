"""Warehouse resources: DuckDB snapshot files and the PostgreSQL ``curated`` schema.

Both stores are built from the same migrations (``sql/migrations``, portable SQL): yoyo
applies them to PostgreSQL; each DuckDB snapshot runs them in order into a fresh file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from dagster import ConfigurableResource
from pydantic import Field

from resources.paths import SQL_DIR, read_sql, snapshots_dir

MIGRATIONS_DIR = SQL_DIR / "migrations"
# Publish order: parents before children (no foreign keys today, but keep it stable).
TABLES = (
    "providers", "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs",
    "changes", "model_presence", "price_disagreements", "source_disagreements", "quarantine", "reference_prices", "publishes",
)
LATEST = "latest.duckdb"


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def _snapshot_id(now: datetime, directory: Path) -> str:
    base = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while (directory / f"{candidate}.duckdb").exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@dataclass(frozen=True)
class PublishedSnapshot:
    snapshot_id: str
    path: Path
    tables: dict[str, pd.DataFrame]  # as written: only the columns the tables have

    @property
    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


class SnapshotStore:
    """One DuckDB file per publish, written aside and renamed into place; ``latest.duckdb``
    is a symlink to the newest, swapped atomically."""

    def __init__(self, directory: Path, keep: int = 30):
        self.directory = directory
        self.keep = keep

    @property
    def latest(self) -> Path:
        return self.directory / LATEST

    def latest_path(self) -> Path | None:
        return self.latest.resolve() if self.latest.exists() else None

    def read_table(self, query_file: str) -> pd.DataFrame | None:
        """Runs ``sql/<query_file>`` against the latest snapshot; None when there is none."""
        import duckdb

        path = self.latest_path()
        if path is None:
            return None
        with duckdb.connect(str(path), read_only=True) as con:
            try:
                return con.execute(read_sql(query_file)).df()
            except duckdb.CatalogException:
                return None  # a snapshot from before the migration that added the table

    def new_snapshot_id(self, now: datetime) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        return _snapshot_id(now, self.directory)

    def write(self, snapshot_id: str, tables: dict[str, pd.DataFrame]) -> PublishedSnapshot:
        import duckdb

        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{snapshot_id}.duckdb"
        tmp = self.directory / f".{snapshot_id}.duckdb.tmp"
        tmp.unlink(missing_ok=True)
        written: dict[str, pd.DataFrame] = {}
        try:
            with duckdb.connect(str(tmp)) as con:
                for migration in migration_files():
                    con.execute(migration.read_text(encoding="utf-8"))
                for table in TABLES:
                    columns = con.table(table).columns
                    frame = tables[table].reindex(columns=columns)
                    con.append(table, frame, by_name=True)
                    written[table] = frame
                con.execute("CHECKPOINT")
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
        link_tmp = self.directory / f".{LATEST}.{snapshot_id}"
        link_tmp.unlink(missing_ok=True)
        link_tmp.symlink_to(final.name)
        os.replace(link_tmp, self.latest)
        self._prune()
        return PublishedSnapshot(snapshot_id=snapshot_id, path=final, tables=written)

    def snapshots(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*.duckdb") if p.name != LATEST and not p.name.startswith("."))

    def _prune(self) -> None:
        """The retention the maintenance job applies, at each publish: the newest ``keep`` and the
        last of each day for ``AISI_SNAPSHOT_DAILY_DAYS`` stay, and always the current one."""
        from resources.snapshot_retention import keep_from_env, plan

        if self.keep <= 0:
            return
        decided = plan(self.snapshots(), self.latest_path(), datetime.now(timezone.utc), self.keep, keep_from_env()[1])
        for old in decided.delete:
            old.unlink(missing_ok=True)


class SnapshotStoreResource(ConfigurableResource):
    """DuckDB snapshot directory; default ``$AISI_HOME/snapshots``."""

    directory: str | None = Field(default=None, description="Snapshot directory; default $AISI_HOME/snapshots.")
    keep: int = Field(default=30, description="How many snapshot files to keep (the newest).")

    def open(self) -> SnapshotStore:
        return SnapshotStore(Path(self.directory) if self.directory else snapshots_dir(), keep=self.keep)


def _with_integers(frame: pd.DataFrame, integer_columns: set[str]) -> pd.DataFrame:
    """Integer columns as pandas' nullable Int64: a float 64000.0 is written as 64000."""
    columns = [c for c in frame.columns if c in integer_columns]
    return frame.astype({c: "Int64" for c in columns}) if columns else frame


def _rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    clean = frame.astype(object).where(frame.notna(), None)
    for row in clean.itertuples(index=False, name=None):
        yield tuple(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row)


def yoyo_url(database_url: str, schema: str = "curated") -> str:
    """yoyo's URL for psycopg 3, with ``schema`` as its search path."""
    scheme, rest = database_url.split("://", 1)
    separator = "&" if "?" in rest else "?"
    return f"postgresql+psycopg://{rest}{separator}schema={schema}" if scheme.startswith("postgres") else database_url


class PostgresWarehouse:
    """The ``curated`` schema: migrated by yoyo, replaced whole in one transaction per publish."""

    def __init__(self, url: str):
        self.url = url

    def migrate(self) -> list[str]:
        import psycopg
        from yoyo import get_backend, read_migrations

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(read_sql("postgres/create_schema.sql"))
        backend = get_backend(yoyo_url(self.url))
        migrations = read_migrations(str(MIGRATIONS_DIR))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [m.id for m in pending]

    def publish(self, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
        import psycopg
        from psycopg import sql

        copy_template = read_sql("postgres/copy_table.sql")
        integer_columns_sql = read_sql("postgres/integer_columns.sql")
        rows: dict[str, int] = {}
        with psycopg.connect(self.url) as conn:
            with conn.transaction():
                conn.execute(read_sql("postgres/set_search_path.sql"))
                conn.execute(read_sql("postgres/clear_current.sql"))
                with conn.cursor() as cur:
                    for table in TABLES:
                        integers = {c for (c,) in cur.execute(integer_columns_sql, {"table": table}).fetchall()}
                        frame = _with_integers(tables[table], integers)
                        statement = sql.SQL(copy_template).format(
                            table=sql.Identifier("curated", table),
                            columns=sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns),
                        )
                        with cur.copy(statement) as copy:
                            for row in _rows(frame):
                                copy.write_row(row)
                        rows[table] = len(frame)
        return rows


class PostgresResource(ConfigurableResource):
    """PostgreSQL for the ``curated`` schema; publishing is skipped when ``url`` is empty."""

    url: str | None = Field(default=None, description="postgresql:// URL (AISI_DATABASE_URL); empty disables it.")

    def open(self) -> PostgresWarehouse | None:
        return PostgresWarehouse(self.url) if self.url else None
