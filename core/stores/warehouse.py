"""The warehouse (system of record) and the snapshot files exported from it.

The warehouse holds the catalog and all its history: PostgreSQL schema ``curated`` when
``AISI_DATABASE_URL`` is set, otherwise the embedded DuckDB file ``$AISI_HOME/warehouse.duckdb``.
Both are built from the same migrations (``sql/migrations``, portable SQL): yoyo applies them
to PostgreSQL, the DuckDB warehouse records them in ``warehouse_migrations``.

Each catalog run commits to it once, in one transaction (:meth:`Warehouse.commit`): current-state
tables (models, offerings, ...) are replaced, history tables are merged by key: new price rows
open, closed ones get their ``valid_to``, changes, benchmarks, performance and source runs are
appended; a row already stored is never written again. Snapshots are immutable point-in-time
exports of the warehouse (:class:`SnapshotStore`): no run reads history back from a snapshot, and
deleting every snapshot loses nothing.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol

import pandas as pd

from core.paths import LATEST_SNAPSHOT, SQL_DIR, read_sql
from core.sqlfiles import duckdb_sql, postgres_sql
from core.stores.commit import WarehouseCommit

MIGRATIONS_DIR = SQL_DIR / "migrations"
# Publish order: parents before children (no foreign keys today, but keep it stable).
TABLES = (
    "providers", "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs",
    "changes", "model_presence", "price_disagreements", "source_disagreements", "quarantine", "reference_prices", "publishes",
)


@dataclass(frozen=True)
class History:
    """How a history table is merged: by ``key``; ``updates`` says whether a stored row may
    change (a price row closes) or rows are only ever appended."""

    key: tuple[str, ...]
    updates: bool = False


# Tables that keep their history; every other table holds the current state and is replaced.
HISTORY: dict[str, History] = {
    "prices": History(("provider_id", "provider_model_id", "price_type", "above_tokens", "valid_from"), updates=True),
    "performance": History(("provider_id", "provider_model_id", "metric", "percentile", "source", "measured_at")),
    "benchmarks": History(("model_key", "benchmark", "variant", "source", "as_of")),
    "source_runs": History(("run_id", "source")),
    "changes": History(("run_id",)),  # a run's changes arrive together, once
    "publishes": History(("snapshot_id",)),
}
# Logs written beside the publishes, never replaced (a rollback's republish leaves them).
LOGS: dict[str, History] = {"rollbacks": History(("rolled_back_at",))}
# The queries the catalog reads its starting state with (sql/warehouse/state_<table>.sql).
STATE_TABLES = (
    "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs", "changes",
    "model_presence", "price_disagreements", "quarantine", "reference_prices",
)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def create_schema(con: Any) -> None:
    """Every migration run on the DuckDB connection ``con``, unrecorded: the empty catalog of a new
    snapshot file or of an in-memory database (a warehouse records its own: ``migrate``)."""
    for migration in migration_files():
        con.execute(migration.read_text(encoding="utf-8"))


def new_snapshot_id(now: datetime, taken: set[str]) -> str:
    """The UTC timestamp of ``now``, with ``-1``, ``-2`` ... when it is ``taken`` already."""
    base = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


SNAPSHOT_ALIAS = "aisi_snapshot_out"  # the new snapshot file, attached to the warehouse's connection while it is written


def _merge_statements(table: str, staged: str, columns: list[str], history: History) -> list[str]:
    """The UPDATE (when rows may change) and INSERT of a history table's merge, from
    ``sql/warehouse``; identifiers come from the migrations and are quoted."""
    key_match = " AND ".join(f"t.{_quote(c)} = s.{_quote(c)}" for c in history.key)
    values = [c for c in columns if c not in history.key]
    statements = []
    if history.updates and values:
        statements.append(read_sql("warehouse/update_changed.sql").format(
            table=_quote(table), staged=_quote(staged), key_match=key_match,
            assign=", ".join(f"{_quote(c)} = s.{_quote(c)}" for c in values),
            stored=", ".join(f"t.{_quote(c)}" for c in values), incoming=", ".join(f"s.{_quote(c)}" for c in values),
        ))
    names = ", ".join(_quote(c) for c in columns)
    statements.append(read_sql("warehouse/insert_new.sql").format(
        table=_quote(table), staged=_quote(staged), columns=names, key_match=key_match,
    ))
    return statements


def publish_row(snapshot_id: str, run_id: str, now: datetime, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``publishes`` row of a commit: which run published what, when."""
    prices = tables["prices"]
    row = {
        "snapshot_id": snapshot_id, "run_id": run_id, "published_at": pd.Timestamp(now),
        "models": len(tables["models"]), "offerings": len(tables["offerings"]), "prices": int(prices["valid_to"].isna().sum()),
    }
    return pd.DataFrame([row])


class _Writer(Protocol):
    """What :meth:`Warehouse.commit` needs of one write transaction of a backend."""

    def publish_ids(self, prefix: str) -> set[str]: ...

    def columns(self, table: str) -> list[str]: ...

    def replace(self, table: str, frame: pd.DataFrame) -> None: ...

    def merge(self, table: str, frame: pd.DataFrame, statements: list[str]) -> list[int]:
        """Stages ``frame`` as ``staged_<table>`` and runs the merge statements; their row counts."""
        ...


class Warehouse:
    """The system of record; :class:`DuckDBWarehouse` or :class:`PostgresWarehouse`."""

    kind: str
    location: str
    _empty: bool | None = None  # whether it has never been written, once asked

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Lets go of any connection held (the embedded warehouse keeps one while in use)."""

    def migrate(self) -> list[str]:
        raise NotImplementedError

    def query(self, query_file: str) -> pd.DataFrame:
        """Runs ``sql/<query_file>`` and returns its rows."""
        raise NotImplementedError

    def state(self, table: str) -> pd.DataFrame | None:
        """A table as the run starts (``sql/warehouse/state_<table>.sql``); None while the
        warehouse has never been written (the first run records a baseline)."""
        if self._empty is None:
            self._empty = self.is_empty()
        return None if self._empty else self.query(f"warehouse/state_{table}.sql")

    def is_empty(self) -> bool:
        return int(self.query("warehouse/is_empty.sql")["n"].iloc[0]) == 0

    def export(self) -> dict[str, pd.DataFrame]:
        """Every table as it is now, all read at once (a snapshot is written from :meth:`export_lazily`)."""
        return dict(self.export_lazily())

    def export_lazily(self) -> "Mapping[str, pd.DataFrame]":
        """Every table as :meth:`export` has it, each read only when asked for: a snapshot is
        written one table at a time, so only one table is in memory at once (the whole catalog
        as DataFrames at once was the refresh's peak resident memory at 10x)."""
        return _LazyTables(self)

    def query_table(self, table: str) -> pd.DataFrame:
        raise NotImplementedError

    def export_file(self, path: Path) -> dict[str, int]:
        """Every exported table written into the new DuckDB file ``path`` (its schema made by the
        migrations), one table in memory at a time (:meth:`export_lazily`). Rows written per table."""
        return _write_frames(path, self.export_lazily())

    def import_snapshot(self, snapshot: Path) -> dict[str, int]:
        """An existing home's history, taken once from its latest snapshot into an empty
        warehouse (``sql/snapshot/previous_*.sql`` read snapshots of every earlier layout)."""
        imported = _import_snapshot(self, snapshot)
        self._empty = None  # written now: ask again
        return imported

    def append(self, tables: dict[str, pd.DataFrame]) -> None:
        """Appends rows to tables in one transaction (the import of an existing home)."""
        raise NotImplementedError

    def commit(self, tables: dict[str, pd.DataFrame], run_id: str, now: datetime, taken: set[str] = frozenset()) -> WarehouseCommit:
        """Writes one run in one transaction (current tables replaced, history merged) with its
        ``publishes`` row; returns the snapshot id it publishes as, unique in the warehouse and
        not in ``taken`` (the snapshot files present)."""
        with self._writing() as writer:
            ids = writer.publish_ids(now.astimezone(timezone.utc).strftime("%Y%m%d") + "%")
            commit = WarehouseCommit(snapshot_id=new_snapshot_id(now, ids | set(taken)), location=self.location)
            full = {**tables, "publishes": publish_row(commit.snapshot_id, run_id, now, tables)}
            for table in TABLES:
                columns = writer.columns(table)
                frame = full[table].reindex(columns=columns)
                history = HISTORY.get(table)
                if history is None:
                    writer.replace(table, frame)
                    commit.inserted[table] = len(frame)
                    continue
                counts = writer.merge(table, frame, _merge_statements(table, f"staged_{table}", columns, history))
                commit.updated[table], commit.inserted[table] = (counts[0], counts[1]) if len(counts) == 2 else (0, counts[0])
        return commit

    def restore(self, tables: dict[str, pd.DataFrame], logged: dict[str, pd.DataFrame]) -> dict[str, int]:
        """In one transaction: each table of ``tables`` replaced whole by those rows (a rollback
        republishing a snapshot's tables) and the rows of ``logged`` appended to their log table
        (``LOGS``); the rows written per table."""
        written: dict[str, int] = {}
        with self._writing() as writer:
            for table in TABLES:
                if table in tables:
                    writer.replace(table, tables[table].reindex(columns=writer.columns(table)))
                    written[table] = len(tables[table])
            for table, frame in logged.items():
                columns = writer.columns(table)
                counts = writer.merge(table, frame.reindex(columns=columns), _merge_statements(table, f"staged_{table}", columns, LOGS[table]))
                written[table] = counts[-1]
        return written

    def _writing(self) -> "AbstractContextManager[_Writer]":
        """One write transaction: committed when the block ends, rolled back if it raises."""
        raise NotImplementedError


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse: one DuckDB file, written by one catalog run at a time."""

    kind = "duckdb"

    def __init__(self, path: Path):
        self.path = path
        self.location = str(path)
        self._connection: Any = None

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """The warehouse's one connection, opened on first use and kept while this object
        lives (a run reads its state, commits and exports through it); closed by :meth:`close`."""
        if self._connection is None:
            import duckdb

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = duckdb.connect(str(self.path))
        yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def migrate(self) -> list[str]:
        applied: list[str] = []
        with self._connect() as con:
            con.execute(duckdb_sql("warehouse/migrations_table.sql"))
            done = {r[0] for r in con.execute(duckdb_sql("warehouse/applied_migrations.sql")).fetchall()}
            for migration in migration_files():
                if migration.stem in done:
                    continue
                con.execute("BEGIN TRANSACTION")
                con.execute(migration.read_text(encoding="utf-8"))
                con.execute(duckdb_sql("warehouse/record_migration.sql"),
                            {"migration_id": migration.stem, "applied_at": datetime.now(timezone.utc)})
                con.execute("COMMIT")
                applied.append(migration.stem)
        return applied

    def query(self, query_file: str) -> pd.DataFrame:
        with self._connect() as con:
            return con.execute(duckdb_sql(query_file)).df()

    def query_table(self, table: str) -> pd.DataFrame:
        with self._connect() as con:
            return con.execute(f"SELECT * FROM {_quote(table)}").df()

    def export_file(self, path: Path) -> dict[str, int]:
        """Every exported table copied into the new DuckDB file ``path`` (its schema made by the
        migrations), in one transaction, by DuckDB itself: no row passes through Python (a table read
        into pandas and appended again took most of a publish's export). Rows copied per table."""
        with self._connect() as con:
            here = _quote(con.execute("SELECT current_database()").fetchone()[0])
            con.execute(f"ATTACH {_literal(str(path))} AS {SNAPSHOT_ALIAS}")
            try:
                con.execute(f"USE {SNAPSHOT_ALIAS}")
                con.execute("BEGIN TRANSACTION")
                try:
                    create_schema(con)
                    written = {}
                    for table in TABLES:
                        present = set(con.table(f"{here}.main.{_quote(table)}").columns)
                        columns = ", ".join(_quote(c) for c in con.table(_quote(table)).columns if c in present)
                        inserted = con.execute(f"INSERT INTO {_quote(table)} ({columns}) SELECT {columns} FROM {here}.main.{_quote(table)}")
                        written[table] = int(inserted.fetchone()[0])
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute(f"CHECKPOINT {SNAPSHOT_ALIAS}")
            finally:
                con.execute(f"USE {here}")
                con.execute(f"DETACH {SNAPSHOT_ALIAS}")
        return written

    @contextmanager
    def _writing(self) -> Iterator["_DuckDBWriter"]:
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield _DuckDBWriter(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def append(self, tables: dict[str, pd.DataFrame]) -> None:
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            for table, frame in tables.items():
                con.append(table, frame.reindex(columns=con.table(table).columns), by_name=True)
            con.execute("COMMIT")


@dataclass
class _DuckDBWriter:
    con: Any

    def publish_ids(self, prefix: str) -> set[str]:
        return {r[0] for r in self.con.execute(duckdb_sql("warehouse/publish_ids.sql"), {"prefix": prefix}).fetchall()}

    def columns(self, table: str) -> list[str]:
        return list(self.con.table(table).columns)

    def replace(self, table: str, frame: pd.DataFrame) -> None:
        self.con.execute(read_sql("warehouse/replace_all.sql").format(table=_quote(table)))
        self.con.append(table, frame, by_name=True)

    def merge(self, table: str, frame: pd.DataFrame, statements: list[str]) -> list[int]:
        self.con.register(f"staged_{table}", frame)
        try:
            return [int(self.con.execute(statement).fetchone()[0]) for statement in statements]
        finally:
            self.con.unregister(f"staged_{table}")


def _frame(cursor: Any) -> pd.DataFrame:
    """A psycopg result as a DataFrame typed as DuckDB would give it: timestamps as UTC
    datetimes, integers as nullable Int64, floats as float64."""
    names = [d.name for d in cursor.description]
    frame = pd.DataFrame.from_records(cursor.fetchall(), columns=names)
    types = {d.name: d.type_code for d in cursor.description}
    for name in names:
        oid = types[name]
        if oid in (1184, 1114):  # timestamptz, timestamp
            frame[name] = pd.to_datetime(frame[name], utc=True)
        elif oid in (20, 21, 23):  # bigint, smallint, integer
            frame[name] = frame[name].astype("Int64")
        elif oid in (700, 701, 1700):  # real, double, numeric
            frame[name] = frame[name].astype("float64")
        elif oid == 1082:  # date
            frame[name] = pd.to_datetime(frame[name])
    return frame


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


class PostgresWarehouse(Warehouse):
    """The ``curated`` schema: migrated by yoyo, one transaction per run."""

    kind = "postgres"

    def __init__(self, url: str):
        self.url = url
        self.location = "PostgreSQL schema curated"

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

    def query(self, query_file: str) -> pd.DataFrame:
        import psycopg

        with psycopg.connect(self.url) as conn:
            conn.execute(read_sql("postgres/set_search_path.sql"))
            with conn.cursor() as cur:
                return _frame(cur.execute(postgres_sql(query_file)))

    def query_table(self, table: str) -> pd.DataFrame:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url) as conn, conn.cursor() as cur:
            return _frame(cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier("curated", table))))

    @contextmanager
    def _writing(self) -> Iterator["_PostgresWriter"]:
        import psycopg

        with psycopg.connect(self.url) as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(read_sql("postgres/set_search_path.sql"))
            # One writer at a time: a second run waits here rather than interleaving its rows.
            cur.execute(read_sql("postgres/lock_publishes.sql"))
            yield _PostgresWriter(cur)

    def append(self, tables: dict[str, pd.DataFrame]) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url) as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(read_sql("postgres/set_search_path.sql"))
            writer = _PostgresWriter(cur)
            for table, frame in tables.items():
                writer.copy(frame.reindex(columns=writer.columns(table)), table, sql.Identifier("curated", table))


@dataclass
class _PostgresWriter:
    cur: Any
    integers: dict[str, set[str]] = field(default_factory=dict)  # per table, its integer columns

    def publish_ids(self, prefix: str) -> set[str]:
        return {r[0] for r in self.cur.execute(postgres_sql("warehouse/publish_ids.sql"), {"prefix": prefix}).fetchall()}

    def columns(self, table: str) -> list[str]:
        rows = self.cur.execute(read_sql("postgres/table_columns.sql"), {"table": table}).fetchall()
        self.integers[table] = {r[0] for r in rows if r[1] in ("smallint", "integer", "bigint")}
        return [r[0] for r in rows]

    def copy(self, frame: pd.DataFrame, table: str, target: Any) -> None:
        from psycopg import sql

        frame = _with_integers(frame, self.integers.get(table, set()))
        statement = sql.SQL(read_sql("postgres/copy_table.sql")).format(
            table=target, columns=sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns),
        )
        with self.cur.copy(statement) as copy:
            for row in _rows(frame):
                copy.write_row(row)

    def replace(self, table: str, frame: pd.DataFrame) -> None:
        from psycopg import sql

        self.cur.execute(sql.SQL(read_sql("warehouse/replace_all.sql")).format(table=sql.Identifier("curated", table)))
        self.copy(frame, table, sql.Identifier("curated", table))

    def merge(self, table: str, frame: pd.DataFrame, statements: list[str]) -> list[int]:
        from psycopg import sql

        staged = f"staged_{table}"
        self.cur.execute(sql.SQL(read_sql("postgres/stage_table.sql")).format(
            staged=sql.Identifier(staged), table=sql.Identifier("curated", table)))
        self.copy(frame, table, sql.Identifier(staged))
        counts = []
        for statement in statements:
            self.cur.execute(statement)
            counts.append(self.cur.rowcount)
        return counts


# What an existing home's latest snapshot gives the warehouse when it is adopted.
IMPORTED = (
    "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs", "changes",
    "model_presence", "price_disagreements", "quarantine", "reference_prices", "publishes",
)


def _import_snapshot(warehouse: Warehouse, snapshot: Path) -> dict[str, int]:
    import duckdb

    tables: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for table in IMPORTED:
            try:
                tables[table] = con.execute(read_sql(f"snapshot/previous_{table}.sql")).df()
            except duckdb.CatalogException:
                continue  # a snapshot from before the migration that added the table
    warehouse.append(tables)
    return {t: len(f) for t, f in tables.items()}


def _write_frames(path: Path, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """A new DuckDB file at ``path`` (schema by the migrations) holding ``tables``; rows per table."""
    import duckdb

    written: dict[str, int] = {}
    with duckdb.connect(str(path)) as con:
        # One transaction: the file is new and private until renamed, so there is nothing to make
        # durable statement by statement (a commit each was ~160 WAL syncs).
        con.execute("BEGIN TRANSACTION")
        create_schema(con)
        for table in TABLES:
            columns = con.table(table).columns
            frame = tables[table].reindex(columns=columns)
            con.append(table, frame, by_name=True)
            written[table] = len(frame)
            del frame
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    return written


class _LazyTables(Mapping[str, pd.DataFrame]):
    """The warehouse's tables, each queried when looked up (not kept)."""

    def __init__(self, warehouse: Warehouse):
        self._warehouse = warehouse

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in TABLES:
            raise KeyError(table)
        return self._warehouse.query_table(table)

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)


@dataclass(frozen=True)
class PublishedSnapshot:
    snapshot_id: str
    path: Path
    rows: dict[str, int]  # rows written per table (the frames themselves are not kept)


class SnapshotStore:
    """One DuckDB file per publish, written aside and renamed into place; ``latest.duckdb``
    is a symlink to the newest, swapped atomically."""

    def __init__(self, directory: Path, keep: int = 30):
        self.directory = directory
        self.keep = keep

    @property
    def latest(self) -> Path:
        return self.directory / LATEST_SNAPSHOT

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

    def snapshot_ids(self) -> set[str]:
        return {p.stem for p in self.snapshots()}

    def write(self, snapshot_id: str, tables: Mapping[str, pd.DataFrame] | Warehouse) -> PublishedSnapshot:
        """Writes ``tables``: frames (each looked up once, in turn, and let go once appended: a lazy
        mapping such as :meth:`Warehouse.export_lazily` keeps one table in memory at a time), or a
        warehouse's tables (its ``export_file``: the embedded one copies them inside DuckDB,
        PostgreSQL's are read one table at a time)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{snapshot_id}.duckdb"
        tmp = self.directory / f".{snapshot_id}.duckdb.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        try:
            written = tables.export_file(tmp) if isinstance(tables, Warehouse) else _write_frames(tmp, tables)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
        link_tmp = self.directory / f".{LATEST_SNAPSHOT}.{snapshot_id}"
        link_tmp.unlink(missing_ok=True)
        link_tmp.symlink_to(final.name)
        os.replace(link_tmp, self.latest)
        self._prune()
        return PublishedSnapshot(snapshot_id=snapshot_id, path=final, rows=written)

    def snapshots(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*.duckdb") if p.name != LATEST_SNAPSHOT and not p.name.startswith("."))

    def _prune(self) -> None:
        """The retention the maintenance job applies, at each publish: the newest ``keep`` and the
        last of each day for ``AISI_SNAPSHOT_DAILY_DAYS`` stay, and always the current one."""
        from core.stores.snapshot_retention import keep_from_env, plan

        if self.keep <= 0:
            return
        decided = plan(self.snapshots(), self.latest_path(), datetime.now(timezone.utc), self.keep, keep_from_env()[1])
        for old in decided.delete:
            old.unlink(missing_ok=True)
