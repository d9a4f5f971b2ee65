"""Mistral ``GET /v1/models`` (Bearer ``MISTRAL_API_KEY``): capabilities, context length,
aliases and deprecation dates; one page."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.parsing.paging import bearer, listing, no_next_page
from core.records import BatchBuilder, NormalisedBatch, Provenance, to_int
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="mistral",
    env_name="MISTRAL",
    kind="api",
    base_url="https://api.mistral.ai",
    path="/v1/models",
    cadence="*/5 * * * *",
    timeout_s=15.0,
    docs_url="https://docs.mistral.ai/api/#tag/models/operation/list_models_v1_models_get",
    priority=1,
    key_env=("MISTRAL_API_KEY",),
    paged=True,
)


auth_headers = bearer
next_url = no_next_page


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "data")


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        model_id = batch.entry_id(entry, "id")
        if model_id is None:
            continue
        if entry.get("type") == "fine-tuned":
            batch.reject(model_id, "fine-tuned model of the key's organisation: not published")
            continue
        capabilities = entry.get("capabilities") or {}
        inputs = ["text"] + (["image"] if capabilities.get("vision") else []) + (["audio"] if capabilities.get("audio") else [])
        deprecation = entry.get("deprecation")
        try:
            batch.offering(
                provider="mistral",
                provider_model_id=model_id,
                prices={},
                provider_name="Mistral",
                name=entry.get("name") or model_id,
                context_window=to_int(entry.get("max_context_length")),
                input_modalities=inputs,
                output_modalities=["text"] if capabilities.get("completion_chat") else [],
                deprecation_date=date.fromisoformat(str(deprecation)[:10]) if deprecation else None,
            )
        except (TypeError, ValueError) as exc:
            batch.reject(model_id, f"unparseable field: {exc}")
    return batch.build()
