"""Lookups by any spelling over real HTTP: model detail, prices, price history and benchmarks
answer for the model a source id, alias or loose spelling resolves to (``resolved_from``);
search forgives case and separators and ranks exact before fuzzy; provider and creator filters
take any case; DuckDB and PostgreSQL answer alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.replay import ReplayServer
from tests.test_api import ApiServer, api, served, start_server  # noqa: F401  (fixtures)
from tests.test_changes import database  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

RESOLUTION_FIELDS = ("resolved_from", "resolution", "alternatives")


def without_resolution(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in RESOLUTION_FIELDS}


def ok(api: ApiServer, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, (path, params, response.text)
    return response.json()


# spelling -> (model key, how it resolved)
SPELLINGS = {
    "openai/gpt-4o": ("openai/gpt-4o", "key"),
    "OpenAI/GPT-4o": ("openai/gpt-4o", "key"),
    "GPT-4o": ("openai/gpt-4o", "alias"),  # the providers' own id, any case
    "gpt4o": ("openai/gpt-4o", "normalised"),  # the missing dash
    "claude-sonnet-4.5": ("anthropic/claude-sonnet-4-5", "normalised"),  # OpenRouter's dotted version
    "anthropic/claude-sonnet-4.5": ("anthropic/claude-sonnet-4-5", "normalised"),
    "Claude Sonnet 4.5": ("anthropic/claude-sonnet-4-5", "normalised"),  # the display name
    "us-east-1/anthropic.claude-sonnet-4-20250514-v1:0": ("anthropic/claude-sonnet-4-20250514", "alias"),  # LiteLLM's Bedrock id
    "anthropic.claude-sonnet-4-20250514-v1:0": ("anthropic/claude-sonnet-4-20250514", "alias"),  # without the region
    "amazon-bedrock/anthropic.claude-sonnet-4-20250514-v1:0": ("anthropic/claude-sonnet-4-20250514", "provider_prefix"),
    "openrouter/openai/gpt-4o": ("openai/gpt-4o", "provider_prefix"),
    "llama-3.3-70b-versatile": ("meta/llama-3.3-70b-instruct", "alias"),  # Groq's serving name
    "meta-llama/llama-3.1-70b-instruct": ("meta/llama-3.1-70b-instruct", "alias"),  # OpenRouter's namespace
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_model_detail_by_any_spelling(api: ApiServer, spelling: str):
    key, method = SPELLINGS[spelling]
    body = ok(api, f"/api/v1/models/{spelling}")
    assert body["model_key"] == key
    assert (body["resolved_from"], body["resolution"]) == (spelling, method)
    # The same answer as for the key itself: offerings, prices, benchmarks.
    assert without_resolution(body) == without_resolution(ok(api, f"/api/v1/models/{key}"))
    assert body["offerings"]


def test_dated_snapshot_answers_itself_and_names_its_family(api: ApiServer):
    dated = ok(api, "/api/v1/models/anthropic/claude-sonnet-4-20250514")
    assert (dated["model_key"], dated["resolution"], dated["alias_of"]) == (
        "anthropic/claude-sonnet-4-20250514", "key", "anthropic/claude-sonnet-4")
    assert {o["provider_id"] for o in dated["offerings"]} == {"anthropic", "amazon-bedrock"}


def test_ambiguous_spelling_picks_one_and_lists_the_others(api: ApiServer):
    # Both the family alias and its dated snapshot are called "Claude Sonnet 4": the key wins.
    body = ok(api, "/api/v1/models/Claude Sonnet 4")
    assert body["model_key"] == "anthropic/claude-sonnet-4"
    assert body["alternatives"] == ["anthropic/claude-sonnet-4-20250514"]
    # The same question asked again gets the same answer.
    assert ok(api, "/api/v1/models/claude sonnet 4")["model_key"] == "anthropic/claude-sonnet-4"


def test_unknown_spellings_get_404_with_suggestions(api: ApiServer):
    for path, params in [
        ("/api/v1/models/openai/gpt-4o-mnii", {}),
        ("/api/v1/pricing", {"model": "openai/gpt-4o-mnii"}),
        ("/api/v1/pricing/history", {"model": "openai/gpt-4o-mnii"}),
        ("/api/v1/benchmarks", {"model": "openai/gpt-4o-mnii"}),
    ]:
        response = api.get(path, params=params)
        assert response.status_code == 404, (path, response.text)
        body = response.json()
        assert "openai/gpt-4o-mnii" in body["error"]
        assert body["suggestions"][0]["model_key"] == "openai/gpt-4o-mini", body
    nothing = api.get("/api/v1/models/zzzz-qqqq")
    assert nothing.status_code == 404 and nothing.json()["suggestions"] == []
    # A model the arena scored but no source lists: not in the catalog, but its scores are found.
    assert api.get("/api/v1/models/anthropic/claude-opus-4-5-20251101").status_code == 404
    scores = ok(api, "/api/v1/benchmarks", model="claude-opus-4-5-20251101", top=500)
    assert scores["model_key"] == "anthropic/claude-opus-4-5-20251101" and scores["resolution"] == "alias"
    assert scores["items"] and {i["model_key"] for i in scores["items"]} == {"anthropic/claude-opus-4-5-20251101"}


def test_pricing_history_and_benchmarks_follow_aliases(api: ApiServer):
    canonical = ok(api, "/api/v1/pricing", model="openai/gpt-4o", provider="openai")
    assert canonical["resolved_from"] == "openai/gpt-4o" and canonical["items"]
    for spelling in ("gpt4o", "GPT-4o", "openrouter/openai/gpt-4o"):
        prices = ok(api, "/api/v1/pricing", model=spelling, provider="OpenAI")
        assert (prices["resolved_from"], prices["model_key"]) == (spelling, "openai/gpt-4o")
        assert prices["items"] == canonical["items"] and prices["total"] == canonical["total"]

    history = ok(api, "/api/v1/pricing/history", model="openai/gpt-4o")
    loose = ok(api, "/api/v1/pricing/history", model="GPT 4o", provider="OpenRouter")
    assert (loose["model"], loose["model_key"], loose["resolved_from"]) == ("openai/gpt-4o", "openai/gpt-4o", "GPT 4o")
    assert loose["items"] == [i for i in history["items"] if i["provider_id"] == "openrouter"] and loose["items"]

    scores = ok(api, "/api/v1/benchmarks", model="openai/gpt-4o")
    assert scores["items"]
    assert ok(api, "/api/v1/benchmarks", model="gpt4o")["items"] == scores["items"]
    # Without a model nothing is resolved and nothing is said about it.
    assert "resolved_from" not in ok(api, "/api/v1/pricing", provider="openai")


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [i["model_key"] for i in items]


def test_name_filters_take_any_case(api: ApiServer):
    for path, name, spellings in [
        ("/api/v1/models", "creator", ("meta", "Meta", "META")),
        ("/api/v1/models", "provider", ("openai", "OpenAI", "OPENAI")),
        ("/api/v1/models", "provider", ("amazon-bedrock", "Amazon-Bedrock", "Amazon Bedrock")),
        ("/api/v1/benchmarks", "creator", ("openai", "OpenAI")),
        ("/api/v1/pricing", "provider", ("openrouter", "OpenRouter")),
    ]:
        answers = [ok(api, path, **{name: s, "limit" if path != "/api/v1/benchmarks" else "top": 500}) for s in spellings]
        assert answers[0]["items"], (path, name)
        assert all(a == answers[0] for a in answers[1:]), (path, name)
    assert {i["creator"] for i in ok(api, "/api/v1/models", creator="Meta")["items"]} == {"meta"}


def search(api: ApiServer, q: str, **params: Any) -> list[dict[str, Any]]:
    body = ok(api, "/api/v1/search", q=q, **params)
    assert body["query"] == q
    ranks = [i["rank"] for i in body["items"]]
    assert ranks == sorted(ranks), body  # exact, then prefix, then contains, then fuzzy
    assert all(i["match"] == ("exact", "prefix", "contains", "fuzzy")[i["rank"]] for i in body["items"])
    return body["items"]


def test_search_forgives_case_separators_and_ranks_exact_first(api: ApiServer):
    gpt = search(api, "gpt4o")
    assert [(i["model_key"], i["match"]) for i in gpt] == [("openai/gpt-4o", "exact"), ("openai/gpt-4o-mini", "prefix")]
    assert search(api, "GPT-4O")[0]["model_key"] == "openai/gpt-4o"

    sonnet = search(api, "sonnet 4.5")
    assert sonnet[0]["model_key"] == "anthropic/claude-sonnet-4-5" and sonnet[0]["match"] == "contains"
    llama = search(api, "Llama 3.1 70b")
    assert (llama[0]["model_key"], llama[0]["match"]) == ("meta/llama-3.1-70b-instruct", "prefix")
    # Words in another order.
    assert set(keys(search(api, "70b llama"))) == {"meta/llama-3.1-70b-instruct", "meta/llama-3.3-70b-instruct"}

    # Exact before prefix: the key, then its dated snapshot of the same name, then the longer names.
    claude = search(api, "claude sonnet 4")
    assert [(i["model_key"], i["match"]) for i in claude[:2]] == [
        ("anthropic/claude-sonnet-4", "exact"), ("anthropic/claude-sonnet-4-20250514", "exact")]
    assert {i["match"] for i in claude[2:]} == {"prefix"} and "anthropic/claude-sonnet-4-5" in keys(claude)
    # A source id finds its model.
    assert keys(search(api, "us-east-1/anthropic.claude-sonnet-4-20250514-v1:0"))[:1] == ["anthropic/claude-sonnet-4-20250514"]
    # A typo only when nothing matches better.
    typo = search(api, "gtp-4o")
    assert typo and typo[0]["model_key"] == "openai/gpt-4o" and {i["match"] for i in typo} == {"fuzzy"}
    assert search(api, "zzzz-qqqq") == []
    assert len(search(api, "claude", limit=2)) == 2


LOOKUP_REQUESTS = [
    ("/api/v1/models/claude-sonnet-4.5", {}),
    ("/api/v1/models/gpt4o", {}),
    ("/api/v1/models/Claude Sonnet 4", {}),
    ("/api/v1/models/amazon-bedrock/anthropic.claude-sonnet-4-20250514-v1:0", {}),
    ("/api/v1/pricing", {"model": "GPT-4o", "provider": "OpenAI"}),
    ("/api/v1/pricing/history", {"model": "gpt4o"}),
    ("/api/v1/benchmarks", {"model": "gpt-4o-2024-05-13"}),
    ("/api/v1/benchmarks", {"creator": "OpenAI"}),
    ("/api/v1/models", {"creator": "Meta"}),
    ("/api/v1/models", {"provider": "Amazon Bedrock"}),
    ("/api/v1/search", {"q": "gpt4o"}),
    ("/api/v1/search", {"q": "sonnet 4.5"}),
    ("/api/v1/search", {"q": "Llama 3.1 70b"}),
    ("/api/v1/search", {"q": "claude sonnet 4"}),
    ("/api/v1/search", {"q": "gtp-4o"}),
    ("/api/v1/models/openai/gpt-4o-mnii", {}),
]


@pytest.mark.postgres
def test_postgres_resolves_the_same_as_duckdb(database: str, replay: ReplayServer, home: Path, refresh, tmp_path: Path):
    summary = refresh()
    assert summary.success and summary.warehouse.startswith("PostgreSQL")
    from_pg = start_server(home, tmp_path / "api-pg.log", AISI_DATABASE_URL=database)
    from_duckdb = start_server(home, tmp_path / "api-duckdb.log")
    try:
        for path, params in LOOKUP_REQUESTS:
            a, b = from_pg.get(path, params=params), from_duckdb.get(path, params=params)
            assert a.status_code == b.status_code, (path, params, a.text, b.text)
            assert a.json() == b.json(), (path, params)
            assert a.status_code == (404 if "mnii" in path else 200), (path, a.text)
        assert from_pg.get("/api/v1/models/gpt4o").json()["model_key"] == "openai/gpt-4o"
    finally:
        from_pg.stop()
        from_duckdb.stop()
