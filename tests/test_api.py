"""The read API over real HTTP: `aisi serve` in a subprocess, reading what the catalog graph
published from the replay server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb
import httpx
import pytest

from tests.conftest import FIXTURES, REPO, SOURCE_ROUTES, free_port, isolate, serve_sources
from tests.replay import ReplayServer

pytestmark = pytest.mark.slow

TOKEN = "test-sync-token-5d1f"
SYNC_TIMEOUT_S = 60


class ApiServer:
    """`python -m pipelines.cli serve --port PORT` with the given environment."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def wait_ready(self, timeout: float = 30) -> "ApiServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"API server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                self.client.get("/openapi.json", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"API server not answering after {timeout}s:\n{self.log_path.read_text()}")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The current environment for a server on ``home``: no token, no PostgreSQL unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("AISI_API_TOKEN", "AISI_DATABASE_URL")}
    env.update(AISI_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), PYTHONUNBUFFERED="1", **extra)
    return env


def start_server(home: Path, log: Path, **extra: str) -> ApiServer:
    return ApiServer(server_env(home, **extra), log).wait_ready()


def run_refresh(*sources: str) -> Any:
    """Like the `refresh` fixture, for module-scoped setups."""
    from pipelines.catalog.refresh import run_refresh as refresh
    from pipelines.cli import prepare_instance

    prepare_instance()
    summary = refresh(list(sources), progress=lambda line: None)
    assert summary.success, summary.errors
    return summary


def latest_snapshot(home: Path) -> Path:
    return (home / "snapshots" / "latest.duckdb").resolve(strict=True)


def snapshot_rows(home: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(latest_snapshot(home)), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@dataclass
class Served:
    home: Path
    replay: ReplayServer
    api: ApiServer
    tmp: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One refresh against the replay server, then `aisi serve` on its data (module-scoped
    equivalent of the `home` + `replay` + `refresh` fixtures)."""
    tmp = tmp_path_factory.mktemp("api")
    home = tmp / "data"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        replay = ReplayServer().start()
        try:
            serve_sources(replay, mp)
            # The leaderboard fixture plus a score for a model the catalog lists (openai/gpt-4o).
            replay.add("/lmarena/data/leaderboard-text.json", FIXTURES / "lmarena" / "leaderboard-api.json")
            run_refresh()
            api = start_server(home, tmp / "api.log")
            try:
                yield Served(home=home, replay=replay, api=api, tmp=tmp)
            finally:
                api.stop()
        finally:
            replay.stop()


@pytest.fixture
def api(served: Served) -> ApiServer:
    return served.api


def all_models(api: ApiServer, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/models", params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return body["items"]


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [i["model_key"] for i in items]


# --- /api/v1/models -----------------------------------------------------------------------


def test_models_lists_every_model_with_total_and_badge(served: Served, api: ApiServer):
    expected = [k for (k,) in snapshot_rows(served.home, "SELECT model_key FROM models ORDER BY model_key")]
    assert len(expected) > 49

    response = api.get("/api/v1/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["total"] == len(expected)
    assert body["limit"] == 50 and body["offset"] == 0
    assert keys(body["items"]) == expected[:50]

    items = all_models(api)
    assert keys(items) == expected
    badges = dict(snapshot_rows(served.home, "SELECT model_key, source_kind FROM models"))
    for item in items:
        assert item["badge"] in {"api", "scraped", "aggregator", "cached", "config", "manual"}, item
        assert item["badge"] == badges[item["model_key"]]
        assert item["source"] and "total" not in item
    gpt4o = next(i for i in items if i["model_key"] == "openai/gpt-4o")
    assert gpt4o["creator"] == "openai" and gpt4o["name"] == "GPT-4o"
    assert gpt4o["context_window"] == 128000
    assert gpt4o["min_input_usd_per_mtok"] == 2.5 and gpt4o["min_output_usd_per_mtok"] == 10.0
    # OpenAI's own price, agreed by models.dev, LiteLLM and the config file.
    assert gpt4o["reference_price"]["input"]["usd_per_mtok"] == 2.5 and gpt4o["reference_price"]["output"]["usd_per_mtok"] == 10.0
    assert gpt4o["reference_price"]["input"]["basis"] == "consensus" and gpt4o["listed"] is True


def test_models_filter_by_provider(served: Served, api: ApiServer):
    expected = [k for (k,) in snapshot_rows(
        served.home, "SELECT DISTINCT model_key FROM offerings WHERE provider_id = 'openai' ORDER BY 1")]
    items = all_models(api, provider="openai")
    assert keys(items) == expected
    assert "openai/gpt-4o" in expected and "anthropic/claude-sonnet-4-20250514" not in expected
    gpt4o = next(i for i in items if i["model_key"] == "openai/gpt-4o")
    # The lowest price is that of the provider asked for.
    assert (gpt4o["min_input_usd_per_mtok"], gpt4o["min_output_usd_per_mtok"]) == (2.5, 10.0)

    bedrock = all_models(api, provider="amazon-bedrock")
    assert keys(bedrock) == ["anthropic/claude-sonnet-4-20250514"]
    assert all_models(api, provider="no-such-provider") == []


def test_models_filter_by_creator(served: Served, api: ApiServer):
    expected = [k for (k,) in snapshot_rows(
        served.home, "SELECT model_key FROM models WHERE creator = 'anthropic' ORDER BY 1")]
    items = all_models(api, creator="anthropic")
    assert keys(items) == expected and len(expected) >= 3
    assert {i["creator"] for i in items} == {"anthropic"}
    assert all(k.startswith("anthropic/") for k in keys(items))


def test_models_search_is_partial_and_case_insensitive(api: ApiServer):
    items = all_models(api, search="GPT-4O")
    assert keys(items) == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    # The name matches too: "Claude Sonnet 4" by a part of its name in any case.
    by_name = keys(all_models(api, search="sonnet 4"))
    assert "anthropic/claude-sonnet-4-20250514" in by_name
    assert all_models(api, search="zzz-no-such-model") == []


def test_models_filter_by_modality_and_min_context(served: Served, api: ApiServer):
    expected_image = [k for (k,) in snapshot_rows(
        served.home,
        "SELECT model_key FROM models WHERE list_contains(input_modalities, 'image') "
        "OR list_contains(output_modalities, 'image') ORDER BY 1")]
    image = all_models(api, modality="image")
    assert keys(image) == expected_image
    assert 0 < len(image) < len(all_models(api))
    for item in image:
        assert "image" in (item["input_modalities"] or []) + (item["output_modalities"] or [])
    assert "openai/gpt-4o" in keys(image)

    expected_long = [k for (k,) in snapshot_rows(
        served.home, "SELECT model_key FROM models WHERE context_window >= 200000 ORDER BY 1")]
    long = all_models(api, min_context=200000)
    assert keys(long) == expected_long and long
    assert all(i["context_window"] >= 200000 for i in long)
    assert "openai/gpt-4o" not in keys(long)  # 128k
    # Filters combine.
    both = all_models(api, min_context=200000, creator="anthropic", modality="image")
    assert keys(both) == [i["model_key"] for i in long if i["creator"] == "anthropic" and i["model_key"] in keys(image)]
    assert all_models(api, min_context=0) == all_models(api)


def test_models_sorted_and_filtered_by_price_modality_and_context_in_one_call(served: Served, api: ApiServer):
    """"The cheapest model with 128k context and image input" is one request: sorts put unknown
    values last, price filters use the lowest metered price, modality filters pick a side."""
    everything = all_models(api)
    by_price = all_models(api, sort="price")
    prices = [i["min_input_usd_per_mtok"] for i in by_price]
    priced = [p for p in prices if p is not None]
    assert priced == sorted(priced) and prices == priced + [None] * (len(prices) - len(priced)) and priced
    assert sorted(keys(by_price)) == sorted(keys(everything))
    dearest = all_models(api, sort="-price")
    assert [i["min_input_usd_per_mtok"] for i in dearest][: len(priced)] == sorted(priced, reverse=True)
    contexts = [i["context_window"] for i in all_models(api, sort="-context") if i["context_window"] is not None]
    assert contexts == sorted(contexts, reverse=True) and contexts
    released = [i["release_date"] for i in all_models(api, sort="-released") if i["release_date"]]
    assert released == sorted(released, reverse=True)

    vision = all_models(api, input_modality="image")
    assert vision and all("image" in (i["input_modalities"] or []) for i in vision)
    expected_out = [k for (k,) in snapshot_rows(served.home, "SELECT model_key FROM models WHERE list_contains(output_modalities, 'image') ORDER BY 1")]
    assert keys(all_models(api, output_modality="image")) == expected_out
    cheap = all_models(api, max_input_price=1.0)
    assert cheap and all(i["min_input_usd_per_mtok"] is not None and i["min_input_usd_per_mtok"] <= 1.0 for i in cheap)
    assert all(i["min_output_usd_per_mtok"] <= 2.0 for i in all_models(api, max_output_price=2.0))

    answer = api.get("/api/v1/models", params={"min_context": 128000, "input_modality": "image", "sort": "price", "limit": 1}).json()
    candidates = [i for i in vision if (i["context_window"] or 0) >= 128000 and i["min_input_usd_per_mtok"] is not None]
    assert answer["items"][0]["model_key"] == min(candidates, key=lambda i: (i["min_input_usd_per_mtok"], i["model_key"]))["model_key"]
    assert answer["total"] == len([i for i in vision if (i["context_window"] or 0) >= 128000])
    assert api.get("/api/v1/models", params={"sort": "cheapest"}).status_code == 422
    assert api.get("/api/v1/models", params={"max_input_price": -1}).status_code == 422


def test_models_sorted_by_a_benchmark_score(served: Served, api: ApiServer):
    """sort=score: each model's best latest score in the benchmark, highest first, unscored last;
    without a benchmark, the first default the snapshot has (here the arena's: no AA key)."""
    expected = dict(snapshot_rows(served.home, """
        SELECT model_key, max(score) FROM (
            SELECT model_key, score, row_number() OVER (PARTITION BY model_key, variant, source ORDER BY as_of DESC) AS n
            FROM benchmarks WHERE benchmark = 'lmarena_elo_full') WHERE n = 1
          AND model_key IN (SELECT model_key FROM models) GROUP BY model_key"""))
    assert len(expected) >= 1
    body = api.get("/api/v1/models", params={"sort": "score", "benchmark": "lmarena_elo_full", "limit": 500}).json()
    assert body["benchmark"] == "lmarena_elo_full"
    scored = [(i["model_key"], i["score"]) for i in body["items"] if i["score"] is not None]
    assert dict(scored) == {k: float(v) for k, v in expected.items()}
    assert [s for _, s in scored] == sorted((s for _, s in scored), reverse=True)
    assert body["items"][: len(scored)] == [i for i in body["items"] if i["score"] is not None]  # unscored last
    lowest = api.get("/api/v1/models", params={"sort": "-score", "benchmark": "lmarena_elo_full", "limit": 500}).json()
    assert [i["score"] for i in lowest["items"][: len(scored)]] == sorted(s for _, s in scored)
    default = api.get("/api/v1/models", params={"sort": "score", "limit": 500}).json()
    assert default["benchmark"] == "lmarena_elo_full" and default["items"] == body["items"]
    plain = api.get("/api/v1/models", params={"limit": 5}).json()
    assert "benchmark" not in plain and all(i["score"] is None for i in plain["items"])


def test_price_comparison_of_one_model_across_its_providers(served: Served, api: ApiServer):
    body = api.get("/api/v1/pricing/compare", params={"model": "GPT-4o"}).json()  # any spelling
    assert body["model_key"] == "openai/gpt-4o" and body["resolved_from"] == "GPT-4o"
    expected = snapshot_rows(served.home, "SELECT provider_id, provider_model_id, billing, usd_per_mtok FROM current_prices "
                                          "WHERE model_key = 'openai/gpt-4o' AND price_type = 'input' AND above_tokens = 0")
    items = body["items"]
    assert {(i["provider_id"], i["provider_model_id"]) for i in items} >= {(p, m) for p, m, _, _ in expected} and len(items) > 1
    metered = [i for i in items if i["billing"] == "metered"]
    assert items[: len(metered)] == metered  # metered offerings first
    inputs = [i["input_usd_per_mtok"] for i in metered if i["input_usd_per_mtok"] is not None]
    assert inputs == sorted(inputs)
    assert body["cheapest_metered"] == metered[0] and metered[0]["input_vs_cheapest"] == 1.0
    assert min(p for _, _, b, p in expected if b == "metered") == metered[0]["input_usd_per_mtok"]
    assert all(i["input_vs_cheapest"] is None for i in items if i["billing"] != "metered")
    assert api.get("/api/v1/pricing/compare", params={"model": "no-such-model-xyz"}).status_code == 404
    assert api.get("/api/v1/pricing/compare").status_code == 422  # model is required


def test_pricing_filters_by_billing(served: Served, api: ApiServer):
    everything = api.get("/api/v1/pricing", params={"limit": 500}).json()
    kinds = {row["billing"] for row in everything["items"]}
    assert "metered" in kinds
    totals = 0
    for kind in ("metered", "free_tier", "plan"):
        body = api.get("/api/v1/pricing", params={"billing": kind, "limit": 500}).json()
        assert all(row["billing"] == kind for row in body["items"])
        expected = snapshot_rows(served.home, f"SELECT count(*) FROM current_prices WHERE billing = '{kind}'")[0][0]
        assert body["total"] == expected
        totals += body["total"]
    assert totals == everything["total"]
    assert api.get("/api/v1/pricing", params={"billing": "subscription"}).status_code == 422


def test_models_paging_is_consistent_with_total(api: ApiServer):
    everything = all_models(api)
    total = len(everything)
    pages: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = api.get("/api/v1/models", params={"limit": 7, "offset": offset}).json()
        assert body["total"] == total and body["limit"] == 7 and body["offset"] == offset
        if not body["items"]:
            break
        assert len(body["items"]) == min(7, total - offset)
        pages.extend(body["items"])
        offset += 7
    assert pages == everything
    # Past the end: no items, the total still right.
    beyond = api.get("/api/v1/models", params={"limit": 5, "offset": total + 10}).json()
    assert beyond["items"] == [] and beyond["total"] == total
    # Paging a filtered list.
    openai = all_models(api, provider="openai")
    second = api.get("/api/v1/models", params={"provider": "openai", "limit": 2, "offset": 2}).json()
    assert second["total"] == len(openai) and second["items"] == openai[2:4]


@pytest.mark.parametrize(("path", "size"), [("/api/v1/models", "limit"), ("/api/v1/pricing", "limit"), ("/api/v1/benchmarks", "top")])
def test_every_paged_route_past_its_end_keeps_the_total(api: ApiServer, path: str, size: str):
    total = api.get(path, params={size: 1}).json()["total"]
    assert total > 0, path  # the served home has rows on these routes (changes: tests/test_changes.py)
    beyond = api.get(path, params={size: 3, "offset": total + 50}).json()
    assert (beyond["items"], beyond["total"], beyond["offset"]) == ([], total, total + 50)
    last = api.get(path, params={size: 3, "offset": total - 1}).json()
    assert len(last["items"]) == 1 and last["total"] == total
    # A filter that matches nothing, past its (empty) end: a total of 0.
    nothing = api.get("/api/v1/models", params={"search": "no-such-model-anywhere", "limit": 3, "offset": 9}).json()
    assert (nothing["items"], nothing["total"]) == ([], 0)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"min_context": -1}, "min_context"),
        ({"offset": -1}, "offset"),
        ({"limit": "many"}, "limit"),
        ({"modality": "Image!"}, "modality"),
    ],
)
def test_models_rejects_bad_parameters_with_422(api: ApiServer, params: dict[str, Any], parameter: str):
    response = api.get("/api/v1/models", params=params)
    assert response.status_code == 422
    body = response.json()
    assert parameter in body["error"]
    assert [p["parameter"] for p in body["problems"]] == [parameter]


def test_model_detail_has_offerings_with_prices(api: ApiServer):
    response = api.get("/api/v1/models/openai/gpt-4o")
    assert response.status_code == 200
    model = response.json()
    assert model["model_key"] == "openai/gpt-4o" and model["badge"]
    offerings = {(o["provider_id"], o["provider_model_id"]): o for o in model["offerings"]}
    assert len(offerings) == model["offerings_count"] == 3
    openai = offerings[("openai", "gpt-4o")]
    assert openai["prices"]["input"]["usd_per_mtok"] == 2.5
    assert openai["prices"]["output"]["usd_per_mtok"] == 10.0
    assert openai["prices"]["input"]["source"] == "models_dev" and openai["prices"]["input"]["badge"]
    assert offerings[("openrouter", "openai/gpt-4o")]["prices"]["input"]["usd_per_mtok"] == 2.5
    assert offerings[("azure", "gpt-4o")]["prices"]["output"]["usd_per_mtok"] == 10.0
    for offering in model["offerings"]:
        assert offering["badge"] and offering["source"]
    reference = model["reference_price"]["input"]
    assert (reference["usd_per_mtok"], reference["provider_id"]) == (2.5, "openai")
    assert reference["basis"] in ("consensus", "single_aggregator") and reference["sources"] >= 2
    assert model["listed"] is True and model["unlisted_since"] is None

    missing = api.get("/api/v1/models/openai/no-such-model")
    assert missing.status_code == 404
    assert "openai/no-such-model" in missing.json()["error"]


def test_prices_carry_billing_and_long_context_tiers(api: ApiServer):
    rows = api.get("/api/v1/pricing", params={"provider": "openrouter", "limit": 500}).json()["items"]
    sonnet = {(r["price_type"], r["above_tokens"]): r["usd_per_mtok"] for r in rows if r["provider_model_id"] == "anthropic/claude-sonnet-4"}
    assert (sonnet[("input", 0)], sonnet[("input", 200000)], sonnet[("output", 200000)]) == (3.0, 6.0, 22.5)
    free = [r for r in rows if r["provider_model_id"] == "openai/gpt-oss-20b:free"]
    assert free and all(r["billing"] == "free_tier" and r["usd_per_mtok"] == 0 for r in free)
    assert {r["billing"] for r in rows if r["usd_per_mtok"] > 0} == {"metered"}
    model = api.get("/api/v1/models/openai/gpt-4o").json()
    assert {o["billing"] for o in model["offerings"]} == {"metered"}
    assert all(o["price_tiers"] == [] for o in model["offerings"])  # no tier in the fixtures for gpt-4o
    # In the model's detail a tier is listed apart: it never replaces the base price.
    key = next(r["model_key"] for r in rows if r["provider_model_id"] == "anthropic/claude-sonnet-4")
    detail = api.get(f"/api/v1/models/{key}").json()
    offering = next(o for o in detail["offerings"] if (o["provider_id"], o["provider_model_id"]) == ("openrouter", "anthropic/claude-sonnet-4"))
    assert offering["prices"]["input"]["usd_per_mtok"] == 3.0
    assert sorted((t["price_type"], t["above_tokens"], t["usd_per_mtok"]) for t in offering["price_tiers"]) == [
        ("input", 200000, 6.0), ("output", 200000, 22.5)]


def test_pricing_for_one_model_and_provider(api: ApiServer):
    response = api.get("/api/v1/pricing", params={"provider": "openai", "model": "openai/gpt-4o"})
    assert response.status_code == 200
    body = response.json()
    prices = {i["price_type"]: i["usd_per_mtok"] for i in body["items"]}
    assert prices["input"] == 2.5 and prices["output"] == 10.0
    assert body["total"] == len(body["items"]) == len(prices)
    for item in body["items"]:
        assert (item["provider_id"], item["model_key"], item["provider_model_id"]) == ("openai", "openai/gpt-4o", "gpt-4o")
        assert item["badge"] and item["source"] and item["valid_from"]
    # Every provider's price of the model.
    every = api.get("/api/v1/pricing", params={"model": "openai/gpt-4o", "limit": 500}).json()
    assert {i["provider_id"] for i in every["items"]} == {"openai", "openrouter", "azure"}
    assert api.get("/api/v1/pricing", params={"limit": 0}).status_code == 422


def test_providers(served: Served, api: ApiServer):
    body = api.get("/api/v1/providers").json()
    expected = dict(snapshot_rows(served.home, "SELECT provider_id, offerings_count FROM providers"))
    assert {p["provider_id"]: p["offerings_count"] for p in body["items"]} == expected
    ids = [p["provider_id"] for p in body["items"]]
    assert ids == sorted(ids) and {"openai", "anthropic", "openrouter", "amazon-bedrock"} <= set(ids)
    assert all(p["badge"] for p in body["items"])


def test_search(api: ApiServer):
    response = api.get("/api/v1/search", params={"q": "claude"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "claude"
    found = keys(body["items"])
    assert "anthropic/claude-sonnet-4-20250514" in found
    assert all("claude" in k or "claude" in (i["name"] or "").lower() for k, i in zip(found, body["items"]))
    # Exact matches first.
    assert keys(api.get("/api/v1/search", params={"q": "OPENAI/GPT-4O"}).json()["items"])[0] == "openai/gpt-4o"
    assert len(api.get("/api/v1/search", params={"q": "claude", "limit": 2}).json()["items"]) == 2

    missing = api.get("/api/v1/search")
    assert missing.status_code == 422
    assert "q" in missing.json()["error"]
    assert api.get("/api/v1/search", params={"q": ""}).status_code == 422


def test_benchmarks_filters_sort_top_and_attribution(api: ApiServer):
    body = api.get("/api/v1/benchmarks", params={"benchmark": "lmarena_elo_full", "top": 3}).json()
    assert body["limit"] == 3 and len(body["items"]) == 3 and body["total"] > 3
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert {item["benchmark"] for item in body["items"]} == {"lmarena_elo_full"}
    assert all(item["badge"] == "aggregator" and item["unit"] == "elo" for item in body["items"])
    assert body["attribution"] and "LMArena" in body["attribution"][0]
    lowest = api.get("/api/v1/benchmarks", params={"benchmark": "lmarena_elo_full", "sort": "score_asc", "top": 1}).json()
    assert lowest["items"][0]["score"] == min(i["score"] for i in api.get(
        "/api/v1/benchmarks", params={"benchmark": "lmarena_elo_full", "top": 500}).json()["items"])
    one = api.get("/api/v1/benchmarks", params={"model": "openai/gpt-4o-2024-05-13", "benchmark": "lmarena_elo_full"}).json()
    # The latest score per source: the history's last date, and the leaderboard's.
    assert {(i["source"], i["score"]) for i in one["items"]} >= {("lmarena_history", 1284.25)}
    by_creator = api.get("/api/v1/benchmarks", params={"creator": "openai", "top": 500}).json()["items"]
    assert by_creator and all(i["creator"] == "openai" for i in by_creator)
    assert api.get("/api/v1/benchmarks", params={"sort": "best"}).status_code == 422
    assert api.get("/api/v1/benchmarks", params={"top": 0}).status_code == 422


def test_model_detail_has_benchmarks_and_attribution(api: ApiServer):
    gpt = api.get("/api/v1/models/openai/gpt-4o").json()
    assert [(b["benchmark"], b["score"], b["unit"], b["source"]) for b in gpt["benchmarks"]] == [
        ("lmarena_elo_full", 1290.0, "elo", "lmarena")
    ]
    assert any("LMArena" in text for text in gpt["attribution"])
    assert gpt["performance"] == [] and gpt["status"] == "active"
    # A model the arena scored but no source lists is on the benchmarks list, not in the catalog.
    top = api.get("/api/v1/benchmarks", params={"benchmark": "lmarena_elo_coding", "top": 1}).json()["items"][0]
    assert top["model_key"] == "anthropic/claude-opus-4-5-20251101" and top["name"] is None
    assert api.get("/api/v1/models/anthropic/claude-opus-4-5-20251101").status_code == 404
    mini = api.get("/api/v1/models/openai/gpt-4o-mini").json()
    assert mini["benchmarks"] == [] and mini["attribution"] == []


def test_etag_and_if_none_match(api: ApiServer):
    first = api.get("/api/v1/models", params={"provider": "openai"})
    etag = first.headers["etag"]
    snapshot = first.headers["x-snapshot-id"]
    assert etag.startswith(f'"{snapshot}-')

    again = api.get("/api/v1/models", params={"provider": "openai"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    listed = api.get("/api/v1/models", params={"provider": "openai"}, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304
    stale = api.get("/api/v1/models", params={"provider": "openai"}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json() == first.json()
    # Another request has another body and so another tag.
    other = api.get("/api/v1/models", params={"provider": "anthropic"})
    assert other.headers["etag"] != etag
    detail = api.get("/api/v1/models/openai/gpt-4o")
    assert api.get("/api/v1/models/openai/gpt-4o", headers={"If-None-Match": detail.headers["etag"]}).status_code == 304


def test_openapi_and_docs(api: ApiServer):
    spec = api.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in ("/api/v1/models", "/api/v1/models/{model_key}", "/api/v1/pricing", "/api/v1/providers",
                 "/api/v1/search", "/api/v1/status", "/api/v1/sync/{source}"):
        assert path in paths, sorted(paths)
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_sync_is_forbidden_without_a_configured_token(api: ApiServer):
    response = api.post("/api/v1/sync/openrouter", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403
    assert "AISI_API_TOKEN" in response.json()["error"]
    # Without credentials it is a 401 first (the header is required), saying sync is off here.
    missing = api.post("/api/v1/sync/openrouter")
    assert missing.status_code == 401 and "disabled" in missing.json()["error"]


def test_requests_during_a_snapshot_switch_all_succeed(served: Served, api: ApiServer):
    """Publishing swaps latest.duckdb while requests run; none of them may fail."""
    snapshots = served.home / "snapshots"
    current = latest_snapshot(served.home)
    copy = snapshots / "19990101T000000Z.duckdb"  # sorts first: never pruned instead of a real one
    shutil.copyfile(current, copy)
    failures: list[str] = []
    served_ids: set[str] = set()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.get("/api/v1/status")  # never cached: queries the store each time
                except httpx.TransportError as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    served_ids.add(response.json()["snapshot"]["snapshot_id"])

    def point_latest_at(target: Path) -> None:
        link = snapshots / ".latest.test"
        link.unlink(missing_ok=True)
        link.symlink_to(target.name)
        os.replace(link, snapshots / "latest.duckdb")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for i in range(120):
            point_latest_at(copy if i % 2 == 0 else current)
            time.sleep(0.02)
    finally:
        point_latest_at(current)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        copy.unlink()
    assert failures == []
    assert served_ids == {current.stem}  # the copy's publishes table names the same snapshot
    assert api.get("/api/v1/models").headers["x-snapshot-id"] == current.stem


# --- status and new snapshots (change the served data: each checks its own before/after) ----


def status(api: ApiServer) -> dict[str, Any]:
    response = api.get("/api/v1/status")
    assert response.status_code == 200
    return response.json()


def test_new_snapshot_is_served_without_restart_and_failing_source_shows_cached(
    served: Served, api: ApiServer, monkeypatch: pytest.MonkeyPatch
):
    before = status(api)
    snapshot = latest_snapshot(served.home).stem
    assert before["snapshot"]["snapshot_id"] == snapshot
    sources = {s["source"]: s for s in before["sources"]}
    assert {"openrouter", "models_dev", "litellm", "model_defaults"} <= set(sources)
    for name in ("openrouter", "models_dev", "litellm", "model_defaults"):
        s = sources[name]
        assert s["status"] == "ok"
        assert 0 <= s["unmatched_share"] < 1
        assert isinstance(s["age_seconds"], int) and 0 <= s["age_seconds"] < 600
    assert sources["openrouter"]["badge"] == "aggregator" and sources["model_defaults"]["badge"] == "config"
    assert sources["litellm"]["rejected"] == 4 and sources["litellm"]["rejected_reasons"]["no litellm_provider"] == 1
    old = api.get("/api/v1/models/openai/gpt-4o")
    assert old.headers["x-snapshot-id"] == snapshot

    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
    run_refresh()
    newest = latest_snapshot(served.home).stem
    assert newest != snapshot

    # The running server serves the new snapshot: new id, and the old tag no longer matches.
    fresh = api.get("/api/v1/models/openai/gpt-4o", headers={"If-None-Match": old.headers["etag"]})
    assert fresh.status_code == 200
    assert fresh.headers["x-snapshot-id"] == newest
    assert fresh.headers["etag"] != old.headers["etag"]
    openrouter_offering = next(o for o in fresh.json()["offerings"] if o["provider_id"] == "openrouter")
    assert openrouter_offering["badge"] == "cached"
    assert openrouter_offering["prices"]["input"]["usd_per_mtok"] == 2.5  # kept from the archive

    after = status(api)
    assert after["snapshot"]["snapshot_id"] == newest
    sources = {s["source"]: s for s in after["sources"]}
    openrouter = sources["openrouter"]
    assert (openrouter["status"], openrouter["badge"]) == ("cached", "cached")
    assert openrouter["error"]
    # Its last fresh data is the first run's payload.
    assert openrouter["last_fresh_at"] == before_source(before, "openrouter")["payload_fetched_at"]
    assert openrouter["last_run_at"] > before_source(before, "openrouter")["last_run_at"]
    assert sources["models_dev"]["status"] == "ok"


def before_source(status_body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in status_body["sources"] if s["source"] == name)


def test_sync_with_token_launches_a_refresh_that_publishes(served: Served):
    replay_env = {f"AISI_SOURCE_{name}_URL": served.replay.url + prefix for name, (prefix, _, _) in SOURCE_ROUTES.items()}
    api = start_server(served.home, served.tmp / "api-token.log", AISI_API_TOKEN=TOKEN, **replay_env)
    try:
        path = "/api/v1/sync/openrouter"
        missing = api.post(path)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "error" in missing.json()
        assert api.post(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert api.post(path, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert api.post(path, headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        unknown = api.post("/api/v1/sync/no_such_source", headers=auth)
        assert unknown.status_code == 404
        assert unknown.json()["known"][:3] == ["openrouter", "models_dev", "litellm"]
        assert "openai" in unknown.json()["known"]

        before = status(api)
        # OpenRouter's listing changed since the last run (a reworded description): the sync
        # fetches it anew and publishes, whatever the tests before this one left behind.
        listing = json.loads((FIXTURES / SOURCE_ROUTES["OPENROUTER"][2]).read_bytes())
        listing["data"][0]["description"] = f"{listing['data'][0].get('description') or ''} (reworded {time.time_ns()})"
        served.replay.add("/openrouter/api/v1/models", json.dumps(listing).encode())
        openrouter_requests = len(served.replay.seen("/openrouter/api/v1/models"))
        others = {name: prefix + route for name, (prefix, route, _) in SOURCE_ROUTES.items() if name in ("MODELS_DEV", "LITELLM")}
        other_requests = {name: len(served.replay.seen(route)) for name, route in others.items()}
        launched = api.post(path, headers=auth)
        assert launched.status_code == 202, launched.text
        body = launched.json()
        assert body["status"] == "launched" and body["source"] == "openrouter" and body["pid"] > 0
        # A second request while it runs is refused.
        assert api.post(path, headers=auth).status_code == 409

        log = Path(body["log"])
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Refresh succeeded" in text or "Refresh FAILED" in text:
                break
            time.sleep(0.25)
        else:
            pytest.fail(f"sync did not finish in {SYNC_TIMEOUT_S}s:\n{log.read_text(errors='replace')[-3000:]}")
        assert "Refresh succeeded" in text, text[-3000:]

        after = status(api)
        assert after["snapshot"]["snapshot_id"] != before["snapshot"]["snapshot_id"]
        assert after["snapshot"]["snapshot_id"] == latest_snapshot(served.home).stem
        assert after["snapshot"]["run_id"] != before["snapshot"]["run_id"]
        openrouter = before_source(after, "openrouter")
        assert openrouter["status"] == "ok" and openrouter["badge"] == "aggregator"
        assert openrouter["last_run_at"] > before_source(before, "openrouter")["last_run_at"]
        # Only openrouter was fetched again.
        assert len(served.replay.seen("/openrouter/api/v1/models")) == openrouter_requests + 1
        assert {name: len(served.replay.seen(route)) for name, route in others.items()} == other_requests
        for other in ("models_dev", "litellm"):  # their rows are the runs that fetched them, none newer than the sync
            assert before_source(after, other)["last_run_at"] < openrouter["last_run_at"]
        served_now = api.get("/api/v1/models/openai/gpt-4o")
        assert served_now.headers["x-snapshot-id"] == after["snapshot"]["snapshot_id"]
    finally:
        api.stop()


# --- structure ------------------------------------------------------------------------------


def test_api_never_imports_dagster():
    code = "import api.app, sys; bad = [m for m in sys.modules if m.startswith('dagster')]; assert not bad, bad"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_syncable_sources_are_the_http_sources():
    from api.sync import SYNCABLE_SOURCES
    from core.sources.registry import HTTP_SOURCES

    assert list(SYNCABLE_SOURCES) == [m.SPEC.name for m in HTTP_SOURCES]
