"""models.dev ``GET /api.json``: a community catalog of providers and their models.

Shape: ``{provider_id: {name, doc, api, models: {model_id: {cost, limit, modalities, ...}}}}``;
costs are already USD per 1M tokens.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from core.parsing.json_payload import decode_json_object
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, modalities, to_int, to_number
from core.sources.spec import SourceSpec

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
    "image": "image_output",
}
# Long-context prices: ``cost.tiers = [{tier: {type: context, size: N}, input, output, ...}]``
# (the price for prompts above N tokens) and the older ``cost.context_over_200k = {...}``.
CONTEXT_OVER_200K = 200_000


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


def _prices(cost: dict[str, Any]) -> dict[str, float | None]:
    prices: dict[str, float | None] = {}
    for theirs, ours in COST_KEYS.items():
        value = to_number(cost.get(theirs)) if not isinstance(cost.get(theirs), (dict, list)) else None
        if value is not None and prices.get(ours) is None:
            prices[ours] = value
    return prices


def _output_kind(prices: dict[str, float | None], output_modalities: list[str]) -> dict[str, float | None]:
    """``cost.output`` of a model that outputs no text is its image (or audio) output price."""
    if "text" in output_modalities or prices.get("output") is None:
        return prices
    for modality in ("image", "audio"):
        if modality in output_modalities:
            kind = f"{modality}_output"
            moved = {k: v for k, v in prices.items() if k != "output"}
            moved[kind] = prices["output"] if moved.get(kind) is None else moved[kind]
            return moved
    return prices


def _tiers(cost: dict[str, Any]) -> dict[int, dict[str, float | None]]:
    tiers: dict[int, dict[str, float | None]] = {}
    if isinstance(cost.get("context_over_200k"), dict):
        tiers[CONTEXT_OVER_200K] = _prices(cost["context_over_200k"])
    for tier in cost.get("tiers") or ():
        spec = tier.get("tier") if isinstance(tier, dict) else None
        if not isinstance(spec, dict) or spec.get("type", "context") != "context" or not to_int(spec.get("size")):
            continue  # a tier of another kind (not a prompt size) is not a long-context price
        tiers.setdefault(int(spec["size"]), {}).update(_prices(tier))
    return tiers


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
            limit = model.get("limit") or {}
            mods = model.get("modalities") or {}
            output_modalities = modalities(mods.get("output"))
            tiers = {size: _output_kind(tier, output_modalities) for size, tier in _tiers(cost).items()}
            batch.offering(
                provider=provider_id,
                provider_model_id=model_id,
                prices=_output_kind(_prices(cost), output_modalities),
                tiers=tiers,
                source_id=source_id,
                provider_name=info.get("name"),
                name=model.get("name") or model_id,
                family=model.get("family"),
                context_window=to_int(limit.get("context")),
                max_output=to_int(limit.get("output")),
                input_modalities=modalities(mods.get("input")),
                output_modalities=output_modalities,
                release_date=_date(model.get("release_date")),
                open_weights=model.get("open_weights"),
                deprecation_date=None,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            batch.reject(source_id, f"unparseable field: {exc}")
    return batch.build()
