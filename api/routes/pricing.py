"""``/api/v1/pricing``: current prices, one model compared across providers, price history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.catalog import CatalogReader
from api.params import INM, Billing, Limit, ModelSpelling, Offset
from api.schemas import UNKNOWN_MODEL, Comparison, History, PricesPage, documented

router = APIRouter(prefix="/api/v1/pricing", tags=["pricing"])


@router.get("", summary="Current prices, USD per 1M tokens", response_model=PricesPage, responses=documented(UNKNOWN_MODEL))
async def pricing(
    request: Request,
    if_none_match: INM = None,
    provider: Annotated[str | None, Query(min_length=1, description="Only this provider's offerings (any case).")] = None,
    model: Annotated[str | None, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it.")] = None,
    billing: Annotated[Billing | None, Query(description="metered (pay per token), free_tier or plan (a subscription: its 0 is not a price).")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """Every current price row (base prices and long-context tiers) with its source."""
    catalog: CatalogReader = request.app.state.catalog

    def build() -> tuple[int, Any]:
        index = catalog.index()
        resolved = index.resolve(model) if model is not None else None
        if model is not None and resolved is None:
            return catalog.unknown(model)
        key, provider_id = resolved.model_key if resolved else None, index.provider(provider)
        body = catalog.page("pricing", limit, offset, provider=provider_id, model=key, billing=billing)
        return 200, {**body, **(resolved.describe() if resolved else {})}

    return await catalog.cached(request, if_none_match, build)


@router.get("/compare", summary="One model's prices across its providers, cheapest metered offering first",
            response_model=Comparison, responses=documented(UNKNOWN_MODEL))
async def pricing_compare(request: Request, model: ModelSpelling, if_none_match: INM = None) -> Response:
    """Base prices per offering of one model, metered first and cheapest first, each against
    the cheapest, with the model's reference price."""
    catalog: CatalogReader = request.app.state.catalog

    def build() -> tuple[int, Any]:
        resolved = catalog.index().resolve(model)
        if resolved is None:
            return catalog.unknown(model)
        rows = catalog.q("compare", model=resolved.model_key)
        metered = [r for r in rows if r["billing"] == "metered" and r["input_usd_per_mtok"] is not None]
        cheapest = metered[0]["input_usd_per_mtok"] if metered else None
        for row in rows:
            value = row["input_usd_per_mtok"]
            row["input_vs_cheapest"] = (round(value / cheapest, 4) if cheapest and value is not None and row["billing"] == "metered"
                                        else None)
        reference = catalog.references().get(resolved.model_key, {})
        return 200, {**resolved.describe(), "items": rows,
                     "cheapest_metered": metered[0] if metered else None,
                     "reference_price": {t: reference[t] for t in ("input", "output") if t in reference} or None}

    return await catalog.cached(request, if_none_match, build)


@router.get("/history", summary="Price history of a model: every price row with valid_from / valid_to",
            response_model=History, responses=documented(UNKNOWN_MODEL))
async def pricing_history(
    request: Request,
    model: ModelSpelling,
    if_none_match: INM = None,
    provider: Annotated[str | None, Query(min_length=1, description="Only this provider's offerings.")] = None,
    price_type: Annotated[str | None, Query(pattern="^[a-z_]+$", description="input, output, cached_input, ...")] = None,
) -> Response:
    """Every price the model has had, current or closed, by offering and price type."""
    catalog: CatalogReader = request.app.state.catalog

    def build() -> tuple[int, Any]:
        index = catalog.index()
        resolved = index.resolve(model, catalog_only=False)  # a removed model keeps its history
        if resolved is None:
            return catalog.unknown(model)
        rows = catalog.q("price_history", model=resolved.model_key, provider=index.provider(provider), price_type=price_type)
        return 200, {"model": resolved.model_key, **resolved.describe(), "items": rows, "total": len(rows)}

    return await catalog.cached(request, if_none_match, build)
