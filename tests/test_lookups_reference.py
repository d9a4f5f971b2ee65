"""The issue's lookups on a refresh of the real reference data (LiteLLM, models.dev, OpenRouter
through the replay server), served over HTTP: one snapshot shared by the module."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.conftest import isolate, reference_data
from tests.replay import ReplayServer
from tests.test_api import ApiServer, run_refresh, start_server
from tests.test_changes import serve_reference

pytestmark = [pytest.mark.reference, pytest.mark.slow]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """One refresh of the three aggregators' newer reference files, then `aisi serve` on it."""
    reference = reference_data()
    tmp = tmp_path_factory.mktemp("lookups-reference")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp / "data")
        replay = ReplayServer().start()
        try:
            serve_reference(replay, reference, mp, newer=True)
            run_refresh()
            server = start_server(tmp / "data", tmp / "api.log")
            try:
                yield server
            finally:
                server.stop()
        finally:
            replay.stop()


def ok(api: ApiServer, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, (path, params, response.text)
    return response.json()


@pytest.mark.parametrize(("spelling", "key", "method", "alias_of"), [
    ("claude-sonnet-4.5", "anthropic/claude-sonnet-4-5", "alias", None),  # OpenRouter's and Copilot's spelling
    ("anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4-5", "alias", None),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic/claude-sonnet-4-5-20250929", "alias", "anthropic/claude-sonnet-4-5"),
    ("openai/gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06", "key", "openai/gpt-4o"),  # a dated snapshot: itself
    ("gpt4o", "openai/gpt-4o", "normalised", None),
])
def test_model_detail_by_the_issues_spellings(api: ApiServer, spelling: str, key: str, method: str, alias_of: str | None):
    body = ok(api, f"/api/v1/models/{spelling}")
    assert (body["model_key"], body["resolved_from"], body["resolution"], body["alias_of"]) == (key, spelling, method, alias_of)
    assert body["offerings"] and all(o["badge"] for o in body["offerings"])

    prices = ok(api, "/api/v1/pricing", model=spelling, limit=500)
    assert (prices["model_key"], prices["resolved_from"]) == (key, spelling)
    assert prices["items"] and {p["model_key"] for p in prices["items"]} == {key}
    history = ok(api, "/api/v1/pricing/history", model=spelling)
    assert history["model_key"] == key and {p["model_key"] for p in history["items"]} == {key}
    assert ok(api, "/api/v1/benchmarks", model=spelling)["model_key"] == key


def search(api: ApiServer, q: str) -> list[dict[str, Any]]:
    items = ok(api, "/api/v1/search", q=q, limit=50)["items"]
    ranks = [i["rank"] for i in items]
    assert ranks == sorted(ranks), items
    return items


def test_search_finds_the_issues_spellings(api: ApiServer):
    gpt = search(api, "gpt4o")
    assert (gpt[0]["model_key"], gpt[0]["match"]) == ("openai/gpt-4o", "exact")
    assert {"openai/gpt-4o-mini", "openai/gpt-4o-2024-08-06"} <= {i["model_key"] for i in gpt}

    sonnet = search(api, "sonnet 4.5")
    assert sonnet[0]["model_key"] == "anthropic/claude-sonnet-4-5"
    assert "anthropic/claude-sonnet-4-5-20250929" in [i["model_key"] for i in sonnet[:3]]

    llama = search(api, "Llama 3.1 70b")
    assert (llama[0]["model_key"], llama[0]["match"]) == ("meta/llama-3.1-70b", "exact")
    assert "meta/llama-3.1-70b-instruct" in [i["model_key"] for i in llama[:3]]

    # The issue: OpenRouter's spelling found nothing, the name only two models.
    assert search(api, "claude-sonnet-4.5")[0]["model_key"] == "anthropic/claude-sonnet-4-5"
    named = search(api, "claude sonnet 4.5")
    assert [(i["model_key"], i["match"]) for i in named[:2]] == [
        ("anthropic/claude-sonnet-4-5", "exact"), ("anthropic/claude-sonnet-4-5-20250929", "exact")]
    assert len(named) > 2


def test_creator_filter_is_case_insensitive(api: ApiServer):
    meta = ok(api, "/api/v1/models", creator="Meta", limit=500)
    assert meta["total"] > 50 and {i["creator"] for i in meta["items"]} == {"meta"}
    assert meta == ok(api, "/api/v1/models", creator="meta", limit=500)
    assert ok(api, "/api/v1/models", provider="Amazon Bedrock", limit=500) == ok(api, "/api/v1/models", provider="amazon-bedrock", limit=500)
