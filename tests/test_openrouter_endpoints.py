"""OpenRouter endpoints: bounded fan-out, offerings per serving provider, performance rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.sources import openrouter_endpoints as endpoints
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow

ANSWERS = {
    "openai/gpt-4o": "openai_gpt-4o.json",
    "anthropic/claude-sonnet-4": "anthropic_claude-sonnet-4.json",
    "meta-llama/llama-3.1-70b-instruct": "meta-llama_llama-3.1-70b-instruct.json",
}
ENDPOINTS_PATH = "/openrouter/api/v1/models/{}/endpoints"


def rows(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_plan_takes_new_models_first_then_the_stalest():
    ids = ["a/new", "b/old", "c/older", "d/new2"]
    fetched = {endpoints.endpoint_url("b/old"): "2026-11-02T00:00:00+00:00", endpoints.endpoint_url("c/older"): "2026-11-01T00:00:00+00:00"}
    assert endpoints.plan(ids, fetched, 3) == ["a/new", "d/new2", "c/older"]
    assert endpoints.plan(ids, fetched, 0) == []


def test_endpoints_fan_out_is_bounded_and_rotates(replay, home, refresh, monkeypatch):
    for model_id, fixture in ANSWERS.items():
        replay.add(ENDPOINTS_PATH.format(model_id), FIXTURES / "openrouter_endpoints" / fixture)
    monkeypatch.setenv("AISI_OPENROUTER_ENDPOINTS_PER_RUN", "2")
    monkeypatch.setenv("AISI_OPENROUTER_ENDPOINTS_CONCURRENCY", "2")

    def endpoint_requests() -> list[str]:
        return [r.path for r in replay.requests if r.path.endswith("/endpoints")]

    first = refresh()
    assert first.success, first.errors
    assert len(endpoint_requests()) == 2  # the cap, not the 6 listed models
    # The fixture lists gpt-4o and claude-sonnet-4 first: both fetched, both land.
    offered = set(rows(home, "SELECT provider_id, provider_model_id FROM offerings WHERE source = 'openrouter_endpoints'"))
    assert {("openai", "openai/gpt-4o"), ("azure", "openai/gpt-4o"), ("anthropic", "anthropic/claude-sonnet-4")} <= offered
    prices = dict(rows(home, "SELECT price_type, usd_per_mtok FROM current_prices WHERE provider_id = 'azure' "
                             "AND provider_model_id = 'openai/gpt-4o'"))
    assert prices == {"input": 2.5, "output": 10.0}
    perf = {(m, p): (v, u) for m, p, v, u in rows(home, "SELECT metric, percentile, value, unit FROM performance "
                                                       "WHERE provider_id = 'openai' AND provider_model_id = 'openai/gpt-4o'")}
    assert perf[("latency", "p50")] == (0.42, "s")
    assert perf[("throughput", "p99")] == (21.7, "tokens_per_s")
    assert perf[("uptime_1d", "value")] == (99.71, "percent")
    azure = {(m, p): v for m, p, v in rows(home, "SELECT metric, percentile, value FROM performance WHERE provider_id = 'azure'")}
    assert azure[("uptime_5m", "value")] == 0.0  # an uptime of 0 is a real outage
    assert not any(m == "throughput" for m, _ in azure)  # a throughput of 0 means "not measured"
    runs = dict(rows(home, f"SELECT source, status FROM source_runs WHERE run_id = '{first.run_id}'"))
    assert runs["openrouter_endpoints"] == "ok"

    second = refresh()
    assert second.success, second.errors
    # The next two never-fetched models; the llama answer lands, the other three 404.
    second_requests = endpoint_requests()[2:]
    assert len(second_requests) == 2 and ENDPOINTS_PATH.format("openai/gpt-4o") not in second_requests
    offered = set(rows(home, "SELECT provider_id, provider_model_id FROM offerings WHERE source = 'openrouter_endpoints'"))
    assert ("deepinfra", "meta-llama/llama-3.1-70b-instruct") in offered
    assert ("openai", "openai/gpt-4o") in offered  # kept from its earlier answer
    # Unchanged measurements add no rows: gpt-4o's figures were measured once.
    assert rows(home, "SELECT count(DISTINCT measured_at) FROM performance WHERE provider_model_id = 'openai/gpt-4o'") == [(1,)]
    # The model is one model: OpenRouter's endpoint offerings sit under the same key as the list's.
    keys = rows(home, "SELECT DISTINCT model_key FROM offerings WHERE provider_model_id = 'openai/gpt-4o'")
    assert keys == [("openai/gpt-4o",)]
