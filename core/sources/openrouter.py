"""OpenRouter ``GET /api/v1/models``: every model OpenRouter routes, with its prices.

Prices are strings in USD per token (``"0.0000025"`` is $2.50 per 1M); ``"-1"`` marks a
router whose price depends on the model it picks (unknown, so no price row).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from core.parsing.json_payload import decode_json_object
from core.records import (
    BatchBuilder,
    NormalisedBatch,
    PayloadError,
    Provenance,
    modalities,
    per_token_to_per_mtok,
    to_int,
)
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="openrouter",
    env_name="OPENROUTER",
    kind="aggregator",
    base_url="https://openrouter.ai",
    path="/api/v1/models",
    cadence="0 * * * *",
    timeout_s=20.0,
    docs_url="https://openrouter.ai/docs/api-reference/models/get-models",
    priority=3,
)

# OpenRouter pricing key -> our price type (only per-token keys; `image` is per image).
PRICE_KEYS = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cached_input",
    "input_cache_write": "cache_write",
    "internal_reasoning": "reasoning",
    "audio": "audio_input",
    "audio_output": "audio_output",
    "image_output": "image_output",
}
# Long-context prices: ``pricing.overrides = [{min_prompt_tokens: N, prompt, completion, ...}]``.
OVERRIDES_THRESHOLD = "min_prompt_tokens"


def parse(payload: bytes) -> list[dict[str, Any]]:
    document = decode_json_object(payload, SPEC.name)
    data = document.get("data")
    if not isinstance(data, list):
        raise PayloadError("openrouter: no `data` list in the response")
    return data


def listed_price(value: Any) -> float | None:
    """A price as OpenRouter lists it (USD per token, a string) in USD per 1M tokens; "-1" (variable) is None."""
    if isinstance(value, str) and value.strip().startswith("-"):
        return None  # "-1": variable price
    return per_token_to_per_mtok(value)


def _tiers(pricing: dict[str, Any]) -> dict[int, dict[str, float | None]]:
    """Prices for long prompts by threshold (tokens), from ``pricing.overrides``."""
    tiers: dict[int, dict[str, float | None]] = {}
    for override in pricing.get("overrides") or ():
        threshold = to_int(override.get(OVERRIDES_THRESHOLD)) if isinstance(override, dict) else None
        if threshold:  # an override on another condition is not a long-context price
            tiers.setdefault(threshold, {}).update({ours: listed_price(override.get(theirs)) for theirs, ours in PRICE_KEYS.items()})
    return tiers


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        model_id = batch.entry_id(entry, "id")
        if model_id is None:
            continue
        try:
            pricing = entry.get("pricing") or {}
            prices = {ours: listed_price(pricing.get(theirs)) for theirs, ours in PRICE_KEYS.items()}
            architecture = entry.get("architecture") or {}
            top = entry.get("top_provider") or {}
            created = entry.get("created")
            name = str(entry.get("name") or model_id)
            batch.offering(
                provider="openrouter",
                provider_model_id=model_id,
                prices=prices,
                tiers=_tiers(pricing),
                provider_name="OpenRouter",
                name=name.split(": ", 1)[1] if ": " in name else name,
                context_window=to_int(top.get("context_length") or entry.get("context_length")),
                max_output=to_int(top.get("max_completion_tokens")),
                input_modalities=modalities(architecture.get("input_modalities")),
                output_modalities=modalities(architecture.get("output_modalities")),
                release_date=datetime.fromtimestamp(int(created), timezone.utc).date() if created else None,
                deprecation_date=entry.get("expiration_date") or None,
            )
            # Identity hints: a `~...-latest` router alias names its target; the canonical slug
            # names the model (or the dated snapshot) the id stands for.
            target = entry.get("alias_target")
            batch.link(provider="openrouter", provider_model_id=model_id, relation="alias_target",
                       target_id=target.get("slug") if isinstance(target, dict) else target)
            batch.link(provider="openrouter", provider_model_id=model_id, relation="canonical_slug",
                       target_id=entry.get("canonical_slug"))
        except (TypeError, ValueError, AttributeError) as exc:
            batch.reject(model_id, f"unparseable field: {exc}")
    return batch.build()
