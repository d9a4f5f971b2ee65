"""Artificial Analysis (keyed, both endpoints) and LMArena through the whole graph."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

AA_KEY = "aa-planted-key-7c1e"
AA = FIXTURES / "aa"


def query(home: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture
def aa(replay, monkeypatch):
    auth = {"x-api-key": AA_KEY}
    replay.add("/aa/api/v2/data/llms/models", AA / "llms_models.json", require=auth)
    for page in (1, 2, 3):
        replay.add(f"/aa/api/v2/language/models?page={page}", AA / f"language_models_page{page}.json", require=auth)
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_URL", replay.url + "/aa")
    monkeypatch.setenv("ARTIFICIAL_ANALYSIS_API_KEY", AA_KEY)
    return replay


def test_artificial_analysis_benchmarks_speed_and_prices_flow_to_the_snapshot(aa, home, refresh):
    summary = refresh()
    assert summary.success, summary.errors
    statuses = {s["source"]: (s["status"], s["badge"]) for s in summary.sources}
    assert statuses["artificial_analysis"] == ("ok", "aggregator")
    assert statuses["artificial_analysis_language"] == ("ok", "aggregator")
    assert [r.target for r in aa.requests if r.path.startswith("/aa/api/v2/language")] == [
        f"/aa/api/v2/language/models?page={n}" for n in (1, 2, 3)
    ]

    scores = dict(query(home, "SELECT variant, score FROM benchmarks WHERE model_key = 'openai/gpt-oss-20b' "
                              "AND benchmark = 'artificial_analysis_intelligence_index' AND source = 'artificial_analysis'"))
    assert scores["low"] == 20.8  # the reasoning-effort variant is kept apart
    assert max(scores.values()) == 24.5
    units = dict(query(home, "SELECT benchmark, unit FROM benchmarks WHERE source = 'artificial_analysis' GROUP BY ALL"))
    assert units["artificial_analysis_intelligence_index"] == "index" and units.get("gpqa", "fraction") == "fraction"
    # A speed of 0 means "not measured": no row (gemini-2-5-pro has 0 tokens/s in the fixture).
    gemini = query(home, "SELECT count(*) FROM performance WHERE source = 'artificial_analysis' "
                         "AND provider_model_id = 'gemini-2-5-pro' AND metric = 'throughput'")
    assert gemini == [(0,)]
    speed = query(home, "SELECT value, unit FROM performance WHERE source = 'artificial_analysis' "
                        "AND provider_model_id = 'gpt-oss-20b' AND metric = 'throughput'")
    assert speed == [(282.819, "tokens_per_s")]
    # AA's prices are its own offerings, badge aggregator.
    priced = query(home, "SELECT DISTINCT source_kind FROM current_prices WHERE provider_id = 'artificial_analysis'")
    assert priced == [("aggregator",)]
    # The leaderboard joins scores, speed and price per model.
    board = query(home, "SELECT intelligence_index, output_tokens_per_s FROM leaderboard WHERE model_key = 'openai/gpt-oss-20b'")
    assert board == [(24.5, 282.819)]
    # Unmatched share is reported per source.
    runs = dict(query(home, "SELECT source, unmatched FROM source_runs WHERE run_id = ?", summary.run_id))
    assert runs["artificial_analysis"] == 0
    # The key is nowhere in the snapshot.
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            text = con.execute(f"SELECT string_agg(CAST(t AS VARCHAR), '|') FROM {table} t").fetchone()[0] or ""
            assert AA_KEY not in text, table


def test_without_a_key_artificial_analysis_is_skipped(replay, home, refresh):
    summary = refresh()
    statuses = {s["source"]: s["status"] for s in summary.sources}
    assert statuses["artificial_analysis"] == "skipped" and statuses["artificial_analysis_language"] == "skipped"
    assert statuses["lmarena"] == "ok" and statuses["lmarena_history"] == "ok"


def test_without_a_key_the_public_page_is_read_in_chromium(replay, home, refresh, monkeypatch):
    from tests.test_browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        from tests.conftest import unavailable

        unavailable(f"Chromium not installed at {CHROMIUM}")
    replay.add("/aa-page/models", FIXTURES / "pages" / "artificial_analysis_models.html", content_type="text/html")
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_PAGE_URL", replay.url + "/aa-page")
    monkeypatch.setenv("AISI_SOURCE_ARTIFICIAL_ANALYSIS_PAGE_TIMEOUT", "20")
    summary = refresh()
    page = next(s for s in summary.sources if s["source"] == "artificial_analysis_page")
    assert (page["status"], page["badge"]) == ("ok", "aggregator") and page["rows"] > 0
    scores = query(home, "SELECT variant, score FROM benchmarks WHERE source = 'artificial_analysis_page' "
                         "AND model_key = 'openai/gpt-oss-20b' AND benchmark = 'artificial_analysis_intelligence_index'")
    assert scores and scores[0][0] == "low"
    # With the key set, the data API is used and the page is not loaded.
    monkeypatch.setenv("ARTIFICIAL_ANALYSIS_API_KEY", AA_KEY)
    again = refresh()
    page = next(s for s in again.sources if s["source"] == "artificial_analysis_page")
    assert page["status"] == "skipped" and "ARTIFICIAL_ANALYSIS_API_KEY" in page["error"]
    assert AA_KEY not in page["error"]
