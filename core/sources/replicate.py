"""Replicate ``GET /v1/models`` (Bearer ``REPLICATE_API_TOKEN``), paged by the ``next`` URL:
public models by owner. The listing is very long, so it is cut at the page cap (noted)."""

from __future__ import annotations

from typing import Any

from core.parsing.paging import bearer, listing
from core.records import BatchBuilder, NormalisedBatch, Provenance
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="replicate",
    env_name="REPLICATE",
    kind="api",
    base_url="https://api.replicate.com",
    path="/v1/models",
    cadence="0 */6 * * *",
    timeout_s=20.0,
    docs_url="https://replicate.com/docs/reference/http#models.list",
    priority=1,
    key_env=("REPLICATE_API_TOKEN",),
    paged=True,
    page_cap=20,
    truncate_at_cap=True,
)


def auth_headers(key: str) -> dict[str, str]:
    return bearer(key)


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    following = document.get("next")
    return following if isinstance(following, str) and following else None


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "results")


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        batch.entries += 1
        owner = entry.get("owner") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if not owner or not name:
            batch.reject(repr(entry)[:80], "no owner/name")
            continue
        if entry.get("visibility", "public") != "public":
            batch.reject(f"{owner}/{name}", "private model: not published")
            continue
        batch.offering(provider="replicate", provider_model_id=f"{owner}/{name}", prices={}, provider_name="Replicate", name=name)
    return batch.build()
