"""OpenAI ``GET /v1/models`` (Bearer ``OPENAI_API_KEY``): the models that exist for the key,
first-hand. No prices, limits or modalities; one page."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from core.parsing.paging import bearer, listing, no_next_page
from core.records import BatchBuilder, NormalisedBatch, Provenance
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="openai",
    env_name="OPENAI",
    kind="api",
    base_url="https://api.openai.com",
    path="/v1/models",
    cadence="*/5 * * * *",
    timeout_s=15.0,
    docs_url="https://platform.openai.com/docs/api-reference/models/list",
    priority=1,
    key_env=("OPENAI_API_KEY",),
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
        if model_id.startswith("ft:"):
            batch.reject(model_id, "fine-tuned model of the key's organisation: not published")
            continue
        created = entry.get("created")
        batch.offering(
            provider="openai",
            provider_model_id=model_id,
            prices={},
            provider_name="OpenAI",
            name=model_id,
            release_date=datetime.fromtimestamp(int(created), timezone.utc).date() if created else None,
        )
    return batch.build()
