"""``config/model-defaults.json``: the last resort, a curated set of major first-party
models with official prices, each with its pricing page URL and the date it was checked."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from core.parsing.json_payload import decode_json_object
from core.paths import CONFIG_DIR
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, modalities, to_int, to_number
from core.sources.spec import SourceSpec

PATH = CONFIG_DIR / "model-defaults.json"

SPEC = SourceSpec(
    name="model_defaults",
    env_name="MODEL_DEFAULTS",
    kind="config",
    base_url=PATH.parent.as_uri(),
    path="/" + PATH.name,
    cadence="",
    timeout_s=0.0,
    docs_url="config/model-defaults.json",
    priority=9,
)


def read(path: Path = PATH) -> bytes:
    return path.read_bytes()


def parse(payload: bytes) -> list[dict[str, Any]]:
    models = decode_json_object(payload, SPEC.name).get("models")
    if not isinstance(models, list) or not models:
        raise PayloadError("model_defaults: no `models` list")
    return models


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    """Each entry keeps its own pricing page as ``source_url`` and its check date as ``fetched_at``."""
    batch = BatchBuilder(provenance)
    for entry in entries:
        batch.entries += 1
        source_id = f"{entry.get('provider_id')}/{entry.get('provider_model_id')}"
        try:
            checked = datetime.combine(date.fromisoformat(entry["checked"]), datetime.min.time(), timezone.utc)
            batch.provenance = Provenance(provenance.source, provenance.source_kind, entry["source_url"], checked)
            batch.offering(
                provider=entry["provider_id"],
                provider_model_id=entry["provider_model_id"],
                model_key=entry["model_key"],
                prices={k: to_number(v) for k, v in (entry.get("prices") or {}).items()},
                name=entry.get("name"),
                context_window=to_int(entry.get("context_window")),
                max_output=to_int(entry.get("max_output")),
                input_modalities=modalities(entry.get("input_modalities")),
                output_modalities=modalities(entry.get("output_modalities")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            batch.reject(source_id, f"bad config entry: {exc!r}")
    batch.provenance = provenance
    return batch.build()
