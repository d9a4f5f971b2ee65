"""LiteLLM's cost map ``model_prices_and_context_window.json``: prices for thousands of
offerings across providers, keyed ``[provider/]model``; costs are USD per token."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from core.identity import default_rules
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
    name="litellm",
    env_name="LITELLM",
    kind="aggregator",
    base_url="https://raw.githubusercontent.com/BerriAI/litellm/main",
    path="/model_prices_and_context_window.json",
    cadence="0 * * * *",
    timeout_s=30.0,
    docs_url="https://docs.litellm.ai/docs/completion/token_usage",
    priority=2,
)

# Per-token prices only: prices in other units (``*_cost_per_image``, ``_per_second``,
# ``_per_character``, ``_per_query``) are not read; they are no USD per 1M tokens and must not
# mix with token prices (the entry itself is still used, so it is no reject).
PRICE_KEYS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "input_cost_per_token_batches": "batch_input",
    "output_cost_per_token_batches": "batch_output",
    "output_cost_per_reasoning_token": "reasoning",
    "input_cost_per_image_token": "image_input",
    "output_cost_per_image_token": "image_output",
    "input_cost_per_audio_token": "audio_input",
    "output_cost_per_audio_token": "audio_output",
}
# Long-context tiers: ``<price key>_above_<N>k_tokens`` is the price for prompts above N
# thousand tokens (``_priority`` variants are a service tier, ``_above_1hr`` a cache duration:
# neither matches). ``tiered_pricing`` lists ``{range: [from, to], <price key>: ...}``.
TIER_KEY = re.compile(r"^(?P<key>[a-z_]+?)_above_(?P<k>\d+)k_tokens$")
# Entries of these modes are tools or stores, not models.
NOT_MODELS = frozenset({"search", "vector_store"})
# Modes whose output is not text tokens: their ``output_cost_per_token`` (0 on every
# embedding) is not a text output price, so it is not published.
NO_TEXT_OUTPUT = frozenset({"embedding", "rerank", "moderation"})
OUTPUT_BY_MODE = {
    "chat": ["text"],
    "completion": ["text"],
    "responses": ["text"],
    "image_generation": ["image"],
    "image_edit": ["image"],
    "audio_speech": ["audio"],
    "audio_transcription": ["text"],
    "video_generation": ["video"],
    "realtime": ["text", "audio"],
    "ocr": ["text"],
}


def parse(payload: bytes) -> list[tuple[str, Any]]:
    document = decode_json_object(payload, SPEC.name)
    # Top-level strings (``last_updated``) are file metadata, not entries.
    entries = [(key, value) for key, value in document.items() if not isinstance(value, str)]
    if not entries:
        raise PayloadError("litellm: no model entries in the document")
    return entries


def _input_modalities(entry: dict[str, Any]) -> list[str]:
    if entry.get("supported_modalities"):
        return modalities(entry["supported_modalities"])
    found = ["text"]
    for flag, modality in (("supports_vision", "image"), ("supports_audio_input", "audio"), ("supports_pdf_input", "pdf")):
        if entry.get(flag) is True:
            found.append(modality)
    return modalities(found)


def _tiers(entry: dict[str, Any]) -> dict[int, dict[str, float | None]]:
    """Long-context prices by threshold (tokens) from ``*_above_<N>k_tokens`` and ``tiered_pricing``;
    threshold 0 holds ``tiered_pricing``'s first range (base prices the top level may lack)."""
    tiers: dict[int, dict[str, float | None]] = {}
    for field, value in entry.items():
        match = TIER_KEY.match(field)
        if match and match["key"] in PRICE_KEYS:
            tiers.setdefault(int(match["k"]) * 1000, {})[PRICE_KEYS[match["key"]]] = per_token_to_per_mtok(value)
    for tier in entry.get("tiered_pricing") or ():
        span = tier.get("range") if isinstance(tier, dict) else None
        if not isinstance(span, list) or not span or span[0] is None:
            continue
        prices = tiers.setdefault(int(float(span[0])), {})  # the range from 0 is the base price
        for theirs, ours in PRICE_KEYS.items():
            if tier.get(theirs) is not None:
                prices.setdefault(ours, per_token_to_per_mtok(tier[theirs]))
    return tiers


def canonical_order(entries: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """LiteLLM's entries in an order that does not depend on the file's.

    Some offerings are listed more than once: ``deepseek-chat`` and ``deepseek/deepseek-chat``,
    or under LiteLLM providers that are one provider to us (``mistral/codestral-latest`` and
    ``codestral/codestral-latest``); the normaliser keeps the priced one, then the first. A file
    whose order changed would otherwise make the other entry win and show a price change nobody made. First comes
    the entry under the provider's own name, then the one keyed ``provider/model``, then by key."""
    rules = default_rules()

    def rank(item: tuple[str, Any]) -> tuple[int, int, str]:
        key, entry = item
        provider = entry.get("litellm_provider") if isinstance(entry, dict) else None
        if not isinstance(provider, str) or not provider:
            return (2, 2, key)
        own = rules.provider_id(provider) == provider.strip().lower().replace("_", "-")
        return (0 if own else 1, 0 if key.startswith(f"{provider}/") else 1, key)

    return sorted(entries, key=rank)


def normalise(entries: list[tuple[str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for key, entry in canonical_order(entries):
        batch.entries += 1
        if key == "sample_spec":
            batch.reject(key, "documentation placeholder, not a model")
            continue
        if not isinstance(entry, dict):
            batch.reject(key, "entry is not an object")
            continue
        provider = entry.get("litellm_provider")
        if not isinstance(provider, str) or not provider:
            batch.reject(key, "no litellm_provider")
            continue
        mode = entry.get("mode")
        if mode in NOT_MODELS:
            batch.reject(key, f"not a model (mode {mode})")
            continue
        model_id = key[len(provider) + 1 :] if key.startswith(f"{provider}/") else key
        if model_id.endswith("/"):  # `fireworks_ai/accounts/fireworks/models/`: a path, no model
            batch.reject(key, "no model name")
            continue
        try:
            prices = {ours: per_token_to_per_mtok(entry.get(theirs)) for theirs, ours in PRICE_KEYS.items()}
            tiers = _tiers(entry)
            for price_type, value in tiers.pop(0, {}).items():
                prices[price_type] = value if prices.get(price_type) is None else prices[price_type]
            if mode in NO_TEXT_OUTPUT:
                prices["output"] = None
                for tier in tiers.values():
                    tier.pop("output", None)
            deprecation = entry.get("deprecation_date")
            batch.offering(
                provider=provider,
                provider_model_id=model_id,
                prices=prices,
                tiers=tiers,
                source_id=key,
                name=model_id.rsplit("/", 1)[-1],
                context_window=to_int(entry.get("max_input_tokens") or entry.get("max_tokens")),
                max_output=to_int(entry.get("max_output_tokens")),
                input_modalities=_input_modalities(entry),
                output_modalities=modalities(entry.get("supported_output_modalities") or OUTPUT_BY_MODE.get(mode, [])),
                deprecation_date=date.fromisoformat(deprecation) if deprecation else None,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            batch.reject(key, f"unparseable field: {exc}")
    return batch.build()
