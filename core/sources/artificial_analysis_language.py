"""Artificial Analysis ``GET /api/v2/language/models?page=N`` (``x-api-key`` from
``ARTIFICIAL_ANALYSIS_API_KEY``), the newer paged form of ``/api/v2/data/llms/models``.

Each page is ``{"meta": {"pagination": {"page", "page_size", "total_pages", "has_more"}, ...},
"data": [...]}``; pages continue while ``has_more`` is true. Records carry the same
identifiers as the older endpoint plus ``release_date``, ``performance{...}`` (speed and
latency) and cache prices (``price_1m_cache_hit_tokens`` / ``price_1m_cache_write_tokens``);
they are normalised by ``artificial_analysis.normalise_records``. The base URL is the one of
``artificial_analysis`` (``AISI_SOURCE_ARTIFICIAL_ANALYSIS_URL``).
"""

from __future__ import annotations

from typing import Any

from core.parsing.paging import with_query
from core.records import NormalisedBatch, PayloadError, Provenance
from core.sources.artificial_analysis import ATTRIBUTION, normalise_records, records
from core.sources.spec import SourceSpec

__all__ = ["ATTRIBUTION", "SPEC", "auth_headers", "first_url", "next_url", "parse", "normalise"]

SPEC = SourceSpec(
    name="artificial_analysis_language",
    env_name="ARTIFICIAL_ANALYSIS",  # the same base URL as the older endpoint
    kind="aggregator",
    base_url="https://artificialanalysis.ai",
    path="/api/v2/language/models",
    cadence="0 */6 * * *",  # a few pages per run, well inside 1,000 requests a day
    timeout_s=30.0,
    docs_url="https://artificialanalysis.ai/data-api/docs",
    priority=4,
    key_env=("ARTIFICIAL_ANALYSIS_API_KEY",),
    paged=True,
)


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key}


def first_url(url: str) -> str:
    return with_query(url, page=1)


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    """The next ``page`` while ``meta.pagination.has_more`` is true (the page number is the
    one the answer reports, plus one)."""
    meta = document.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict) or not pagination.get("has_more"):
        return None
    page = pagination.get("page")
    if isinstance(page, bool) or not isinstance(page, int):
        # More pages but no page number to go on from: a listing cut short would look whole.
        raise PayloadError(f"{SPEC.name}: `has_more` without a page number in meta.pagination")
    return with_query(current_url, page=page + 1)


def parse(payload: bytes) -> list[Any]:
    return records(payload, SPEC.name)


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    return normalise_records(entries, provenance)
