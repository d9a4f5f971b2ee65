"""``/api/v1/providers`` and ``/api/v1/search``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.catalog import CatalogReader
from api.params import INM
from api.schemas import Providers, SearchResult, documented

router = APIRouter(prefix="/api/v1")


@router.get("/providers", tags=["providers"], summary="Providers", response_model=Providers, responses=documented())
async def providers(request: Request, if_none_match: INM = None) -> Response:
    """Every provider with how many models and offerings it serves."""
    catalog: CatalogReader = request.app.state.catalog
    return await catalog.cached(request, if_none_match, lambda: (200, {"items": catalog.q("providers")}))


@router.get("/search", tags=["models"], response_model=SearchResult, responses=documented(),
            summary="Find models by key, name or any source's id, forgiving case and separators")
async def search(
    request: Request,
    q_: Annotated[str, Query(alias="q", min_length=1, max_length=200, description="Text to look for: gpt4o, sonnet 4.5, Llama 3.1 70b...")],
    if_none_match: INM = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """The best matches first: exact, prefix, then close spellings."""
    catalog: CatalogReader = request.app.state.catalog
    return await catalog.cached(request, if_none_match, lambda: (200, {"query": q_, "items": catalog.index().search(q_, limit)}))
