"""The MCP server for AI agents (Model Context Protocol, the official Python SDK's ``MCPServer``):
tools to search models, get one, compare its prices across providers, read its price history, list
the change feed and a provider's availability.

Every tool answers by calling the read API's own route in-process (``httpx.ASGITransport`` over
the FastAPI app, nothing on the network), so model spellings and aliases, the one-snapshot rule,
the response cache, bounds and error messages are the API's: a tool's structured result is the
route's JSON body, and a route's 4xx / 5xx is a tool error carrying the API's message.

Two transports: ``serve_stdio`` (``aisi mcp``, for a local client that spawns the server) and
streamable HTTP at ``/mcp`` on the API (``mount``; stateless, JSON answers).
"""

from __future__ import annotations

import inspect
from contextlib import asynccontextmanager
from typing import Annotated, Any, AsyncIterator, Callable
from urllib.parse import quote

import httpx
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import Field

from api.availability import Window
from api.params import ChangeKind, ModelSort
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

MCP_PATH = "/mcp"
# The host name of the in-process requests (they never leave the process).
API_BASE = "http://aisi-api"
LOCAL = ("127.0.0.1", 0)
INSTRUCTIONS = (
    "AI models, their offerings and prices (USD per 1M tokens) across providers, price history, the change feed "
    "and providers' availability, from the latest published snapshot of AI Server Information. Every value carries "
    "its source and a badge (api, scraped, aggregator, cached, config, manual); unknown values are null, never 0. "
    "A model may be named by any spelling (key, a source's id or alias, its name in any case): get_model resolves it "
    "and says which key it found."
)

# The values the API accepts: its own types (a test checks them against its OpenAPI document).

ModelName = Annotated[str, Field(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it: a source's id or "
                                                          "alias (claude-sonnet-4.5), or its name in any case (GPT-4o, gpt4o).")]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class Api:
    """GET requests to the read API's routes, in-process."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def get(self, ctx: Context, path: str, **params: Any) -> dict[str, Any]:
        """The route's JSON body, asked as the tool's caller; any other status than 200 raises
        ``ToolError`` with the API's message."""
        query = {k: v for k, v in params.items() if v is not None}
        transport = httpx.ASGITransport(app=self.app, client=caller(ctx))
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as client:
            response = await client.get(path, params=query)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise ToolError(error_message(response.status_code, body, response.text))
        return body


def caller(ctx: Context) -> tuple[str, int]:
    """Who asks, as the API's rate limit counts clients: the address of the HTTP request that
    carried the call to /mcp, or this machine (stdio: the client started the server here)."""
    try:
        client = getattr(ctx.request_context.request, "client", None)
    except ValueError:  # no request: a call from inside the process
        client = None
    return (client.host, client.port) if client is not None else LOCAL


def error_message(status: int, body: Any, text: str) -> str:
    """The API's error as a tool's message: its ``error``, what it suggests instead (models,
    known providers) and the HTTP status."""
    if not isinstance(body, dict) or "error" not in body:
        return f"the API answered HTTP {status}: {text[:500]}"
    message = str(body["error"])
    suggestions = body.get("suggestions")
    if suggestions:
        message += "; did you mean: " + ", ".join(
            f"{s.get('model_key')} ({s.get('name')})" if s.get("name") else str(s.get("model_key")) for s in suggestions)
    if body.get("known"):
        message += "; known: " + ", ".join(str(k) for k in body["known"])
    return f"{message} (HTTP {status})"


def model_path(model: str) -> str:
    """A model spelling as the path of ``/api/v1/models/{model}``: slashes kept (keys have one),
    everything else percent-encoded; no dot segment (it would climb to another route)."""
    if any(part in (".", "..") for part in model.split("/")):
        raise ToolError(f"unknown model {model!r} (HTTP 404)")
    return "/api/v1/models/" + quote(model, safe="/")


def create_server(app: ASGIApp) -> MCPServer:
    """The MCP server whose tools answer from ``app`` (the FastAPI app of ``api.app.create_app``)."""
    api = Api(app)
    # WARNING: the SDK configures the root logger; INFO would log every in-process request.
    server: MCPServer = MCPServer("AI Server Information", instructions=INSTRUCTIONS, log_level="WARNING")

    def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Registers ``fn`` as a read-only tool described by its docstring (its ``ctx``, the
        call's context, is the SDK's, not a parameter the client sees)."""
        server.add_tool(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=READ_ONLY, structured_output=True)
        return fn

    @tool
    async def search_models(
        ctx: Context,
        search: Annotated[str | None, Field(description="Part of the model key or name, any case (sonnet, llama-3.1).")] = None,
        provider: Annotated[str | None, Field(description="Only models this provider serves (openai, Amazon Bedrock; any case).")] = None,
        creator: Annotated[str | None, Field(description="Only this creator's models (openai, Meta; any case).")] = None,
        modality: Annotated[str | None, Field(description="A modality on either side: text, image, audio, video...")] = None,
        input_modality: Annotated[str | None, Field(description="A modality the model takes in (image: vision models).")] = None,
        output_modality: Annotated[str | None, Field(description="A modality the model puts out (image, audio...).")] = None,
        min_context: Annotated[int | None, Field(description="Minimum context window, in tokens (128000).")] = None,
        max_input_price: Annotated[float | None, Field(description="Lowest metered input price at most this, USD per 1M tokens.")] = None,
        max_output_price: Annotated[float | None, Field(description="Lowest metered output price at most this, USD per 1M tokens.")] = None,
        benchmark: Annotated[str | None, Field(description="Add each model's `score` in this benchmark "
                                                           "(artificial_analysis_intelligence_index, lmarena_elo_full...).")] = None,
        sort: Annotated[ModelSort, Field(description="key; price / -price (lowest metered input price, unpriced last); "
                                                      "context / -context; released / -released (unknown last); "
                                                      "score (highest first) / -score in `benchmark` (default: the intelligence "
                                                      "index, else the arena's Elo).")] = "key",
        limit: Annotated[int, Field(description="How many models (1-500).")] = 20,
        offset: Annotated[int, Field(description="Models to skip, for the next page.")] = 0,
    ) -> dict[str, Any]:
        """Find models by text and filters, in one call: "the cheapest model with 128k context and
        image input" is min_context=128000, input_modality=image, sort=price, limit=1.

        Returns `items` (each model with its key, creator, name, context_window, max_output,
        input/output modalities, release_date, status, offerings_count, the lowest current metered
        input/output price `min_input_usd_per_mtok` / `min_output_usd_per_mtok` and the
        `reference_price`), and `total` (all matches). To look up one model by a loose spelling
        (gpt4o, sonnet 4.5) use get_model."""
        return await api.get(ctx, "/api/v1/models", search=search, provider=provider, creator=creator, modality=modality,
                             input_modality=input_modality, output_modality=output_modality, min_context=min_context,
                             max_input_price=max_input_price, max_output_price=max_output_price, benchmark=benchmark, sort=sort, limit=limit,
                             offset=offset)

    @tool
    async def get_model(ctx: Context, model: ModelName) -> dict[str, Any]:
        """One model in full, named by any spelling: its status, context window, modalities, the
        reference price per price type (value, basis, source, spread), every offering (provider,
        billing, base `prices` and long-context `price_tiers`), performance and benchmark scores.

        Says how the name was resolved: `resolved_from`, `model_key`, `resolution` and other
        candidates in `alternatives`. An unknown name is an error listing the nearest models."""
        return await api.get(ctx, model_path(model))

    @tool
    async def compare_prices(ctx: Context, model: ModelName) -> dict[str, Any]:
        """One model's prices across its providers, metered offerings first and cheapest first.

        Returns `items` (per offering: provider_id, billing, base input / output / cached input
        price in USD per 1M tokens, whether it has long-context tiers, `input_vs_cheapest` as a
        ratio), `cheapest_metered` (the cheapest metered offering) and the model's
        `reference_price`."""
        return await api.get(ctx, "/api/v1/pricing/compare", model=model)

    @tool
    async def price_history(
        ctx: Context,
        model: ModelName,
        provider: Annotated[str | None, Field(description="Only this provider's offerings (openai, any case).")] = None,
        price_type: Annotated[str | None, Field(description="input, output, cached_input, ...")] = None,
    ) -> dict[str, Any]:
        """A model's price history: every price row of its offerings with `valid_from` / `valid_to`
        (null while current) and `above_tokens` (0: the base price; more: a long-context tier).
        A model no longer listed keeps its history. Returns `model`, `items` and `total`."""
        return await api.get(ctx, "/api/v1/pricing/history", model=model, provider=provider, price_type=price_type)

    @tool
    async def list_changes(
        ctx: Context,
        since: Annotated[str | None, Field(description="ISO date (2026-11-01, midnight UTC) or datetime (2026-11-01T12:00:00Z).")] = None,
        kind: Annotated[ChangeKind | None, Field(description="Only this kind of change.")] = None,
        model: Annotated[str | None, Field(description="Only this model, by its exact key (openai/gpt-4o); "
                                                       "get_model finds the key of any spelling.")] = None,
        limit: Annotated[int, Field(description="How many changes (1-500).")] = 50,
        offset: Annotated[int, Field(description="Changes to skip, for the next page.")] = 0,
    ) -> dict[str, Any]:
        """The change feed, newest first: models added or removed, price, context and status
        changes, new disagreements between sources. Returns `items` (each with its kind, model,
        provider, old and new value, when it was detected) and `total`."""
        return await api.get(ctx, "/api/v1/changes", since=since, kind=kind, model=model, limit=limit, offset=offset)

    @tool
    async def provider_availability(
        ctx: Context,
        provider: Annotated[str, Field(min_length=1, description="A monitored provider id: openai, anthropic, google, mistral...")],
        window: Annotated[Window, Field(description="The period: 1h, 24h, 7d or 30d.")] = "24h",
        include_series: Annotated[bool, Field(description="Also the uptime and latency per time bucket (long).")] = False,
    ) -> dict[str, Any]:
        """A provider's availability: its current `state` (up, degraded or down, since when, why,
        its status page's indicator), `uptime` over the window (checks, failed checks, uptime_pct,
        latency p50 / p95 in ms), `incidents` from its status page and `outages` seen by the
        probes. An unknown provider is an error listing the monitored ones."""
        body = await api.get(ctx, f"/api/v1/providers/{quote(provider, safe='')}/availability", window=window)
        if not include_series:
            body.pop("series", None)
        return body

    @tool
    async def list_providers(ctx: Context) -> dict[str, Any]:
        """Every provider with its id (the `provider` of the other tools), name and how many
        models and offerings it has. Returns `items`."""
        return await api.get(ctx, "/api/v1/providers")

    return server


class MountedMCP:
    """The tools served on an app at ``/mcp``: ``running()`` belongs in the app's lifespan. Each
    lifespan gets a transport of its own (the SDK's session manager runs once per instance), so an
    app can be started, stopped and started again (as test clients do)."""

    def __init__(self, app: Starlette):
        self.server = create_server(app)
        self._transport: Any = None

    def _fresh_transport(self) -> Any:
        transport = self.server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        (route,) = [r for r in transport.routes if isinstance(r, Route) and r.path == MCP_PATH]
        return route.endpoint

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The ``/mcp`` route (an ASGI app): the running lifespan's transport."""
        if self._transport is None:
            raise RuntimeError("the MCP transport runs in the app's lifespan: start the app first")
        await self._transport(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """A new transport for this lifespan, its session manager running."""
        self._transport = self._fresh_transport()
        try:
            async with self.server.session_manager.run():
                yield
        finally:
            self._transport = None


def mount(app: Starlette) -> MountedMCP:
    """Serves the tools on ``app`` at ``/mcp`` (streamable HTTP: stateless, JSON answers);
    ``mounted.running()`` must run in ``app``'s lifespan.

    The route is added to ``app`` itself (not a sub-application), so the API's middleware (size
    limits, rate limit) apply to it; it takes POST only (GET and HEAD: 405). A tool's request to
    a route is made as the client that called /mcp, so the rate limit counts it for that client.
    No DNS-rebinding check on the Host header: the tools read the same public data the API's GET
    routes serve without one, from any host name it is served under."""
    mounted = MountedMCP(app)
    # POST only: stateless, the server has nothing to push, so no GET stream is held open (405).
    app.router.routes.append(Route(MCP_PATH, endpoint=mounted, methods=["POST"]))
    return mounted


async def serve_stdio(app: Starlette) -> None:
    """Serves the tools over stdin / stdout until the client closes them, with ``app``'s lifespan
    around it (its store and monitor are closed at the end). While it serves, the SDK points
    file descriptor 1 at stderr: nothing but the protocol reaches stdout."""
    server = create_server(app)
    async with app.router.lifespan_context(app):
        await server.run_stdio_async()
