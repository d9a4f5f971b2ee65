"""The catalog graph publishing to PostgreSQL `curated` (yoyo migrations, one transaction per
publish), and the read API serving from it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pytest

from core.stores.warehouse import TABLES, PostgresWarehouse, migration_files
from pipelines.catalog.merge import SOURCE_NAMES
from tests.test_api import latest_snapshot, start_server
from tests.test_benchmark_sources import aa  # noqa: F401  (fixture)
from tests.test_browser import chromium  # noqa: F401  (fixture)
from tests.test_scraped_pages import pages  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def database(pg_database: str, replay, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database as AISI_DATABASE_URL, with the sources on the replay server."""
    monkeypatch.setenv("AISI_DATABASE_URL", pg_database)
    return pg_database


def pg(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params or None).fetchall()


def pg_scalar(url: str, sql: str, *params: object) -> Any:
    return pg(url, sql, *params)[0][0]


def duckdb_counts(home: Path) -> dict[str, int]:
    with duckdb.connect(str(latest_snapshot(home)), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (*TABLES, "current_prices", "leaderboard")}


def pg_counts(url: str) -> dict[str, int]:
    return {t: pg_scalar(url, f"SELECT count(*) FROM curated.{t}") for t in (*TABLES, "current_prices", "leaderboard")}


def test_refresh_publishes_the_curated_schema(database: str, home: Path, refresh):
    summary = refresh()
    assert summary.success, summary.errors
    assert summary.warehouse.startswith("PostgreSQL")

    tables = {name for (name,) in pg(database, "SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'curated' AND table_type = 'BASE TABLE'")}
    assert set(TABLES) <= tables
    assert {"changes", "model_presence", "price_disagreements", "source_disagreements"} <= tables
    views = {name for (name,) in pg(database, "SELECT table_name FROM information_schema.views WHERE table_schema = 'curated'")}
    assert views == {"current_prices", "leaderboard"}
    # Nothing was created outside `curated`.
    assert pg_scalar(database, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == 0

    counts = pg_counts(database)
    assert counts == duckdb_counts(home)
    assert counts["models"] > 49 and counts["prices"] > 100 and counts["publishes"] == 1 and counts["source_runs"] == len(SOURCE_NAMES)
    # The first publish is the change feed's baseline: every model tracked, no change reported.
    assert counts["changes"] == 0 and counts["model_presence"] == counts["models"] and counts["source_disagreements"] > 0

    # Values survive the trip: gpt-4o's price, arrays, provenance, timestamps.
    assert pg(database, "SELECT usd_per_mtok, source, source_kind FROM curated.current_prices WHERE model_key = 'openai/gpt-4o' "
                        "AND provider_id = 'openai' AND price_type IN ('input', 'output') ORDER BY price_type") == [
        (2.5, "models_dev", "aggregator"), (10.0, "models_dev", "aggregator")]
    modalities, context = pg(database, "SELECT input_modalities, context_window FROM curated.models WHERE model_key = 'openai/gpt-4o'")[0]
    assert "image" in modalities and "text" in modalities and context == 128000
    assert pg_scalar(database, "SELECT snapshot_id FROM curated.publishes") == latest_snapshot(home).stem
    assert pg_scalar(database, "SELECT count(*) FROM curated.prices WHERE fetched_at IS NULL OR source IS NULL") == 0

    # The analysts' documentation travels with the schema.
    comment = pg_scalar(database, "SELECT col_description('curated.prices'::regclass, "
                                  "(SELECT attnum FROM pg_attribute WHERE attrelid = 'curated.prices'::regclass AND attname = 'usd_per_mtok'))")
    assert comment == "US dollars per 1M tokens."
    assert "Price history" in pg_scalar(database, "SELECT obj_description('curated.prices'::regclass, 'pg_class')")
    assert pg_scalar(database, "SELECT obj_description('curated.current_prices'::regclass, 'pg_class')")
    assert "Append-only" in pg_scalar(database, "SELECT obj_description('curated.changes'::regclass, 'pg_class')")

    # yoyo's bookkeeping: every migration applied once.
    def applied() -> list[tuple[Any, ...]]:
        return pg(database, "SELECT migration_id FROM curated._yoyo_migration ORDER BY 1")

    def apply_log() -> int:
        return pg_scalar(database, "SELECT count(*) FROM curated._yoyo_log WHERE migration_id = '0001_catalog' AND operation = 'apply'")

    assert applied() == [(m.stem,) for m in migration_files()]
    assert apply_log() == 1

    # A second refresh with nothing new stops after its fetches: nothing re-applied, nothing
    # written, no publish.
    second = refresh()
    assert second.success, second.errors
    assert second.recomputed == [] and second.warehouse == "" and second.snapshot is None
    assert applied() == [(m.stem,) for m in migration_files()]
    assert apply_log() == 1
    again = pg_counts(database)
    assert again["prices"] == counts["prices"]
    assert again["current_prices"] == counts["current_prices"]
    assert again["publishes"] == 1 and again["source_runs"] == len(SOURCE_NAMES)
    assert again["changes"] == 0  # an unchanged refresh reports nothing
    assert again == duckdb_counts(home)
    assert pg_scalar(database, "SELECT snapshot_id FROM curated.publishes ORDER BY published_at DESC LIMIT 1") == latest_snapshot(home).stem


def test_api_serves_the_same_from_postgres_as_from_duckdb(database: str, home: Path, refresh, tmp_path: Path):
    assert refresh().success
    snapshot = latest_snapshot(home).stem
    from_pg = start_server(home, tmp_path / "api-pg.log", AISI_DATABASE_URL=database)
    from_duckdb = start_server(home, tmp_path / "api-duckdb.log")
    try:
        for path, params in [
            ("/api/v1/models", {"provider": "openai"}),
            ("/api/v1/models", {"search": "claude", "min_context": 100000, "modality": "image"}),
            ("/api/v1/models", {"limit": 5, "offset": 10}),
            ("/api/v1/models/openai/gpt-4o", {}),
            ("/api/v1/pricing", {"model": "openai/gpt-4o"}),
            ("/api/v1/providers", {}),
            ("/api/v1/search", {"q": "gpt"}),
            ("/api/v1/pricing/history", {"model": "openai/gpt-4o"}),
            ("/api/v1/changes", {"since": "2000-01-01"}),
        ]:
            a, b = from_pg.get(path, params=params), from_duckdb.get(path, params=params)
            assert a.status_code == b.status_code == 200, (path, a.text)
            assert a.json() == b.json(), path
            # PostgreSQL's snapshot id is the newest publish, the same as the DuckDB file's name.
            assert a.headers["x-snapshot-id"] == b.headers["x-snapshot-id"] == snapshot

        openai = from_pg.get("/api/v1/models", params={"provider": "openai"}).json()
        assert "openai/gpt-4o" in [i["model_key"] for i in openai["items"]]
        assert openai["total"] == len(openai["items"]) > 0

        model = from_pg.get("/api/v1/models/openai/gpt-4o").json()
        offering = next(o for o in model["offerings"] if o["provider_id"] == "openai")
        assert offering["prices"]["input"]["usd_per_mtok"] == 2.5
        assert offering["prices"]["output"]["usd_per_mtok"] == 10.0
        assert from_pg.get("/api/v1/models/openai/no-such-model").status_code == 404

        etag = from_pg.get("/api/v1/models/openai/gpt-4o").headers["etag"]
        assert from_pg.get("/api/v1/models/openai/gpt-4o", headers={"If-None-Match": etag}).status_code == 304

        status = from_pg.get("/api/v1/status").json()
        assert status["snapshot"]["snapshot_id"] == snapshot
        statuses = {s["source"]: s["status"] for s in status["sources"]}
        assert {k: statuses[k] for k in ("openrouter", "models_dev", "litellm", "model_defaults")} == {
            "openrouter": "ok", "models_dev": "ok", "litellm": "ok", "model_defaults": "ok"}
        assert statuses["openai"] == "skipped"  # no key
        assert all(isinstance(s["age_seconds"], int) for s in status["sources"])
        duck = from_duckdb.get("/api/v1/status").json()
        assert status["quality"]["source_disagreements"] == duck["quality"]["source_disagreements"]
        # The same health verdicts from PostgreSQL's timestamps as from DuckDB's.
        verdicts = {s["source"]: (s["healthy"], s["stale"], s["health"]) for s in status["sources"]}
        assert verdicts == {s["source"]: (s["healthy"], s["stale"], s["health"]) for s in duck["sources"]}
        assert verdicts["openrouter"][:2] == (True, False) and status["health"] == duck["health"]
        assert all(isinstance(s["payload_age_seconds"], int) for s in status["sources"] if s["status"] == "ok")
        assert status["quality"]["source_disagreements"]
    finally:
        from_pg.stop()
        from_duckdb.stop()


def snapshot_tables(home: Path) -> dict[str, pd.DataFrame]:
    """The published frames, as the graph hands them to publish (lists, not numpy arrays)."""
    tables = {}
    with duckdb.connect(str(latest_snapshot(home)), read_only=True) as con:
        for table in TABLES:
            frame = con.execute(f"SELECT * FROM {table}").df()
            for column in ("input_modalities", "output_modalities"):
                if column in frame:
                    frame[column] = frame[column].map(lambda v: None if v is None else list(v))
            tables[table] = frame
    return tables


def pg_rows(url: str, table: str) -> list[tuple[Any, ...]]:
    return sorted(pg(url, f"SELECT * FROM curated.{table}"), key=repr)


def test_a_failed_publish_leaves_the_previous_data(database: str, home: Path, refresh):
    assert refresh().success
    before = {t: pg_rows(database, t) for t in TABLES}
    # No source here measures speed; one refresh of agreeing, plausible fixtures reports no change,
    # disagreement or quarantined value.
    assert all(before[t] for t in TABLES if t not in ("performance", "changes", "price_disagreements", "quarantine"))
    warehouse = PostgresWarehouse(database)

    # Providers, models and offerings are replaced first; then a price without a value fails the
    # whole commit.
    tables = snapshot_tables(home)
    tables["models"] = tables["models"].iloc[:3]
    prices = tables["prices"].copy()
    prices.loc[prices.index[len(prices) // 2], "usd_per_mtok"] = None
    tables["prices"] = prices
    with pytest.raises(psycopg.errors.NotNullViolation):
        warehouse.commit(tables, "run-failing", datetime.now(timezone.utc))

    after = {t: pg_rows(database, t) for t in TABLES}
    assert after == before

    # The same frames without the NULL publish (so the NULL was the failure), all at once.
    tables["prices"] = snapshot_tables(home)["prices"]
    commit = warehouse.commit(tables, "run-again", datetime.now(timezone.utc))
    assert commit.inserted["models"] == 3 and commit.inserted["prices"] == 0 and commit.inserted["publishes"] == 1
    assert pg_scalar(database, "SELECT count(*) FROM curated.models") == 3
    assert pg_scalar(database, "SELECT count(*) FROM curated.prices") == len(before["prices"])


def test_official_prices_and_benchmarks_reach_postgres_and_its_api(database: str, home: Path, refresh, pages, aa, tmp_path: Path):
    summary = refresh()
    assert summary.success, summary.errors
    assert summary.warehouse.startswith("PostgreSQL")
    # Official page prices (badge scraped), AA benchmarks and speed, LMArena ratings: in PostgreSQL.
    official = pg(database, "SELECT usd_per_mtok, source, source_kind FROM curated.current_prices "
                            "WHERE provider_id = 'openai' AND provider_model_id = 'gpt-4o' AND price_type = 'input'")
    assert official == [(2.5, "openai_pricing", "scraped")]
    by_source = dict(pg(database, "SELECT source, count(*) FROM curated.benchmarks GROUP BY source"))
    assert by_source.get("artificial_analysis", 0) > 0 and by_source.get("lmarena_history", 0) > 0
    speed = pg(database, "SELECT value FROM curated.performance WHERE source = 'artificial_analysis' "
                         "AND provider_model_id = 'gpt-oss-20b' AND metric = 'throughput'")
    assert speed == [(282.819,)]
    assert pg(database, "SELECT intelligence_index FROM curated.leaderboard WHERE model_key = 'openai/gpt-oss-20b'") == [(24.5,)]
    assert duckdb_counts(home) == pg_counts(database)

    api = start_server(home, tmp_path / "api-pg-bench.log", AISI_DATABASE_URL=database)
    try:
        body = api.get("/api/v1/benchmarks", params={"benchmark": "artificial_analysis_intelligence_index", "top": 3}).json()
        assert body["items"] and body["items"][0]["score"] >= body["items"][-1]["score"]
        assert any("Artificial Analysis" in text for text in body["attribution"])
        gpt = api.get("/api/v1/models/openai/gpt-4o").json()
        official_rows = [o for o in gpt["offerings"] if o["provider_id"] == "openai" and o["provider_model_id"] == "gpt-4o"]
        assert official_rows and official_rows[0]["prices"]["input"]["badge"] == "scraped"
    finally:
        api.stop()
