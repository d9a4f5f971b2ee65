"""models.dev ``GET /api.json``: a community catalog of providers and their models.

Shape: ``{provider_id: {name, doc, api, models: {model_id: {cost, limit, modalities, ...}}}}``;
costs are already USD per 1M tokens.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from assets.normalise.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, modalities, to_int, to_number
from assets.sources.json_payload import decode_json_object
from assets.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="models_dev",
    env_name="MODELS_DEV",
    kind="aggregator",
    base_url="https://models.dev",
    path="/api.json",
    cadence="0 * * * *",
    timeout_s=30.0,
    docs_url="https://models.dev",
    priority=1,
)

# models.dev cost key -> our price type (it spells cached input three ways).
COST_KEYS = {
    "input": "input",
    "output": "output",
    "cache_read": "cached_input",
    "cached_input": "cached_input",
    "cache_input": "cached_input",
    "cache_write": "cache_write",
    "cached_write": "cache_write",
    "reasoning": "reasoning",
    "input_audio": "audio_input",
    "output_audio": "audio_output",
}


def parse(payload: bytes) -> list[tuple[str, dict[str, Any], str, Any]]:
    """Flattens the document into (provider id, provider info, model id, model) tuples."""
    document = decode_json_object(payload, SPEC.name)
    entries: list[tuple[str, dict[str, Any], str, Any]] = []
    for provider_id, provider in document.items():
        if not isinstance(provider, dict) or not isinstance(provider.get("models"), dict):
            raise PayloadError(f"models_dev: provider {provider_id!r} has no `models` object")
        info = {k: v for k, v in provider.items() if k != "models"}
        entries.extend((provider_id, info, model_id, model) for model_id, model in provider["models"].items())
    if not entries:
        raise PayloadError("models_dev: no models in the document")
    return entries


def _date(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    try:
        return date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        return None  # a malformed date loses the date, not the model and its prices


def normalise(entries: list[tuple[str, dict[str, Any], str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for provider_id, info, model_id, model in entries:
        batch.entries += 1
        source_id = f"{provider_id}/{model_id}"
        if not isinstance(model, dict):
            batch.reject(source_id, "model entry is not an object")
            continue
        try:
            cost = model.get("cost") or {}
            prices: dict[str, float | None] = {}
            for theirs, ours in COST_KEYS.items():
                value = to_number(cost.get(theirs)) if not isinstance(cost.get(theirs), dict) else None
                if value is not None and prices.get(ours) is None:
                    prices[ours] = value
            limit = model.get("limit") or {}
            mods = model.get("modalities") or {}
            batch.offering(
                provider=provider_id,
                provider_model_id=model_id,
                prices=prices,
                provider_name=info.get("name"),
                name=model.get("name") or model_id,
                family=model.get("family"),
                context_window=to_int(limit.get("context")),
                max_output=to_int(limit.get("output")),
                input_modalities=modalities(mods.get("input")),
                output_modalities=modalities(mods.get("output")),
                release_date=_date(model.get("release_date")),
                open_weights=model.get("open_weights"),
                deprecation_date=None,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            batch.reject(source_id, f"unparseable field: {exc}")
    return batch.build()
