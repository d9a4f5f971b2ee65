"""The MCP server for AI agents through the SDK's own client: over stdio (``python -m pipelines.cli
mcp``, what ``aisi mcp`` runs) and over streamable HTTP at ``/mcp`` of ``aisi serve`` (uvicorn on a
free port serving ``create_app()``). Both list the tools and call each one on a snapshot the
catalog graph published from the replay server (two refreshes: OpenRouter's gpt-4o input price
went from 2.5 to 2.0 in between) and a seeded monitor history; every answer is the API's own."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, get_args

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from api import mcp_server
from api.app import create_app
from core.stores.monitor import open_monitor_store
from tests.conftest import REPO, isolate, serve_sources
from tests.replay import ReplayServer
from tests.test_api import ApiServer, run_refresh, server_env, start_server
from tests.test_api_availability import seed
from tests.test_changes import GPT_INPUT, swap

pytestmark = pytest.mark.slow

TOOLS = {"search_models", "get_model", "compare_prices", "price_history", "list_changes", "provider_availability", "list_providers"}
TIMEOUT_S = 60


@dataclass
class Served:
    home: Path
    api: ApiServer


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Two refreshes against the replay server (a baseline, then OpenRouter's gpt-4o input at
    2.0 instead of 2.5: one price change), a monitor history (tests.test_api_availability.seed),
    then ``aisi serve`` on that data."""
    tmp = tmp_path_factory.mktemp("mcp")
    home = tmp / "data"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        replay = ReplayServer().start()
        try:
            serve_sources(replay, mp)
            run_refresh()
            swap(replay, *GPT_INPUT)
            run_refresh()
            store = open_monitor_store(home=home, database_url="")
            seed(store)
            store.close()
            api = start_server(home, tmp / "api.log")
            try:
                yield Served(home=home, api=api)
            finally:
                api.stop()
        finally:
            replay.stop()


def api_json(served: Served, path: str, **params: Any) -> dict[str, Any]:
    response = served.api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def call(session: ClientSession, name: str, **arguments: Any) -> dict[str, Any]:
    """A tool's structured result; the call must succeed."""
    result = await session.call_tool(name, arguments)
    assert not result.is_error, (name, result.content)
    assert isinstance(result.structured_content, dict), (name, result)
    return result.structured_content


async def failure(session: ClientSession, name: str, **arguments: Any) -> str:
    """A tool's error text; the call must fail as a tool error (not a protocol error)."""
    result: CallToolResult = await session.call_tool(name, arguments)
    assert result.is_error, (name, result)
    return " ".join(getattr(block, "text", "") for block in result.content)


async def check_tools(session: ClientSession, served: Served) -> None:
    """Lists the tools and calls each one, against the snapshot's known values and the API's
    own answer to the same question over HTTP."""
    await session.initialize()
    listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(listed) == TOOLS
    for tool in listed.values():
        assert tool.description and len(tool.description) > 80, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", tool.name
    search_schema = listed["search_models"].input_schema["properties"]
    assert {"search", "provider", "min_context", "input_modality", "max_input_price", "sort", "limit"} <= set(search_schema)
    assert search_schema["sort"]["enum"] == list(get_args(mcp_server.ModelSort))
    assert listed["get_model"].input_schema["required"] == ["model"]

    # "The cheapest model with 128k context and image input", in one call.
    cheapest = await call(session, "search_models", min_context=128000, input_modality="image", sort="price", limit=3)
    assert [(m["model_key"], m["min_input_usd_per_mtok"]) for m in cheapest["items"]] == [
        ("openai/gpt-5-nano", 0.05), ("google/gemini-2.5-flash-lite", 0.1), ("openai/gpt-4.1-nano", 0.1)]
    assert cheapest == api_json(served, "/api/v1/models", min_context=128000, input_modality="image", sort="price", limit=3)
    by_text = await call(session, "search_models", search="gpt-4o", provider="OpenRouter")
    assert "openai/gpt-4o" in [m["model_key"] for m in by_text["items"]]
    gpt4o_row = next(m for m in by_text["items"] if m["model_key"] == "openai/gpt-4o")
    assert gpt4o_row["min_input_usd_per_mtok"] == 2.0  # OpenRouter's own price since the second refresh

    # Any spelling: the API's resolution, said in the answer.
    model = await call(session, "get_model", model="GPT-4o")
    assert (model["model_key"], model["resolved_from"], model["context_window"]) == ("openai/gpt-4o", "GPT-4o", 128000)
    assert sorted(o["provider_id"] for o in model["offerings"]) == ["azure", "openai", "openrouter"]
    assert model == api_json(served, "/api/v1/models/GPT-4o")
    assert (await call(session, "get_model", model="openai/gpt-4o"))["resolution"] == "key"

    compare = await call(session, "compare_prices", model="gpt-4o")
    cheapest_offer = compare["cheapest_metered"]
    assert (cheapest_offer["provider_id"], cheapest_offer["input_usd_per_mtok"]) == ("openrouter", 2.0)
    assert [(i["provider_id"], i["input_usd_per_mtok"], i["input_vs_cheapest"]) for i in compare["items"]] == [
        ("openrouter", 2.0, 1.0), ("azure", 2.5, 1.25), ("openai", 2.5, 1.25)]
    assert compare == api_json(served, "/api/v1/pricing/compare", model="gpt-4o")

    history = await call(session, "price_history", model="gpt-4o", provider="openrouter", price_type="input")
    assert [(i["usd_per_mtok"], i["current"]) for i in history["items"]] == [(2.5, False), (2.0, True)]
    assert history["items"][0]["valid_to"] == history["items"][1]["valid_from"]
    assert history == api_json(served, "/api/v1/pricing/history", model="gpt-4o", provider="openrouter", price_type="input")

    changes = await call(session, "list_changes", kind="price_changed", model="openai/gpt-4o")
    assert [(c["provider_id"], c["field"], c["old"], c["new"], c["pct_change"]) for c in changes["items"]] == [
        ("openrouter", "input", "2.5", "2", -20.0)]
    assert changes == api_json(served, "/api/v1/changes", kind="price_changed", model="openai/gpt-4o", limit=50)
    assert (await call(session, "list_changes", since="2999-01-01"))["total"] == 0

    openai = await call(session, "provider_availability", provider="openai", window="24h")
    assert (openai["uptime"]["checks"], openai["uptime"]["up_checks"], openai["uptime"]["uptime_pct"]) == (60, 54, 90.0)
    assert (openai["state"]["state"], openai["state"]["page_indicator"]) == ("degraded", "minor")
    assert "series" not in openai and [i["id"] for i in openai["incidents"]] == ["inc-a", "inc-b", "inc-c"]
    from_api = api_json(served, "/api/v1/providers/openai/availability", window="24h")
    assert openai == {k: v for k, v in from_api.items() if k != "series"}
    with_series = await call(session, "provider_availability", provider="anthropic", window="1h", include_series=True)
    assert with_series["state"]["state"] == "down" and len(with_series["series"]) == 61

    providers = await call(session, "list_providers")
    assert {"openai", "openrouter", "azure"} <= {p["provider_id"] for p in providers["items"]}
    assert providers == api_json(served, "/api/v1/providers")

    # The API's errors, as tool errors with its message.
    unknown = await failure(session, "get_model", model="no-such-model-zz9")
    assert "unknown model 'no-such-model-zz9'" in unknown and "HTTP 404" in unknown
    assert "unknown model 'no-such-model-zz9'" in await failure(session, "compare_prices", model="no-such-model-zz9")
    assert "did you mean: openai/gpt-4o" in await failure(session, "get_model", model="gpt-4p")
    bad_since = await failure(session, "list_changes", since="last tuesday")
    assert "since" in bad_since and "HTTP 422" in bad_since
    too_many = await failure(session, "search_models", limit=501)
    assert "limit" in too_many and "HTTP 422" in too_many
    nowhere = await failure(session, "provider_availability", provider="nowhere")
    assert "unknown provider 'nowhere'" in nowhere and "known: openai" in nowhere
    assert "unknown model" in await failure(session, "get_model", model="../status")


def run(check: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        with anyio.fail_after(TIMEOUT_S):
            await check()

    anyio.run(bounded)


def test_every_tool_over_stdio(served: Served, tmp_path: Path) -> None:
    """``aisi mcp`` spawned as a client would: the protocol alone on stdout, logs on stderr."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "pipelines.cli", "mcp"], env=server_env(served.home), cwd=REPO)
    errlog = tmp_path / "stderr.log"

    async def check() -> None:
        with errlog.open("w") as err:
            async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
                await check_tools(session, served)

    run(check)
    assert "Traceback" not in errlog.read_text()


def test_every_tool_over_streamable_http(served: Served) -> None:
    """``/mcp`` on the API served by uvicorn: the same tools, the same answers."""

    async def check() -> None:
        async with streamable_http_client(f"{served.api.url}/mcp") as (read, write), ClientSession(read, write) as session:
            await check_tools(session, served)

    run(check)


def test_the_tools_take_the_values_the_api_takes(served: Served) -> None:
    """The tools' enumerations (sort, change kinds, availability windows) are the routes' own."""
    with TestClient(create_app(home=served.home)) as client:
        paths = client.get("/openapi.json").json()["paths"]

    def enum(path: str, parameter: str) -> list[str]:
        (found,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == parameter]
        schema = found["schema"]
        options = schema.get("anyOf", [schema])
        return next(o["enum"] for o in options if "enum" in o)

    assert enum("/api/v1/models", "sort") == list(get_args(mcp_server.ModelSort))
    assert enum("/api/v1/changes", "kind") == list(get_args(mcp_server.ChangeKind))
    assert enum("/api/v1/providers/{provider_id}/availability", "window") == list(get_args(mcp_server.Window))
    assert "/mcp" not in paths  # the transport is no API route of its own in the OpenAPI document


def test_the_mount_keeps_the_api_rules(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """/mcp sits behind the API's middleware (size limits, rate limit) and takes nothing from its
    routes: unknown parameters are still refused there, /mcp takes MCP's POST only, and a tool's
    in-process request counts against the client that made the call."""
    monkeypatch.setenv("AISI_API_RATE_LIMIT", "5/minute")
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
    get_model = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "get_model", "arguments": {"model": "gpt-4o"}}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    with TestClient(create_app(home=served.home), client=("203.0.113.5", 50000)) as client:  # not on this machine
        answer = client.post("/mcp", json=initialize, headers=headers)  # 1
        assert answer.status_code == 200 and answer.json()["result"]["serverInfo"]["name"] == "AI Server Information"
        assert client.get("/api/v1/models?provder=openai").status_code == 422  # 2
        assert client.get("/mcp", headers={"Accept": "text/event-stream"}).status_code == 405  # 3: no idle stream held open
        assert client.post("/mcp", content=b"{}", headers={**headers, "Content-Type": "text/plain"}).status_code == 400  # 4
        # 5 lets the call in; the tool's own request to the route is the 6th of this client's.
        result = client.post("/mcp", json=get_model, headers=headers).json()["result"]
        assert result["isError"] is True and "rate limit" in result["content"][0]["text"], result
        limited = client.post("/mcp", json=initialize, headers=headers)
        assert limited.status_code == 429 and "rate limit" in limited.json()["error"]
        assert client.post("/mcp", json=initialize, headers={**headers, "X-Big": "x" * 17_000}).status_code == 431
    with TestClient(create_app(home=served.home), client=("127.0.0.1", 50000)) as local:  # spared by default
        for _ in range(4):
            result = local.post("/mcp", json=get_model, headers=headers).json()["result"]
            assert result["isError"] is False and result["structuredContent"]["model_key"] == "openai/gpt-4o"
