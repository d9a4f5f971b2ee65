"""``/api/v1/changes`` and ``/api/v1/benchmarks``: the change feed and benchmark scores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.catalog import CatalogReader, attribution
from api.errors import invalid_parameter
from api.params import CHANGE_KINDS, INM, MAX_LIMIT, SINCE_SCHEMA, ChangeKind, Limit, Offset, parse_since
from api.schemas import UNKNOWN_MODEL, BenchmarksPage, ChangesPage, documented

router = APIRouter(prefix="/api/v1")


@router.get("/changes", tags=["changes"], response_model=ChangesPage, responses=documented(),
            summary="The change feed: models added / removed, price, context and status changes, new disagreements")
async def changes(
    request: Request,
    if_none_match: INM = None,
    since: Annotated[str | None, Query(json_schema_extra=SINCE_SCHEMA, examples=["2026-11-01"], description="ISO date (2026-11-01, midnight UTC) or datetime (2026-11-01T12:00:00Z; naive is UTC).")] = None,
    kind: Annotated[ChangeKind | None, Query(description="One of: " + ", ".join(CHANGE_KINDS) + ".")] = None,
    model: Annotated[str | None, Query(min_length=1, description="A model key, e.g. openai/gpt-4o.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """What changed between publishes, newest first."""
    catalog: CatalogReader = request.app.state.catalog
    try:
        since_at = parse_since(since)
    except ValueError as exc:
        return invalid_parameter("since", str(exc))
    params = dict(since=since_at, kind=kind, model=model)

    def build() -> tuple[int, Any]:
        return 200, catalog.page("changes", limit, offset, **params)

    return await catalog.cached(request, if_none_match, build)


@router.get("/benchmarks", tags=["benchmarks"], response_model=BenchmarksPage, responses=documented(UNKNOWN_MODEL),
            summary="Benchmark scores (latest per model, benchmark, variant and source)")
async def benchmarks(
    request: Request,
    if_none_match: INM = None,
    benchmark: Annotated[str | None, Query(min_length=1, description="e.g. artificial_analysis_intelligence_index, gpqa, lmarena_elo_full")] = None,
    model: Annotated[str | None, Query(min_length=1, description="A model key (openai/gpt-4o) or any spelling of it.")] = None,
    creator: Annotated[str | None, Query(min_length=1, description="A creator in any case (openai, Meta).")] = None,
    sort: Annotated[str, Query(pattern="^(score|score_asc|model)$", description="score (highest first), score_asc or model.")] = "score",
    top: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many rows (the top N by the sort).")] = 50,
    offset: Offset = 0,
) -> Response:
    """Scores with their source and date, and the attribution their sources ask for."""
    catalog: CatalogReader = request.app.state.catalog
    params: dict[str, Any] = dict(benchmark=benchmark, model=model, creator=creator, sort=sort)

    def build() -> tuple[int, Any]:
        index = catalog.index()
        # Models the arena scored but no source lists have benchmarks too.
        resolved = index.resolve(model, catalog_only=False) if model is not None else None
        if model is not None and resolved is None:
            return catalog.unknown(model)
        params.update(model=resolved.model_key if resolved else None, creator=index.creator(creator))
        body = {**catalog.page("benchmarks", top, offset, **params), **(resolved.describe() if resolved else {})}
        body["attribution"] = attribution(body["items"])
        return 200, body

    return await catalog.cached(request, if_none_match, build)
