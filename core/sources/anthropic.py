"""Anthropic ``GET /v1/models`` (``x-api-key``, ``anthropic-version``), paged with
``has_more`` / ``after_id``: Claude models with their display names and capabilities."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.parsing.paging import listing, with_query
from core.records import BatchBuilder, NormalisedBatch, Provenance
from core.sources.spec import SourceSpec

API_VERSION = "2023-06-01"
PAGE_SIZE = 1000

SPEC = SourceSpec(
    name="anthropic",
    env_name="ANTHROPIC",
    kind="api",
    base_url="https://api.anthropic.com",
    path="/v1/models",
    cadence="*/5 * * * *",
    timeout_s=15.0,
    docs_url="https://docs.anthropic.com/en/api/models-list",
    priority=1,
    key_env=("ANTHROPIC_API_KEY",),
    paged=True,
)


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": API_VERSION}


def first_url(url: str) -> str:
    return with_query(url, limit=PAGE_SIZE)


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    if document.get("has_more") and document.get("last_id"):
        return with_query(current_url, after_id=document["last_id"])
    return None


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "data")


def _supported(capabilities: dict[str, Any], name: str) -> bool:
    value = capabilities.get(name)
    return bool(value.get("supported")) if isinstance(value, dict) else False


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        model_id = batch.entry_id(entry, "id")
        if model_id is None:
            continue
        capabilities = entry.get("capabilities") or {}
        inputs = ["text"] + [m for m, c in (("image", "image_input"), ("pdf", "pdf_input")) if _supported(capabilities, c)]
        created = entry.get("created_at")
        try:
            released = date.fromisoformat(str(created)[:10]) if created else None
        except ValueError:
            released = None
        batch.offering(
            provider="anthropic",
            provider_model_id=model_id,
            prices={},
            provider_name="Anthropic",
            name=entry.get("display_name") or model_id,
            input_modalities=inputs,
            output_modalities=["text"],
            release_date=released,
        )
    return batch.build()
