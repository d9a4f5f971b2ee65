"""The whole catalog graph, materialised against the replay server into DuckDB."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"


def latest(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True)


def scalar(home: Path, sql: str, *params: object) -> object:
    with latest(home) as con:
        return con.execute(sql, list(params)).fetchone()[0]


def test_refresh_publishes_every_source_with_provenance(replay, home, refresh):
    summary = refresh()
    assert summary.success, summary.errors
    statuses = {s["source"]: (s["status"], s["badge"]) for s in summary.sources}
    assert {k: v for k, v in statuses.items() if k in ("openrouter", "models_dev", "litellm", "model_defaults")} == {
        "openrouter": ("ok", "aggregator"),
        "models_dev": ("ok", "aggregator"),
        "litellm": ("ok", "aggregator"),
        "model_defaults": ("ok", "config"),
    }
    # No keys in the environment: the keyed provider APIs are skipped, not failed.
    for keyed in ("openai", "anthropic", "google", "mistral", "cohere", "replicate"):
        assert statuses[keyed] == ("skipped", None), keyed
    snapshot = Path(summary.snapshot)
    assert snapshot.exists() and snapshot.parent == home / "snapshots"
    assert (home / "snapshots" / "latest.duckdb").resolve() == snapshot

    with latest(home) as con:
        # gpt-4o from each source, in USD per 1M tokens.
        rows = con.execute(
            "SELECT provider_id, source, price_type, usd_per_mtok FROM current_prices "
            "WHERE model_key = 'openai/gpt-4o' AND price_type IN ('input', 'output') ORDER BY 1, 2, 3"
        ).fetchall()
        assert ("openrouter", "openrouter", "input", 2.5) in rows
        assert ("openrouter", "openrouter", "output", 10.0) in rows
        assert ("azure", "litellm", "input", 2.5) in rows
        # openai/gpt-4o is offered by openai in models_dev, litellm and config: models_dev wins.
        assert ("openai", "models_dev", "input", 2.5) in rows
        assert ("openai", "models_dev", "output", 10.0) in rows
        # Every row carries its provenance.
        for table in ("models", "offerings", "prices", "providers"):
            missing = con.execute(
                f"SELECT count(*) FROM {table} WHERE source IS NULL OR source_kind IS NULL OR fetched_at IS NULL"
            ).fetchone()[0]
            assert missing == 0, table
        # The same model from three sources is one model; a reseller is an offering of it.
        claude = con.execute(
            "SELECT provider_id FROM offerings WHERE model_key = 'anthropic/claude-sonnet-4-20250514' ORDER BY 1"
        ).fetchall()
        assert ("amazon-bedrock",) in claude and ("anthropic",) in claude
        # An unknown price is absent (NULL in the API), never 0: openrouter/auto has "-1".
        assert con.execute("SELECT count(*) FROM current_prices WHERE provider_model_id = 'openrouter/auto'").fetchone()[0] == 0
        # Rejected records are counted with their reason in source_runs.
        rejected = dict(con.execute("SELECT source, rejected FROM source_runs").fetchall())
        assert rejected["openrouter"] == 2  # no id; price "two dollars"
        assert rejected["litellm"] == 4  # sample_spec, search tool, no provider, price "cheap"
        reasons = con.execute("SELECT rejected_reasons FROM source_runs WHERE source = 'litellm'").fetchone()[0]
        assert "not a model (mode search)" in reasons and "no litellm_provider" in reasons
        # The view's columns are the analysts' contract.
        columns = [c[0] for c in con.execute("SELECT * FROM current_prices LIMIT 0").description]
        assert columns[:7] == ["model_key", "provider_id", "price_type", "usd_per_mtok", "source", "source_kind", "valid_from"]
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'prices' AND column_name = 'usd_per_mtok'").fetchone()[0]
        assert "1M tokens" in comment
    assert summary.rows["models"] > 49  # config's 49 plus the fixtures' others


def test_second_refresh_is_conditional_and_stops_after_its_fetches(replay, home, refresh):
    first_summary = refresh()
    assert first_summary.success and first_summary.snapshot
    price_rows = scalar(home, "SELECT count(*) FROM prices")
    first = replay.seen(OPENROUTER_PATH)
    assert len(first) == 1 and "if-none-match" not in first[0].headers

    second = refresh()
    assert second.success
    again = replay.seen(OPENROUTER_PATH)[-1]
    assert again.headers.get("if-none-match") == replay.routes[OPENROUTER_PATH].etag
    assert again.status == 304
    # Nothing changed: the fetch run is the only run; it materialised the source assets and
    # nothing else (Dagster's event log), and no snapshot was published.
    assert second.recomputed == [] and second.snapshot is None
    instance = dg.DagsterInstance.get()
    records = instance.get_records_for_run(second.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    materialized = {r.asset_key.to_user_string() for r in records}
    assert materialized and all(key.endswith("_raw") for key in materialized), materialized
    runs = instance.get_run_records(dg.RunsFilter(tags={"aisi/trigger": "cli"}))
    assert [r.dagster_run.tags["aisi/phase"] for r in runs] == ["fetch", "derive", "fetch"]
    assert scalar(home, "SELECT count(*) FROM prices") == price_rows
    assert scalar(home, "SELECT count(*) FROM prices WHERE valid_to IS NOT NULL") == 0
    assert scalar(home, "SELECT count(DISTINCT run_id) FROM source_runs") == 1
    assert scalar(home, "SELECT count(*) FROM publishes") == 1
    summary_text = second.render(1.0)
    assert "Unchanged" in summary_text and "openrouter" in summary_text


def test_price_change_closes_the_old_row_and_opens_a_new_one(replay, home, refresh):
    assert refresh().success
    route = replay.routes[OPENROUTER_PATH]
    route.body = route.body.replace(b'"prompt": "0.0000025"', b'"prompt": "0.000002"')
    assert refresh().success
    with latest(home) as con:
        history = con.execute(
            "SELECT usd_per_mtok, valid_to IS NULL FROM prices WHERE provider_id = 'openrouter' "
            "AND provider_model_id = 'openai/gpt-4o' AND price_type = 'input' ORDER BY valid_from"
        ).fetchall()
    assert history == [(2.5, False), (2.0, True)]


@pytest.mark.parametrize("mode", ["500", "garbage", "slow"])
def test_failing_source_serves_the_last_good_payload_as_cached(replay, home, refresh, monkeypatch, mode):
    assert refresh().success
    before = scalar(home, "SELECT count(*) FROM models")
    route = replay.routes[OPENROUTER_PATH]
    route.mode, route.delay = mode, 3.0  # the source's timeout is 2 s
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "2")

    summary = refresh()
    assert summary.success
    openrouter = next(s for s in summary.sources if s["source"] == "openrouter")
    assert openrouter["status"] == "cached" and openrouter["badge"] == "cached"
    assert openrouter["error"]
    assert scalar(home, "SELECT count(*) FROM models") == before  # nothing disappeared
    assert scalar(home, "SELECT source_kind FROM offerings WHERE provider_id = 'openrouter' AND provider_model_id = 'openai/gpt-4o'") == "cached"
    if mode == "garbage":
        assert "unparseable" in openrouter["error"]


def test_unreachable_sources_with_no_archive_fall_back_to_config(home, refresh, monkeypatch):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    for name in ("OPENROUTER", "MODELS_DEV", "LITELLM", "HUGGINGFACE"):
        monkeypatch.setenv(f"AISI_SOURCE_{name}_URL", dead)
    summary = refresh()
    assert summary.success
    statuses = {s["source"]: s["status"] for s in summary.sources}
    assert {k: statuses[k] for k in ("openrouter", "models_dev", "litellm", "model_defaults")} == {
        "openrouter": "failed",
        "models_dev": "failed",
        "litellm": "failed",
        "model_defaults": "ok",
    }
    assert scalar(home, "SELECT count(*) FROM models WHERE source_kind = 'config'") >= 30
    assert scalar(home, "SELECT usd_per_mtok FROM current_prices WHERE model_key = 'openai/gpt-4o' AND price_type = 'input'") == 2.5


def test_refresh_of_one_source_keeps_the_others(replay, home, refresh):
    assert refresh().success
    models = scalar(home, "SELECT count(*) FROM models")
    calls = len(replay.seen("/models_dev/api.json"))
    summary = refresh("openrouter")
    assert summary.success
    assert len(replay.seen("/models_dev/api.json")) == calls  # not fetched again
    assert scalar(home, "SELECT count(*) FROM models") == models


def test_benchmarks_land_with_history_and_the_leaderboard(replay, home, refresh):
    first = refresh()
    assert first.success, first.errors
    with latest(home) as con:
        elo = con.execute(
            "SELECT as_of, score FROM benchmarks WHERE model_key = 'openai/gpt-4o-2024-05-13' "
            "AND benchmark = 'lmarena_elo_full' AND source = 'lmarena_history' ORDER BY as_of"
        ).fetchall()
        # The CSV's 0.0 cells are absent, not zero.
        assert [float(s) for _, s in elo] == [1287.5, 1285.0, 1284.25]
        assert str(elo[0][0]) == "2024-06-01"
        categories = {b for (b,) in con.execute("SELECT DISTINCT benchmark FROM benchmarks WHERE source = 'lmarena'").fetchall()}
        assert {"lmarena_elo_full", "lmarena_elo_coding", "lmarena_elo_creative_writing"} <= categories
        leaderboard = dict(con.execute("SELECT model_key, lmarena_elo FROM leaderboard").fetchall())
        assert "openai/gpt-4o-2024-05-13" in leaderboard
        runs = dict(con.execute("SELECT source, rows FROM source_runs WHERE run_id = ?", [first.run_id]).fetchall())
        assert runs["lmarena_history"] == 6  # six arena keys scored
        aliases = con.execute("SELECT count(*) FROM model_aliases WHERE source = 'lmarena_history'").fetchone()[0]
        assert aliases >= 5
    rows = scalar(home, "SELECT count(*) FROM benchmarks")
    assert refresh().success
    assert scalar(home, "SELECT count(*) FROM benchmarks") == rows  # unchanged scores add no rows
