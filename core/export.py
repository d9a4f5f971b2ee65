"""Bulk export of a published table, streamed batch by batch: what ``GET /api/v1/export/...``
and ``aisi export`` share.

A table is read from ONE snapshot, held for the whole export (:func:`pin_catalog`): the DuckDB file
``latest.duckdb`` named when the export began (a snapshot file never changes once published), or
one read-only REPEATABLE READ transaction in PostgreSQL ``curated``. The availability rollups come
from the monitor's store instead (:func:`pin_monitor`), as they are when the export began.

Rows leave the database as Arrow record batches of at most ``batch_rows`` rows (DuckDB's Arrow
reader; PostgreSQL through a server-side cursor) and each batch is encoded and handed on before the
next one is read, so an export holds one batch in memory, never the table:

- ``csv``: a header line, then the rows (pyarrow's CSV writer; RFC 4180 quoting). A list (the
  modalities) is its items joined by ``|``; NULL is an empty field, an empty text ``""``.
- ``json``: one JSON array of row objects, one row per line (a valid JSON document that a JSON
  reader takes whole, and that a line reader takes row by row once the ``[`` and ``]`` lines are
  dropped). Timestamps are ISO 8601 in UTC with microseconds (``2026-11-01T08:30:15.123456Z``),
  dates ``YYYY-MM-DD``, lists arrays.
- ``parquet``: one row group per batch (pyarrow's Parquet writer), the footer at the end.

Every format carries the same values; a number that is not finite (none is published) would be
NULL, never ``NaN``. Rows come in a fixed order (the table's key, texts in byte order), so both
stores export the same bytes for the same data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import tempfile
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from core.paths import LATEST_SNAPSHOT, read_sql, snapshots_dir
from core.sqlfiles import duckdb_sql, postgres_sql

# Rows per batch: one batch is what an export holds in memory at a time.
BATCH_ROWS = 10_000
# Bytes per read of the snapshot file.
FILE_CHUNK_BYTES = 1024 * 1024
# Part of every export's ETag: a change to how exports are encoded changes their tags too.
EXPORT_VERSION = "1"
CATALOG, MONITOR = "catalog", "monitor"
LIST_SEPARATOR = "|"

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}


@dataclass(frozen=True)
class ExportTable:
    """A table (or view) that can be exported: its public name, where it lives, what it holds."""

    name: str
    store: str  # CATALOG (the snapshot) or MONITOR (the availability monitor's store)
    description: str

    @property
    def sql_file(self) -> str:
        return f"export/{self.name}.sql"


TABLES: dict[str, ExportTable] = {t.name: t for t in (
    ExportTable("models", CATALOG, "every published model (listed or not) with its status and source"),
    ExportTable("offerings", CATALOG, "every model as served by a provider, with its billing kind"),
    ExportTable("prices", CATALOG, "current prices (view current_prices), USD per 1M tokens, with long-context tiers and billing"),
    ExportTable("price_history", CATALOG, "every price row ever published, with valid_from / valid_to (table prices)"),
    ExportTable("changes", CATALOG, "the change feed: models added / removed, price, context and status changes"),
    ExportTable("benchmarks", CATALOG, "every benchmark score with its date"),
    ExportTable("performance", CATALOG, "time to first token, latency, throughput and uptime per offering"),
    ExportTable("leaderboard", CATALOG, "one row per benchmarked model: main scores, speed, blended price (view)"),
    ExportTable("providers", CATALOG, "providers with their model and offering counts"),
    ExportTable("aliases", CATALOG, "every source id and the model key it maps to (table model_aliases)"),
    ExportTable("reference_prices", CATALOG, "each model's price at its creator, with basis and spread"),
    ExportTable("quarantine", CATALOG, "source prices held out of the publish, with rule and reason"),
    ExportTable("source_runs", CATALOG, "one row per source per run: status, badge, rows, rejected records, error"),
    ExportTable("publishes", CATALOG, "every snapshot published"),
    ExportTable("availability", MONITOR, "availability rollups per UTC hour and day, provider and probe (monitor store)"),
)}


class UnknownTable(LookupError):
    """Not a table that can be exported."""


class UnknownFormat(ValueError):
    """Not a format an export is written in."""


class NothingToExport(LookupError):
    """The store has nothing yet: no snapshot published, or no availability recorded."""


def export_table(name: str) -> ExportTable:
    """The table named ``name``; UnknownTable naming the known ones otherwise."""
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(f"unknown table {name!r}; known: {', '.join(TABLES)}") from None


def check_format(fmt: str) -> str:
    """``fmt`` when it is a known format; UnknownFormat naming the known ones otherwise."""
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return fmt


def file_name(table: str, fmt: str, snapshot_id: str) -> str:
    """The attachment's name: ``aisi-<table>-<snapshot id>.<format>``."""
    return f"aisi-{table}-{snapshot_id}.{fmt}"


# -- one snapshot, held for the export --------------------------------------------------------


class Pinned(Protocol):
    """One store as it was when the export began; every batch of the export reads it.

    ``snapshot_id`` names it in file names (the catalog's snapshot id, or ``monitor-<last check>``
    for the monitor); ``tag`` identifies its content for ETags."""

    snapshot_id: str
    tag: str

    def batches(self, table: ExportTable, batch_rows: int) -> "pa.RecordBatchReader": ...

    def count(self, table: ExportTable) -> int: ...


def _count_sql(table: ExportTable) -> str:
    return read_sql("export/count.sql").format(query=read_sql(table.sql_file))


class DuckDBPinned:
    """One DuckDB file through its own read-only connection."""

    def __init__(self, path: Path, connection: Any, snapshot_id: str, tag: str | None = None):
        self.path = path
        self.snapshot_id = snapshot_id
        self.tag = tag or snapshot_id
        self._connection = connection

    def batches(self, table: ExportTable, batch_rows: int) -> pa.RecordBatchReader:
        return self._connection.sql(duckdb_sql(table.sql_file)).to_arrow_reader(batch_rows)

    def count(self, table: ExportTable) -> int:
        return int(self._connection.execute(_count_sql(table)).fetchall()[0][0])


class PostgresPinned:
    """One read-only REPEATABLE READ transaction on a connection of its own: a publish committed
    while the export runs is not seen by it."""

    def __init__(self, connection: Any, snapshot_id: str, tag: str | None = None):
        self.snapshot_id = snapshot_id
        self.tag = tag or snapshot_id
        self._connection = connection
        self._cursors = 0

    def batches(self, table: ExportTable, batch_rows: int) -> pa.RecordBatchReader:
        from psycopg.rows import tuple_row

        self._cursors += 1
        # A server-side cursor: the server keeps the result, the client fetches batch_rows at a time.
        cursor = self._connection.cursor(name=f"aisi_export_{self._cursors}", row_factory=tuple_row)
        cursor.itersize = batch_rows
        cursor.execute(postgres_sql(table.sql_file))
        schema = _postgres_schema(cursor.description)

        def read() -> Iterator[pa.RecordBatch]:
            try:
                while rows := cursor.fetchmany(batch_rows):
                    columns = list(zip(*rows))
                    yield pa.record_batch([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)
            finally:
                cursor.close()

        return pa.RecordBatchReader.from_batches(schema, read())

    def count(self, table: ExportTable) -> int:
        from psycopg.rows import tuple_row

        with self._connection.cursor(row_factory=tuple_row) as cursor:
            return int(cursor.execute(_count_sql(table)).fetchone()[0])


# PostgreSQL type OIDs -> the Arrow type DuckDB gives the same column (see normalised()).
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 25: pa.string(), 1043: pa.string(), 19: pa.string(),
    700: pa.float32(), 701: pa.float64(), 1700: pa.float64(), 1082: pa.date32(),
    1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
    1009: pa.list_(pa.string()), 1015: pa.list_(pa.string()), 1007: pa.list_(pa.int32()), 1016: pa.list_(pa.int64()),
    114: pa.string(), 3802: pa.string(),
}


def _postgres_schema(description: Any) -> pa.Schema:
    fields = []
    for column in description:
        kind = _PG_TYPES.get(column.type_code)
        if kind is None:
            raise TypeError(f"column {column.name}: PostgreSQL type {column.type_code} has no export type")
        fields.append(pa.field(column.name, kind))
    return pa.schema(fields)


def snapshot_path(latest: Path) -> Path:
    """The snapshot file ``latest`` (``latest.duckdb``) names now; NothingToExport when none."""
    try:
        return latest.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise NothingToExport(f"no snapshot at {latest}; run `aisi refresh`") from None


@contextmanager
def pin_duckdb(latest: Path) -> Iterator[DuckDBPinned]:
    """The snapshot ``latest`` names when this is entered, read through its own read-only
    connection until the block ends (a new publish swaps the link, not this file)."""
    import duckdb

    path = snapshot_path(latest)
    connection = duckdb.connect(str(path), read_only=True)
    try:
        yield DuckDBPinned(path, connection, path.stem)
    finally:
        connection.close()


@contextmanager
def pin_postgres(url: str) -> Iterator[PostgresPinned]:
    """Schema ``curated`` as of one transaction on a connection of its own (an export may stream
    for long: it does not hold a connection of the API's pool)."""
    import psycopg

    with psycopg.connect(url, options="-c search_path=curated") as connection:
        with connection.transaction():
            connection.execute(postgres_sql("export/pin_snapshot.sql"))
            try:
                row = connection.execute(postgres_sql("export/snapshot_id.sql")).fetchone()
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                row = None
            if row is None:
                raise NothingToExport("nothing published to PostgreSQL yet; run `aisi refresh` with AISI_DATABASE_URL set")
            yield PostgresPinned(connection, str(row[0]))


def pin_catalog(home: Path, database_url: str | None) -> AbstractContextManager[Pinned]:
    """The catalog served now, held until the block ends: PostgreSQL ``curated`` when
    ``database_url`` is set, else ``<home>/snapshots/latest.duckdb``."""
    return pin_postgres(database_url) if database_url else pin_duckdb(snapshots_dir(home) / LATEST_SNAPSHOT)


def _monitor_label(last_checked_at: Any) -> str:
    if not isinstance(last_checked_at, dt.datetime):
        return "monitor-empty"
    return "monitor-" + last_checked_at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _monitor_tag(version: tuple[Any, ...]) -> str:
    spans, checks, last = version
    return f"{_monitor_label(last)}-{int(spans)}-{int(checks)}"


@contextmanager
def pin_monitor(home: Path, database_url: str | None) -> Iterator[Pinned]:
    """The availability monitor's store as it is when this is entered.

    PostgreSQL (schema ``monitor``): one REPEATABLE READ transaction, like the catalog. The
    embedded DuckDB file is shared with the monitor, which writes it every minute and cannot while
    a connection reads it: its rollups are copied at once to a temporary Parquet file (one
    read-only connection, held for the copy only) and the export streams from that copy."""
    if database_url:
        import psycopg

        with psycopg.connect(database_url, options="-c search_path=monitor") as connection:
            with connection.transaction():
                connection.execute(postgres_sql("export/pin_snapshot.sql"))
                try:
                    version = connection.execute(postgres_sql("export/availability_version.sql")).fetchone()
                except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                    version = None
                if version is None:
                    raise NothingToExport("the availability monitor has recorded nothing yet (run `aisi monitor`)")
                yield PostgresPinned(connection, _monitor_label(version[2]), _monitor_tag(version))
        return
    from core.stores.monitor import DuckDBMonitorStore, monitor_dir

    store = DuckDBMonitorStore(monitor_dir(home) / "monitor.duckdb")
    if not store.exists():
        raise NothingToExport("the availability monitor has recorded nothing yet (run `aisi monitor`)")
    with tempfile.TemporaryDirectory(prefix="aisi-export-") as tmp:
        copy = Path(tmp) / "availability.parquet"
        import duckdb

        try:
            with store.connect(read_only=True) as connection:
                connection.execute("BEGIN TRANSACTION")
                version = connection.execute(duckdb_sql("export/availability_version.sql")).fetchall()[0]
                connection.sql(duckdb_sql(TABLES["availability"].sql_file)).to_parquet(str(copy))
                connection.execute("ROLLBACK")
        except duckdb.CatalogException:
            raise NothingToExport("the availability monitor has recorded nothing yet (run `aisi monitor`)") from None
        yield _ParquetPinned(copy, _monitor_label(version[2]), _monitor_tag(version))


class _ParquetPinned:
    """The monitor's rollups as copied to a Parquet file when the export began."""

    def __init__(self, path: Path, snapshot_id: str, tag: str):
        self.path = path
        self.snapshot_id = snapshot_id
        self.tag = tag

    def batches(self, table: ExportTable, batch_rows: int) -> pa.RecordBatchReader:
        import pyarrow.parquet as pq

        source = pq.ParquetFile(self.path)
        return pa.RecordBatchReader.from_batches(source.schema_arrow, source.iter_batches(batch_size=batch_rows))

    def count(self, table: ExportTable) -> int:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(self.path).metadata.num_rows)


def pin(table: ExportTable, home: Path, database_url: str | None) -> AbstractContextManager[Pinned]:
    """The store ``table`` lives in, held until the block ends."""
    return pin_monitor(home, database_url) if table.store == MONITOR else pin_catalog(home, database_url)


# -- encoding ------------------------------------------------------------------------------


def _normal_type(kind: pa.DataType) -> pa.DataType:
    """The one Arrow type an export writes for a column, whichever store it came from."""
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC" if kind.tz else None)  # the same instants, shown in UTC
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_decimal(kind):
        return pa.float64()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_normal_type(kind.value_type))  # item name "item" (DuckDB says "l")
    return kind


def normalised(schema: pa.Schema) -> pa.Schema:
    """``schema`` with the types an export writes (see ``_normal_type``)."""
    return pa.schema([pa.field(f.name, _normal_type(f.type)) for f in schema])


def _finite(column: pa.Array) -> pa.Array:
    """A float column with every NaN or infinity as NULL (unknown, never a number that is not one)."""
    if pa.types.is_floating(column.type) and len(column):
        bad = pc.invert(pc.is_finite(column))
        if pc.any(bad).as_py():
            return pc.if_else(bad, pa.scalar(None, column.type), column)
    return column


def _clean(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    return pa.record_batch([_finite(c.cast(f.type)) for c, f in zip(batch.columns, schema)], schema=schema)


class _Chunks:
    """A write-only file for pyarrow's writers that keeps what they wrote until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        part = bytes(data)
        self._parts.append(part)
        self._position += len(part)
        return len(part)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_list(f.type) else f for f in schema])


def _csv_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    columns = [pc.binary_join(pc.cast(c, pa.list_(pa.string())), LIST_SEPARATOR) if pa.types.is_list(c.type) else c
               for c in batch.columns]
    return pa.record_batch(columns, schema=schema)


JSON_SLICE_ROWS = 1_000  # rows turned into Python objects at a time (a slice of a batch)


def _json_column(column: pa.Array) -> pa.Array:
    """Times as ISO 8601 text before the rows become Python objects (faster than datetimes, and
    one spelling): timestamps in UTC with microseconds and ``Z``, dates ``YYYY-MM-DD``."""
    if pa.types.is_timestamp(column.type):
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ" if column.type.tz else "%Y-%m-%dT%H:%M:%S")
    if pa.types.is_date(column.type) or pa.types.is_time(column.type):
        return column.cast(pa.string())
    return column


def _json_rows(batch: pa.RecordBatch) -> Iterator[str]:
    """Each row of ``batch`` as a JSON object, a slice of ``JSON_SLICE_ROWS`` rows at a time."""
    prepared = pa.record_batch([_json_column(c) for c in batch.columns], names=batch.schema.names)
    for offset in range(0, prepared.num_rows, JSON_SLICE_ROWS):
        for row in prepared.slice(offset, JSON_SLICE_ROWS).to_pylist():
            yield json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(fmt: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
    """The bytes of an export in ``fmt``, one chunk per batch (plus the header or opening and the
    footer or closing), each yielded before the next batch is asked for."""
    check_format(fmt)
    schema = normalised(schema)
    sink = _Chunks()
    if fmt == "csv":
        import pyarrow.csv as pcsv

        csv_schema = _csv_schema(schema)
        writer: Any = pcsv.CSVWriter(sink, csv_schema)
        yield sink.take()  # the header line
        for batch in batches:
            writer.write_batch(_csv_batch(_clean(batch, schema), csv_schema))
            yield sink.take()
        writer.close()
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        writer = pq.ParquetWriter(sink, schema)
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(_clean(batch, schema))
                yield sink.take()
        writer.close()
    else:
        first = True
        yield b"["
        for batch in batches:
            rows = _json_rows(_clean(batch, schema))
            while part := list(itertools.islice(rows, JSON_SLICE_ROWS)):
                yield (("\n" if first else ",\n") + ",\n".join(part)).encode()
                first = False
        sink.write(b"\n]\n" if not first else b"]\n")
    tail = sink.take()
    if tail:
        yield tail


@dataclass
class Progress:
    """What an export has streamed so far (handed to its progress callback after each batch)."""

    rows: int = 0
    bytes: int = 0
    batches: int = 0


def stream(pinned: Pinned, table: ExportTable, fmt: str, batch_rows: int = BATCH_ROWS,
           progress: Callable[[Progress], None] | None = None) -> Iterator[bytes]:
    """The export of ``table`` from ``pinned`` in ``fmt``, chunk by chunk; ``progress`` is told
    the rows and bytes so far after each batch."""
    check_format(fmt)
    done = Progress()
    reader = pinned.batches(table, batch_rows)

    def counted() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            done.rows += batch.num_rows
            done.batches += 1
            yield batch

    for chunk in encode(fmt, reader.schema, counted()):
        done.bytes += len(chunk)
        if progress is not None:
            progress(done)
        yield chunk


def file_chunks(handle: IO[bytes], chunk_bytes: int = FILE_CHUNK_BYTES) -> Iterator[bytes]:
    """An open file's bytes from its start, ``chunk_bytes`` at a time; closes it at the end."""
    try:
        handle.seek(0)
        while chunk := handle.read(chunk_bytes):
            yield chunk
    finally:
        handle.close()


def open_snapshot_file(latest: Path) -> tuple[str, IO[bytes], int]:
    """The snapshot file ``latest`` names now, opened: (its snapshot id, the open file, its size).
    The open file keeps reading that snapshot even if it is pruned or replaced meanwhile."""
    path = snapshot_path(latest)
    handle = open(path, "rb")
    return path.stem, handle, os.fstat(handle.fileno()).st_size


# -- the command line's side: a file (or standard output) with a progress bar ------------------


def size_text(n: int) -> str:
    """A byte count as people read it (1.5 MiB)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def write_export(table: ExportTable, fmt: str, out: str | None, home: Path, database_url: str | None,
                 show_progress: bool | None = None, batch_rows: int = BATCH_ROWS) -> str:
    """Writes the export of ``table`` in ``fmt`` to ``out`` (a path; ``-`` for standard output;
    None for ``aisi-<table>-<snapshot id>.<format>`` in the current directory) and returns a
    one-line summary. A file is written aside and renamed into place once complete, so a failed
    export leaves no partial file. ``show_progress``: a progress bar on standard error (None: only
    when standard error is a terminal)."""
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

    check_format(fmt)
    console = Console(stderr=True, force_terminal=True if show_progress else None)
    visible = console.is_terminal if show_progress is None else show_progress
    with pin(table, home, database_url) as pinned:
        target = Path(out) if out and out != "-" else Path.cwd() / file_name(table.name, fmt, pinned.snapshot_id)
        total = pinned.count(table) if visible else None
        with Bar(TextColumn(f"{table.name} [dim]{pinned.snapshot_id}[/dim]"), BarColumn(), MofNCompleteColumn(),
                 TextColumn("rows, {task.fields[size]}"), TimeElapsedColumn(),
                 console=console, disable=not visible, transient=False) as bar:
            task = bar.add_task("export", total=total, size=size_text(0))
            done = Progress()

            def advance(progress: Progress) -> None:
                done.rows, done.bytes, done.batches = progress.rows, progress.bytes, progress.batches
                bar.update(task, completed=progress.rows, size=size_text(progress.bytes))

            chunks = stream(pinned, table, fmt, batch_rows, advance)
            if out == "-":
                sink = sys.stdout.buffer
                for chunk in chunks:
                    sink.write(chunk)
                sink.flush()
                where = "standard output"
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                try:
                    with open(tmp, "wb") as fh:
                        for chunk in chunks:
                            fh.write(chunk)
                    os.replace(tmp, target)
                finally:
                    tmp.unlink(missing_ok=True)
                where = str(target)
        return (f"{table.name}: {done.rows} rows, {size_text(done.bytes)} of {fmt} from "
                f"{'snapshot ' if table.store == CATALOG else ''}{pinned.snapshot_id} to {where}")
