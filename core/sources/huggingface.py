"""Hugging Face Inference Providers router ``GET /v1/models`` (``HF_TOKEN`` optional): each
model with the providers serving it through the router, their status, context length,
prices (USD per 1M tokens), time to first token and throughput."""

from __future__ import annotations

from typing import Any

from core.parsing.paging import bearer, listing, no_next_page
from core.records import BatchBuilder, NormalisedBatch, Provenance, modalities, to_int, to_number
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="huggingface",
    env_name="HUGGINGFACE",
    kind="api",
    base_url="https://router.huggingface.co",
    path="/v1/models",
    cadence="0 * * * *",
    timeout_s=20.0,
    docs_url="https://huggingface.co/docs/inference-providers",
    priority=1,
    key_env=("HF_TOKEN",),
    key_required=False,
    paged=True,
)


auth_headers = bearer
next_url = no_next_page


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "data")


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        model_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(model_id, str) or not model_id:
            batch.entries += 1
            batch.reject(repr(entry)[:80], "no model id")
            continue
        architecture = entry.get("architecture") or {}
        for serving in entry.get("providers") or []:
            batch.entries += 1
            provider = serving.get("provider") if isinstance(serving, dict) else None
            if not provider:
                batch.reject(model_id, "provider entry without a provider name")
                continue
            pricing = serving.get("pricing") or {}
            try:
                batch.offering(
                    provider=str(provider),
                    provider_model_id=model_id,
                    prices={"input": to_number(pricing.get("input")), "output": to_number(pricing.get("output"))},
                    name=model_id.rsplit("/", 1)[-1],
                    context_window=to_int(serving.get("context_length")),
                    input_modalities=modalities(architecture.get("input_modalities")),
                    output_modalities=modalities(architecture.get("output_modalities")),
                )
                latency_ms = to_number(serving.get("first_token_latency_ms"))
                batch.measure(provider=str(provider), provider_model_id=model_id, metric="time_to_first_token",
                              value=latency_ms / 1000 if latency_ms else None, unit="s")
                batch.measure(provider=str(provider), provider_model_id=model_id, metric="throughput",
                              value=serving.get("throughput"), unit="tokens_per_s")
            except (TypeError, ValueError) as exc:
                batch.reject(f"{provider}:{model_id}", f"unparseable field: {exc}")
    return batch.build()
