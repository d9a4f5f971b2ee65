"""Cohere ``GET /v1/models`` (Bearer ``COHERE_API_KEY`` or ``CO_API_KEY``), paged with
``page_token`` / ``next_page_token``: endpoints, context length, deprecation."""

from __future__ import annotations

from typing import Any

from core.parsing.paging import bearer, listing, with_query
from core.records import BatchBuilder, NormalisedBatch, Provenance, to_int
from core.sources.spec import SourceSpec

PAGE_SIZE = 1000
OUTPUT_BY_ENDPOINT = {"chat": "text", "generate": "text", "summarize": "text", "embed": "embedding"}

SPEC = SourceSpec(
    name="cohere",
    env_name="COHERE",
    kind="api",
    base_url="https://api.cohere.com",
    path="/v1/models",
    cadence="*/5 * * * *",
    timeout_s=15.0,
    docs_url="https://docs.cohere.com/reference/list-models",
    priority=1,
    key_env=("COHERE_API_KEY", "CO_API_KEY"),
    paged=True,
)


def auth_headers(key: str) -> dict[str, str]:
    return bearer(key)


def first_url(url: str) -> str:
    return with_query(url, page_size=PAGE_SIZE)


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    token = document.get("next_page_token")
    return with_query(current_url, page_token=token) if token else None


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "models")


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        name = batch.entry_id(entry, "name")
        if name is None:
            continue
        if entry.get("finetuned"):
            batch.reject(name, "fine-tuned model of the key's organisation: not published")
            continue
        endpoints = entry.get("endpoints") or []
        try:
            batch.offering(
                provider="cohere",
                provider_model_id=name,
                prices={},
                provider_name="Cohere",
                name=name,
                context_window=to_int(entry.get("context_length")),
                input_modalities=["text"],
                output_modalities=sorted({OUTPUT_BY_ENDPOINT[e] for e in endpoints if e in OUTPUT_BY_ENDPOINT}),
                deprecated=bool(entry.get("is_deprecated")),
            )
        except (TypeError, ValueError) as exc:
            batch.reject(name, f"unparseable field: {exc}")
    return batch.build()
