"""Bulk export (``GET /api/v1/export/{table}.{format}``, ``/api/v1/export/snapshot.duckdb``): every
table in every format reads back (DuckDB and pandas) as the table it came from, PostgreSQL mode
exports the same bytes as DuckDB mode, the body is streamed batch by batch from one snapshot held
for the whole export, and the ETag, file name and errors say what they should.

The catalog is a real snapshot file built by the migrations, every exported table filled with rows
of every column type (text with commas, quotes, new lines, ``NA``, empty text and NULL; lists empty
and not; timestamps to the microsecond), more rows than a batch."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import math
import os
import re
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.store import DuckDBStore, PostgresStore
from core import export
from core.stores.monitor import DuckDBMonitorStore, PostgresMonitorStore
from core.stores.warehouse import TABLES as WAREHOUSE_TABLES
from core.stores.warehouse import PostgresWarehouse, create_schema
from pipelines.cli import main

ROWS = 40  # rows of each filled table
BATCH = 7  # rows per batch in these tests: every table is several batches
SNAPSHOT_A = "20261201T100000Z"
SNAPSHOT_B = "20261201T110000Z"
CATALOG_TABLES = [t for t in export.TABLES.values() if t.store == export.CATALOG]
# Each exported table's source relation in the snapshot.
RELATION = {"prices": "current_prices", "price_history": "prices", "aliases": "model_aliases"}
# Text values a CSV or JSON writer must get right; each NOT NULL text gets a row number too.
TRICKY = ["plain", "comma, inside", 'quote " inside', "new\nline", "Modèle ✓ 模型", "NA", "null", "007", "", None]
LISTS: list[list[str] | None] = [["text"], ["text", "image"], [], None, ["audio", "text", "image"]]
BASE = dt.datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=dt.timezone.utc)
CLIENT = ("127.0.0.1", 50000)


def _value(kind: str, nullable: bool, column: int, row: int) -> Any:
    """Row ``row``'s value of a column of type ``kind``: varied, unique where the column may be a key."""
    pick = (row + column) % len(TRICKY)
    if kind == "VARCHAR":
        text = TRICKY[pick]
        if nullable:
            return text
        return f"{text or 'x'}-{row:03d}"
    if kind == "VARCHAR[]":
        value = LISTS[(row + column) % len(LISTS)]
        return value if nullable or value is not None else ["text"]
    if nullable and pick == len(TRICKY) - 1:
        return None
    if kind == "INTEGER":
        return row * 3 + column
    if kind == "BIGINT":
        return 0 if row % 4 == 0 else row * 1_000_000_007
    if kind == "DOUBLE":
        return [0.1, 2.5, 1e-7, 12345.678901, 1000.0, 0.0][row % 6] * (column + 1)
    if kind == "BOOLEAN":
        return row % 2 == 0
    if kind == "DATE":
        return (BASE + dt.timedelta(days=row * 11 + column)).date()
    if kind == "TIMESTAMP WITH TIME ZONE":
        return BASE + dt.timedelta(hours=row * 7 + column, microseconds=row * 17)
    raise AssertionError(f"no test value for type {kind}")


def build_snapshot(path: Path, rows: int = ROWS, salt: int = 0) -> None:
    """A snapshot file from the migrations, every table filled (``salt`` shifts the values)."""
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        create_schema(con)
        for table in WAREHOUSE_TABLES:
            columns = con.execute(f"DESCRIBE {table}").fetchall()
            names = [c[0] for c in columns]
            values = [[_value(kind, null == "YES", i, r + salt) for i, (_, kind, null, *_) in enumerate(columns)]
                      for r in range(rows)]
            if table == "publishes":
                values = [[SNAPSHOT_A if salt == 0 else SNAPSHOT_B, *row[1:]] for row in values[:1]]
            con.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
        con.execute("UPDATE prices SET valid_to = NULL WHERE usd_per_mtok < 100")  # most are current prices
        con.execute("CHECKPOINT")


def publish(snapshots: Path, name: str) -> None:
    """Points ``latest.duckdb`` at ``name`` atomically, as a publish does."""
    tmp = snapshots / f".latest-{name}"
    os.symlink(name, tmp)
    os.replace(tmp, snapshots / "latest.duckdb")


@dataclass
class Catalog:
    home: Path
    snapshot: Path  # the file latest.duckdb names


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    home = tmp_path_factory.mktemp("export") / "data"
    snapshots = home / "snapshots"
    snapshots.mkdir(parents=True)
    build_snapshot(snapshots / f"{SNAPSHOT_A}.duckdb")
    publish(snapshots, f"{SNAPSHOT_A}.duckdb")
    return Catalog(home, snapshots / f"{SNAPSHOT_A}.duckdb")


@pytest.fixture
def client(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("AISI_HOME", str(catalog.home))
    monkeypatch.delenv("AISI_DATABASE_URL", raising=False)
    app = create_app(home=catalog.home)
    app.state.export_batch_rows = BATCH
    with TestClient(app, client=CLIENT) as c:
        yield c


# -- reading an export back -------------------------------------------------------------------


def column_kinds(snapshot: Path, relation: str) -> dict[str, str]:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()}


def table_rows(snapshot: Path, table: export.ExportTable) -> list[dict[str, Any]]:
    """The table as the snapshot holds it, in the export's order."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        result = con.execute(Path(export.__file__).parent.parent.joinpath("sql", table.sql_file).read_text())
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]


def cell(value: Any, kind: str) -> Any:
    """One value, whatever reader gave it, as the Python value of the column's type."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind.endswith("[]"):
        if isinstance(value, str):
            return [] if value == "" else value.split(export.LIST_SEPARATOR)
        return [str(v) for v in list(value)]
    if kind == "TIMESTAMP WITH TIME ZONE":
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()
    if kind == "DATE":
        return pd.Timestamp(value).date()
    if kind in ("INTEGER", "BIGINT"):
        return int(value)
    if kind == "DOUBLE":
        return float(value)
    if kind == "BOOLEAN":
        return value if isinstance(value, bool) else {"true": True, "false": False}[str(value).lower()]
    return str(value)


def normal(rows: list[dict[str, Any]], kinds: dict[str, str], empty_text_is_null: bool = False) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        values = {name: cell(row[name], kinds[name]) for name in kinds}
        if empty_text_is_null:  # pandas' CSV reader cannot tell "" (an empty text or list) from an empty field
            values = {k: None if v == "" or v == [] else v for k, v in values.items()}
        out.append(values)
    return out


def read_back(body: bytes, fmt: str, kinds: dict[str, str], tmp: Path) -> dict[str, list[dict[str, Any]]]:
    """The export read by DuckDB and by pandas, each as rows of Python values."""
    path = tmp / f"export.{fmt}"
    path.write_bytes(body)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        if fmt == "csv":
            types = {n: ("VARCHAR" if k.endswith("[]") else k) for n, k in kinds.items()}
            relation = con.read_csv(str(path), header=True, columns=types, quotechar='"', escapechar='"',
                                    allow_quoted_nulls=False)
        elif fmt == "json":
            relation = con.sql("SELECT * FROM read_json(?, format = 'array')", params=[str(path)])
        else:
            relation = con.read_parquet(str(path))
        names = relation.columns
        by_duckdb = [dict(zip(names, row)) for row in relation.fetchall()]
    if fmt == "csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    elif fmt == "json":
        frame = pd.read_json(path, dtype=False, convert_dates=False, precise_float=True) if body.strip() != b"[]" else pd.DataFrame(columns=list(kinds))
    else:
        frame = pd.read_parquet(path)
    assert list(frame.columns) == list(kinds)
    by_pandas = frame.astype(object).to_dict("records")
    return {"duckdb": normal(by_duckdb, kinds), "pandas": normal(by_pandas, kinds, empty_text_is_null=fmt == "csv")}


# -- every table, every format -------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(export.FORMATS))
def test_every_table_reads_back_as_the_table(client: TestClient, catalog: Catalog, fmt: str, tmp_path: Path) -> None:
    for table in CATALOG_TABLES:
        response = client.get(f"/api/v1/export/{table.name}.{fmt}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == export.FORMATS[fmt]
        assert response.headers["x-snapshot-id"] == SNAPSHOT_A
        assert response.headers["content-disposition"] == f'attachment; filename="aisi-{table.name}-{SNAPSHOT_A}.{fmt}"'
        kinds = column_kinds(catalog.snapshot, RELATION.get(table.name, table.name))
        expected = normal(table_rows(catalog.snapshot, table), kinds)
        got = read_back(response.content, fmt, kinds, tmp_path)
        assert got["duckdb"] == expected, (table.name, fmt)
        csv_expected = normal(table_rows(catalog.snapshot, table), kinds, empty_text_is_null=True) if fmt == "csv" else expected
        assert got["pandas"] == csv_expected, (table.name, fmt)
        if table.name != "publishes":
            assert len(expected) > BATCH, table.name  # filled, and more than one batch
    # The values a writer can get wrong are there (not vacuously equal).
    models = client.get("/api/v1/export/models.json").json()
    assert {"comma, inside", 'quote " inside', "new\nline", "Modèle ✓ 模型", "NA", "", None} <= {m["family"] for m in models}
    assert [] in [m["input_modalities"] for m in models] and ["text", "image"] in [m["input_modalities"] for m in models]
    assert any(re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", m["fetched_at"] or "") for m in models)  # microseconds, UTC


def test_json_is_one_array_with_one_row_per_line(client: TestClient) -> None:
    body = client.get("/api/v1/export/offerings.json").content.decode()
    lines = body.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == ROWS + 2
    assert all(json.loads(line.rstrip(","))["provider_id"] for line in lines[1:-1])
    assert client.get("/api/v1/export/offerings.csv").content.decode().startswith('"provider_id","provider_model_id",')


# -- streamed, batch by batch ----------------------------------------------------------------


def asgi_get(app: Any, path: str, on_body: Callable[[int, bytes], None] | None = None,
             headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict[str, str], list[bytes]]:
    """One GET through the ASGI interface itself, keeping each body message as the app sent it."""
    messages: list[dict[str, Any]] = []

    async def run() -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"test"), *(headers or [])], "client": CLIENT, "server": ("test", 80)}
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and message.get("body") and on_body is not None:
                await asyncio.to_thread(on_body, sum(1 for m in messages if m.get("body")), message["body"])

        await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in messages if m["type"] == "http.response.start")
    chunks = [m["body"] for m in messages if m["type"] == "http.response.body" and m.get("body")]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, chunks


def test_the_body_is_streamed_one_batch_at_a_time(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each batch is read from the database only after the one before it went out: the log of
    reads and sends alternates, and no body message holds more than a batch of rows."""
    monkeypatch.setenv("AISI_HOME", str(catalog.home))
    log: list[str] = []
    original = export.DuckDBPinned.batches

    def logged(self: export.DuckDBPinned, table: export.ExportTable, batch_rows: int) -> pa.RecordBatchReader:
        reader = original(self, table, batch_rows)

        def each() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                log.append(f"read {batch.num_rows}")
                yield batch

        return pa.RecordBatchReader.from_batches(reader.schema, each())

    monkeypatch.setattr(export.DuckDBPinned, "batches", logged)
    app = create_app(home=catalog.home)
    app.state.export_batch_rows = BATCH
    status, _, chunks = asgi_get(app, "/api/v1/export/models.csv", on_body=lambda n, body: log.append("sent"))
    assert status == 200
    batches = math.ceil(ROWS / BATCH)
    assert log.count(f"read {BATCH}") == batches - 1 and log.count(f"read {ROWS % BATCH}") == 1
    # header, then per batch: read, sent
    assert [e.split()[0] for e in log] == ["sent"] + ["read", "sent"] * batches, log  # the header, then batch by batch
    assert len(chunks) == batches + 1
    text = b"".join(chunks).decode()
    assert pd.read_csv(io.StringIO(text), dtype=str).shape[0] == ROWS
    assert chunks[0].decode().startswith('"model_key"') and chunks[0].count(b"\n") == 1

    for fmt in ("json", "parquet"):
        log.clear()
        status, _, chunks = asgi_get(app, f"/api/v1/export/models.{fmt}", on_body=lambda n, body: log.append("sent"))
        reads = [i for i, e in enumerate(log) if e.startswith("read")]
        assert status == 200 and len(reads) == batches
        assert all(log[i + 1] == "sent" for i in reads), (fmt, log)  # each batch goes out before the next is read


def test_memory_stays_at_a_batch_whatever_the_table_size(tmp_path: Path) -> None:
    """60,000 price rows through 10,000-row batches: what this code holds (Arrow's memory pool for
    CSV, Python objects for JSON) stays a small part of the export, whatever its size (the database's
    own sort and cache are DuckDB's, bounded by its memory limit)."""
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    with duckdb.connect(str(snapshots / f"{SNAPSHOT_A}.duckdb")) as con:
        create_schema(con)
        con.execute("INSERT INTO prices (provider_id, provider_model_id, model_key, price_type, above_tokens, usd_per_mtok, "
                    "source, source_kind, source_url, fetched_at, valid_from, valid_to) "
                    "SELECT 'p' || (i % 97), 'model-' || i, 'm/model-' || i, 'input', 0, i / 1000.0, 'litellm', 'aggregator', "
                    "'https://example.com/prices/' || i, TIMESTAMPTZ '2026-11-01 00:00:00+00', "
                    "TIMESTAMPTZ '2026-11-01 00:00:00+00', NULL FROM range(60000) t(i)")
    publish(snapshots, f"{SNAPSHOT_A}.duckdb")
    table = export.TABLES["price_history"]
    with export.pin_duckdb(snapshots / "latest.duckdb") as pinned:
        peak = total = chunks = 0
        for chunk in export.stream(pinned, table, "csv", 10_000):
            peak = max(peak, pa.total_allocated_bytes())
            total += len(chunk)
            chunks += 1
        assert chunks >= 1 + 6 and total > 8_000_000  # the header, then a chunk per batch (of at most 10,000 rows)
        assert peak < total / 10, (peak, total)

        tracemalloc.start()
        try:
            total = sum(len(chunk) for chunk in export.stream(pinned, table, "json", 10_000))
            _, python_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert total > 16_000_000
        assert python_peak < total / 8, (python_peak, total)


# -- one snapshot, ETag, file name --------------------------------------------------------------


def test_an_export_reads_one_snapshot_while_another_is_published(catalog: Catalog, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "data"
    snapshots = home / "snapshots"
    snapshots.mkdir(parents=True)
    os.link(catalog.snapshot, snapshots / f"{SNAPSHOT_A}.duckdb")
    build_snapshot(snapshots / f"{SNAPSHOT_B}.duckdb", salt=5)
    publish(snapshots, f"{SNAPSHOT_A}.duckdb")
    monkeypatch.setenv("AISI_HOME", str(home))
    app = create_app(home=home)
    app.state.export_batch_rows = BATCH
    with TestClient(app, client=CLIENT) as c:
        before = c.get("/api/v1/export/models.csv").content

    def publish_b(n: int, body: bytes) -> None:
        if n == 2:  # the header and a first batch are out: publish B, and prune A's file as retention would
            publish(snapshots, f"{SNAPSHOT_B}.duckdb")
            (snapshots / f"{SNAPSHOT_A}.duckdb").unlink()

    status, headers, chunks = asgi_get(app, "/api/v1/export/models.csv", on_body=publish_b)
    assert status == 200 and headers["x-snapshot-id"] == SNAPSHOT_A
    assert b"".join(chunks) == before  # every row from A
    assert len(chunks) > 2
    with TestClient(app, client=CLIENT) as c:
        after = c.get("/api/v1/export/models.csv")
    assert after.headers["x-snapshot-id"] == SNAPSHOT_B and after.content != before
    assert f"aisi-models-{SNAPSHOT_B}.csv" in after.headers["content-disposition"]


def test_etag_and_if_none_match(client: TestClient) -> None:
    first = client.get("/api/v1/export/prices.parquet")
    etag = first.headers["etag"]
    assert etag.startswith(f'"{SNAPSHOT_A}-') and "prices" in etag and "parquet" in etag
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get("/api/v1/export/prices.parquet", headers={"If-None-Match": value})
        assert again.status_code == 304 and again.content == b"", value
        assert again.headers["etag"] == etag and again.headers["x-snapshot-id"] == SNAPSHOT_A
    assert client.get("/api/v1/export/prices.parquet", headers={"If-None-Match": '"other"'}).status_code == 200
    # Another table or format of the same snapshot is another entity.
    assert client.get("/api/v1/export/prices.csv").headers["etag"] != etag
    assert client.get("/api/v1/export/price_history.parquet").headers["etag"] != etag


def test_unknown_table_or_format_lists_the_known_ones(client: TestClient) -> None:
    response = client.get("/api/v1/export/nonsense.csv")
    assert response.status_code == 404
    body = response.json()
    assert "nonsense" in body["error"] and body["known_tables"] == list(export.TABLES)
    assert body["known_formats"] == ["csv", "json", "parquet"]
    for name in ("models.xlsx", "models", "models.duckdb"):
        response = client.get(f"/api/v1/export/{name}")
        assert response.status_code == 422, name
        assert response.json()["known_formats"] == ["csv", "json", "parquet"] and "models" in response.json()["known_tables"]
    assert client.get("/api/v1/export/models.csv?limit=5").status_code == 422  # no parameters
    index = client.get("/api/v1/export").json()
    assert [t["name"] for t in index["tables"]] == list(export.TABLES)
    assert index["tables"][0]["urls"]["csv"] == "/api/v1/export/models.csv"


def test_the_snapshot_file_is_downloadable(client: TestClient, catalog: Catalog) -> None:
    response = client.get("/api/v1/export/snapshot.duckdb")
    assert response.status_code == 200
    assert response.content == catalog.snapshot.read_bytes()
    assert response.headers["content-length"] == str(catalog.snapshot.stat().st_size)
    assert response.headers["x-snapshot-id"] == SNAPSHOT_A
    assert response.headers["content-disposition"] == f'attachment; filename="aisi-snapshot-{SNAPSHOT_A}.duckdb"'
    again = client.get("/api/v1/export/snapshot.duckdb", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_nothing_published_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_HOME", str(tmp_path))
    with TestClient(create_app(home=tmp_path), client=CLIENT) as c:
        for path in ("/api/v1/export/models.csv", "/api/v1/export/snapshot.duckdb", "/api/v1/export/availability.csv"):
            response = c.get(path)
            assert response.status_code == 503 and "aisi" in response.json()["error"], path


# -- availability, from the monitor's store -------------------------------------------------------


def monitor_checks(count: int = 30) -> list[dict[str, Any]]:
    return [{"checked_at": BASE + dt.timedelta(minutes=17 * i, microseconds=i), "provider_id": ["openai", "mistral", "cohere"][i % 3],
             "probe": "listing", "target": "https://example.com/v1/models", "up": i % 5 != 0, "state": "ok" if i % 5 else "error",
             "error_kind": None if i % 5 else "5xx", "http_status": 200 if i % 5 else 503,
             "latency_ms": None if i % 7 == 0 else 40.0 + i * 3.3, "authenticated": True} for i in range(count)]


def test_availability_rollups_export_from_the_monitor_store(client: TestClient, catalog: Catalog, tmp_path: Path) -> None:
    store = DuckDBMonitorStore(catalog.home / "monitor" / "monitor.duckdb")
    store.append_checks(monitor_checks())
    with duckdb.connect(str(store.path), read_only=True) as con:
        kinds = {name: kind for name, kind, *_ in con.execute("DESCRIBE availability_rollups").fetchall()}
        result = con.execute(Path(export.__file__).parent.parent.joinpath("sql", "export/availability.sql").read_text())
        expected = normal([dict(zip([d[0] for d in result.description], r)) for r in result.fetchall()], kinds)
    assert len(expected) > BATCH
    last = max(c["checked_at"] for c in monitor_checks())
    for fmt in export.FORMATS:
        response = client.get(f"/api/v1/export/availability.{fmt}")
        assert response.status_code == 200
        label = "monitor-" + last.strftime("%Y%m%dT%H%M%SZ")
        assert response.headers["x-monitor-as-of"] == label and "x-snapshot-id" not in response.headers
        assert f"aisi-availability-{label}.{fmt}" in response.headers["content-disposition"]
        got = read_back(response.content, fmt, kinds, tmp_path)
        assert got["duckdb"] == expected and got["pandas"] == expected, fmt
        assert client.get(f"/api/v1/export/availability.{fmt}",
                          headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    etag = client.get("/api/v1/export/availability.csv").headers["etag"]
    store.append_checks([{**monitor_checks(1)[0], "checked_at": last + dt.timedelta(minutes=1)}])
    assert client.get("/api/v1/export/availability.csv", headers={"If-None-Match": etag}).status_code == 200  # a new check


# -- PostgreSQL mode ---------------------------------------------------------------------------


@pytest.fixture
def postgres_catalog(pg_database: str, catalog: Catalog) -> str:
    """``curated`` migrated and filled with the snapshot's tables (the warehouse's own import)."""
    warehouse = PostgresWarehouse(pg_database)
    warehouse.migrate()
    with duckdb.connect(str(catalog.snapshot), read_only=True) as con:
        frames = {t: con.table(t).df() for t in WAREHOUSE_TABLES}
    for frame in frames.values():
        for column in frame.columns:  # lists come out of DuckDB as numpy arrays, which psycopg does not adapt
            frame[column] = frame[column].map(lambda v: v.tolist() if hasattr(v, "tolist") and not pd.api.types.is_scalar(v) else v)
    warehouse.append(frames)
    return pg_database


@pytest.mark.postgres
def test_postgres_mode_exports_the_same_bytes(postgres_catalog: str, catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    home = tmp_path / "duckdb-home"  # the same snapshot and the same checks in DuckDB mode
    (home / "snapshots").mkdir(parents=True)
    os.link(catalog.snapshot, home / "snapshots" / catalog.snapshot.name)
    publish(home / "snapshots", catalog.snapshot.name)
    DuckDBMonitorStore(home / "monitor" / "monitor.duckdb").append_checks(monitor_checks())
    duckdb_app = create_app(store=DuckDBStore(home / "snapshots"), home=home)
    duckdb_app.state.export_batch_rows = BATCH
    monkeypatch.setenv("AISI_DATABASE_URL", postgres_catalog)
    pg_store = PostgresStore(postgres_catalog)
    pg_monitor = PostgresMonitorStore(postgres_catalog)
    pg_monitor.migrate()
    pg_monitor.append_checks(monitor_checks())
    pg_monitor.close()
    app = create_app(store=pg_store, home=tmp_path)
    app.state.export_batch_rows = BATCH
    try:
        with TestClient(app, client=CLIENT) as pg_client, TestClient(duckdb_app, client=CLIENT) as client:
            for table in export.TABLES.values():
                for fmt in export.FORMATS:
                    from_pg = pg_client.get(f"/api/v1/export/{table.name}.{fmt}")
                    from_duckdb = client.get(f"/api/v1/export/{table.name}.{fmt}")
                    assert from_pg.status_code == 200, from_pg.text
                    assert from_pg.content == from_duckdb.content, (table.name, fmt)
                    assert from_pg.headers["etag"] == from_duckdb.headers["etag"]
                    assert from_pg.headers["content-disposition"] == from_duckdb.headers["content-disposition"]
            response = pg_client.get("/api/v1/export/snapshot.duckdb")
            assert response.status_code == 404 and "PostgreSQL" in response.json()["error"]
            # The command line reads PostgreSQL too (AISI_DATABASE_URL), and writes the same bytes.
            for table in ("models", "availability"):
                out = tmp_path / f"{table}.json"
                result = CliRunner().invoke(main, ["export", table, "--format", "json", "--out", str(out)])
                assert result.exit_code == 0, result.output
                assert out.read_bytes() == client.get(f"/api/v1/export/{table}.json").content
    finally:
        pg_store.close()


@pytest.mark.postgres
def test_postgres_export_reads_one_transaction(postgres_catalog: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AISI_DATABASE_URL", postgres_catalog)
    pg_store = PostgresStore(postgres_catalog)
    app = create_app(store=pg_store, home=tmp_path)
    app.state.export_batch_rows = BATCH
    try:
        with TestClient(app, client=CLIENT) as c:
            before = c.get("/api/v1/export/models.json").content

        def publish_b(n: int, body: bytes) -> None:
            if n == 2:  # a publish commits while the export streams: new publishes row, models replaced
                with psycopg.connect(postgres_catalog) as conn:
                    conn.execute("DELETE FROM curated.models WHERE model_key > 'N'")
                    conn.execute("UPDATE curated.models SET name = 'changed'")
                    conn.execute("INSERT INTO curated.publishes VALUES (%s, 'run-b', now() + interval '1 day', 1, 1, 1)",
                                 [SNAPSHOT_B])

        status, headers, chunks = asgi_get(app, "/api/v1/export/models.json", on_body=publish_b)
        assert status == 200 and headers["x-snapshot-id"] == SNAPSHOT_A
        assert b"".join(chunks) == before and len(json.loads(before)) == ROWS
        with TestClient(app, client=CLIENT) as c:
            after = c.get("/api/v1/export/models.json")
        assert after.headers["x-snapshot-id"] == SNAPSHOT_B
        assert {m["name"] for m in after.json()} == {"changed"} and len(after.json()) < ROWS
    finally:
        pg_store.close()
