"""``/api/v1/models``: the catalog's models, filtered, sorted and paged, and one model whole."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from api.catalog import CatalogReader, attribution
from api.params import INM, MAX_PRICE, MAX_TOKENS, Limit, ModelSort, Offset
from api.schemas import UNKNOWN_MODEL, ModelDetail, ModelsPage, documented

router = APIRouter(prefix="/api/v1/models", tags=["models"])
# sort=score without a benchmark: the first of these the snapshot has.
DEFAULT_SCORE_BENCHMARKS = ("artificial_analysis_intelligence_index", "lmarena_elo_full")


def default_benchmark(catalog: CatalogReader) -> str | None:
    """The benchmark ``sort=score`` reads when none is named: the first of
    ``DEFAULT_SCORE_BENCHMARKS`` with a score in the served snapshot."""
    for name in DEFAULT_SCORE_BENCHMARKS:
        if catalog.optional("benchmarks", benchmark=name, model=None, creator=None, sort="model", limit=1, offset=0):
            return name
    return None


@router.get("", summary="List models", response_model=ModelsPage, responses=documented())
async def list_models(
    request: Request,
    if_none_match: INM = None,
    provider: Annotated[str | None, Query(min_length=1, description="Only models this provider serves.")] = None,
    creator: Annotated[str | None, Query(min_length=1, description="Only this creator's models (openai, meta...).")] = None,
    search: Annotated[str | None, Query(min_length=1, max_length=200, description="Part of the key or name, any case.")] = None,
    modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="Input or output modality: text, image, audio...")] = None,
    input_modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="A modality the model takes in (image: vision models).")] = None,
    output_modality: Annotated[str | None, Query(pattern="^[a-z]+$", description="A modality the model puts out (image, audio...).")] = None,
    min_context: Annotated[int | None, Query(ge=0, le=MAX_TOKENS, description="Minimum context window in tokens.")] = None,
    max_input_price: Annotated[float | None, Query(ge=0, le=MAX_PRICE, description="Lowest metered input price at most this (USD per 1M tokens).")] = None,
    max_output_price: Annotated[float | None, Query(ge=0, le=MAX_PRICE, description="Lowest metered output price at most this (USD per 1M tokens).")] = None,
    benchmark: Annotated[str | None, Query(min_length=1, max_length=200, description=(
        "Add each model's `score` in this benchmark (its best latest score over sources), e.g. "
        "artificial_analysis_intelligence_index, lmarena_elo_full; see /api/v1/benchmarks."))] = None,
    sort: Annotated[ModelSort, Query(description=(
        "key (default); price / -price (lowest metered input price, unpriced last); context / -context; "
        "released / -released (release date, unknown last); score (highest first) / -score (lowest first) in "
        "`benchmark` (default: " + " or ".join(DEFAULT_SCORE_BENCHMARKS) + ", whichever the snapshot has), unscored last."))] = "key",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Models with their lowest metered prices and reference prices, one page at a time."""
    catalog: CatalogReader = request.app.state.catalog
    params: dict[str, Any] = dict(
        provider=provider, creator=creator, search=search, modality=modality, input_modality=input_modality,
        output_modality=output_modality, min_context=min_context, max_input_price=max_input_price,
        max_output_price=max_output_price, sort=sort)

    def build() -> tuple[int, Any]:
        index = catalog.index()
        scored = benchmark or (default_benchmark(catalog) if sort in ("score", "-score") else None)
        params.update(provider=index.provider(provider), creator=index.creator(creator), benchmark=scored)
        body = catalog.page("models", limit, offset, **params)
        known = catalog.references()
        for row in body["items"]:
            prices = known.get(row["model_key"], {})
            row["reference_price"] = {t: prices[t] for t in ("input", "output") if t in prices} or None
        if scored:
            body["benchmark"] = scored
        return 200, body

    return await catalog.cached(request, if_none_match, build)


@router.get("/{model_key:path}", summary="One model with its offerings and prices", response_model=ModelDetail,
            responses=documented(UNKNOWN_MODEL))
async def get_model(
    request: Request,
    model_key: Annotated[str, PathParam(examples=["openai/gpt-4o", "claude-sonnet-4.5"], description="A model key (openai/gpt-4o) or any spelling: a source id, alias or name (claude-sonnet-4.5, gpt4o)")],
    if_none_match: INM = None,
) -> Response:
    """The model, each offering with its base prices and long-context tiers, its reference
    prices, speed measurements and benchmark scores."""
    catalog: CatalogReader = request.app.state.catalog
    asked = model_key

    def build() -> tuple[int, Any]:
        resolved = catalog.index().resolve(asked)
        found = catalog.q("model", model_key=resolved.model_key) if resolved else []
        if resolved is None or not found:
            return catalog.unknown(asked)
        key = resolved.model_key
        model = {**found[0], **resolved.describe()}
        prices: dict[tuple[str, str], dict[str, Any]] = {}
        tiers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in catalog.q("pricing", provider=None, model=key, billing=None, limit=10**6, offset=0):
            offering = (row["provider_id"], row["provider_model_id"])
            price = {"usd_per_mtok": row["usd_per_mtok"], "badge": row["badge"], "source": row["source"], "valid_from": row["valid_from"]}
            if row["above_tokens"]:  # a long-context tier: the price for prompts above above_tokens
                tiers.setdefault(offering, []).append({"price_type": row["price_type"], "above_tokens": row["above_tokens"], **price})
            else:
                prices.setdefault(offering, {})[row["price_type"]] = price
        offerings = catalog.q("model_offerings", model_key=key)
        for offering in offerings:
            offering["prices"] = prices.get((offering["provider_id"], offering["provider_model_id"]), {})
            offering["price_tiers"] = tiers.get((offering["provider_id"], offering["provider_model_id"]), [])
        model["reference_price"] = catalog.references().get(key) or None
        model["offerings"] = offerings
        model["performance"] = catalog.q("model_performance", model_key=key)
        model["benchmarks"] = catalog.q("model_benchmarks", model_key=key)
        model["attribution"] = attribution(model["performance"] + model["benchmarks"] + offerings)
        return 200, model

    return await catalog.cached(request, if_none_match, build)
