"""The warehouse is the system of record: history survives the loss of every snapshot, runs are
incremental by data version, an existing home is adopted once, and PostgreSQL mode keeps the
same history as the embedded DuckDB warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
import pandas as pd
import pytest

from core.stores.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from tests.replay import ReplayServer

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"
CHEAPER = (b'"prompt": "0.0000025"', b'"prompt": "0.000002"')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """The warehouse of this home: the embedded DuckDB file, or a fresh PostgreSQL database."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_database")
        monkeypatch.setenv("AISI_DATABASE_URL", url)
        yield PostgresWarehouse(url)
    else:
        yield DuckDBWarehouse(home / "warehouse.duckdb")


def gpt4o_input_history(store: Warehouse) -> list[tuple[float, bool]]:
    prices = store.query_table("prices")
    rows = prices[(prices["provider_id"] == "openrouter") & (prices["provider_model_id"] == "openai/gpt-4o")
                  & (prices["price_type"] == "input")].sort_values("valid_from")
    return [(float(v), bool(pd.isna(t))) for v, t in zip(rows["usd_per_mtok"], rows["valid_to"])]


def materialized(run_id: str) -> set[str]:
    records = dg.DagsterInstance.get().get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.asset_key.to_user_string() for r in records}


def test_deleting_every_snapshot_loses_no_history(replay: ReplayServer, home: Path, refresh, store: Warehouse):
    first = refresh()
    assert first.success and first.snapshot
    route = replay.routes[OPENROUTER_PATH]
    route.body = route.body.replace(*CHEAPER)
    shutil.rmtree(home / "snapshots")  # every snapshot file and latest.duckdb

    second = refresh()
    assert second.success and second.snapshot
    # The price history and the change feed are whole: the old row closed, the new one open,
    # and the change recorded against the first run's value.
    assert gpt4o_input_history(store) == [(2.5, False), (2.0, True)]
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        exported = con.execute(
            "SELECT usd_per_mtok, valid_to IS NULL FROM prices WHERE provider_id = 'openrouter' "
            "AND provider_model_id = 'openai/gpt-4o' AND price_type = 'input' ORDER BY valid_from").fetchall()
        changes = con.execute("SELECT kind, old, new FROM changes WHERE provider_model_id = 'openai/gpt-4o' "
                              "AND provider_id = 'openrouter' AND field = 'input'").fetchall()
        publishes = con.execute("SELECT count(*) FROM publishes").fetchone()[0]
    assert exported == [(2.5, False), (2.0, True)]
    assert changes == [("price_changed", "2.5", "2")]
    assert publishes == 2  # the first publish is remembered though its file is gone
    assert len(store.query_table("source_runs")["run_id"].unique()) == 2


def test_a_changed_source_recomputes_only_what_depends_on_it(replay: ReplayServer, home: Path, refresh, store: Warehouse):
    assert refresh().success
    route = replay.routes[OPENROUTER_PATH]
    route.body = route.body.replace(*CHEAPER)

    second = refresh()
    assert second.success and second.snapshot
    derived = materialized(second.run_id)
    assert {"openrouter_records", "prices", "warehouse", "duckdb_snapshot"} <= derived
    # The other sources answered 304 with the same payload: their records were not rebuilt.
    assert not {"litellm_records", "models_dev_records", "model_defaults_records"} & derived
    assert not any(key.endswith("_raw") for key in derived)
    assert gpt4o_input_history(store) == [(2.5, False), (2.0, True)]
    # One run's commit is incremental: the unchanged price rows were not written again.
    commit = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey("warehouse")).asset_materialization
    written = commit.metadata["rows_written"].value
    assert written["prices"]["inserted"] == 1  # the new open row
    assert written["prices"]["updated"] >= 1  # the closed row (and open rows' refreshed provenance)
    assert written["changes"]["inserted"] == 1


def test_an_existing_home_is_adopted_once_from_its_latest_snapshot(replay: ReplayServer, home: Path, refresh,
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A home from before the warehouse kept its history only in snapshot files."""
    assert refresh().success
    old_snapshot = (home / "snapshots" / "latest.duckdb").resolve()
    # A second home holds only that snapshot: no warehouse, no Dagster instance yet.
    adopted = tmp_path / "adopted"
    (adopted / "snapshots").mkdir(parents=True)
    shutil.copy(old_snapshot, adopted / "snapshots" / old_snapshot.name)
    (adopted / "snapshots" / "latest.duckdb").symlink_to(old_snapshot.name)
    monkeypatch.setenv("AISI_HOME", str(adopted))
    route = replay.routes[OPENROUTER_PATH]
    route.body = route.body.replace(*CHEAPER)

    summary = refresh()
    assert summary.success and summary.snapshot
    warehouse = DuckDBWarehouse(adopted / "warehouse.duckdb")
    # The old snapshot's price became history; the change is a change, not a new baseline.
    assert gpt4o_input_history(warehouse) == [(2.5, False), (2.0, True)]
    changes = warehouse.query_table("changes")
    assert list(changes["kind"]) == ["price_changed"]
    assert len(warehouse.query_table("publishes")) == 2
    catalog = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey("models"))
    assert catalog is not None
    # Adopted once: a third refresh with another change does not import the snapshot again.
    route.body = route.body.replace(b'"prompt": "0.000002"', b'"prompt": "0.0000015"')
    assert refresh().success
    assert gpt4o_input_history(warehouse) == [(2.5, False), (2.0, False), (1.5, True)]
    assert len(warehouse.query_table("publishes")) == 3


def test_sources_left_out_are_recorded_skipped_once_then_not_fetched(replay: ReplayServer, home: Path, refresh,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AISI_SOURCES", "openrouter,models_dev,litellm,model_defaults")
    first = refresh()
    assert first.success
    statuses = {s["source"]: s["status"] for s in first.sources}
    assert statuses["openai_pricing"] == "skipped" and statuses["lmarena"] == "skipped"
    assert statuses["openrouter"] == "ok"

    second = refresh()
    assert second.success and second.recomputed == []
    fetched = materialized(second.run_id)
    assert fetched == {"openrouter_raw", "models_dev_raw", "litellm_raw", "model_defaults_raw"}, fetched


def test_the_embedded_warehouse_is_copied_into_its_snapshot_by_duckdb(replay: ReplayServer, home: Path, refresh,
                                                                      monkeypatch: pytest.MonkeyPatch):
    """A publish from the embedded warehouse copies its tables inside DuckDB (no table is read into
    pandas) and the file holds what writing the tables as frames gives, value for value and type
    for type; the warehouse's connection is left on its own database, the snapshot detached."""
    from core.stores.warehouse import SNAPSHOT_ALIAS, TABLES, SnapshotStore

    assert refresh().success
    store = DuckDBWarehouse(home / "warehouse.duckdb")
    with monkeypatch.context() as patched:
        patched.setattr(DuckDBWarehouse, "query_table", lambda self, table: pytest.fail(f"{table} read into pandas"))
        copied = SnapshotStore(home / "copied").write("20990101T000000Z", store)
    framed = SnapshotStore(home / "framed").write("20990101T000000Z", store.export())
    assert copied.rows == framed.rows and copied.rows["prices"] > 0 and set(copied.rows) == set(TABLES)
    with duckdb.connect(str(copied.path), read_only=True) as a, duckdb.connect(str(framed.path), read_only=True) as b:
        for table in TABLES:
            assert a.execute(f"DESCRIBE {table}").fetchall() == b.execute(f"DESCRIBE {table}").fetchall(), table
            rows = f"SELECT * FROM {table} ORDER BY ALL"
            assert a.execute(rows).fetchall() == b.execute(rows).fetchall(), table
        view = "SELECT count(*) FROM current_prices"
        assert a.execute(view).fetchone() == b.execute(view).fetchone()
    with store._connect() as con:
        assert con.execute("SELECT current_database()").fetchone()[0] == "warehouse"
        assert SNAPSHOT_ALIAS not in {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    store.close()


def test_a_snapshot_is_written_one_table_at_a_time(replay: ReplayServer, home: Path, refresh, store: Warehouse,
                                                     monkeypatch: pytest.MonkeyPatch):
    """A snapshot written from the warehouse's frames (PostgreSQL's publish) reads it table by table
    (``export_lazily``), each table once, and what it reports per table is what the snapshot file
    holds (the scale benchmark's memory fix: the whole catalog as DataFrames at once was the
    refresh's largest output)."""
    from core.stores.warehouse import TABLES, SnapshotStore

    summary = refresh()
    assert summary.success and summary.snapshot
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        in_file = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in summary.rows}
    assert summary.rows == in_file and summary.rows["offerings"] > 0

    asked: list[str] = []
    query_table = type(store).query_table
    monkeypatch.setattr(type(store), "query_table", lambda self, table: (asked.append(table), query_table(self, table))[1])
    lazy = store.export_lazily()
    assert asked == []  # nothing read until the writer asks
    published = SnapshotStore(home / "again").write("20990101T000000Z", lazy)
    assert asked == list(TABLES)  # each table once, in turn
    eager = {table: len(frame) for table, frame in store.export().items()}
    assert published.rows == eager
    assert {t: n for t, n in published.rows.items() if t in summary.rows} == summary.rows
    store.close()
