"""Google Gemini ``GET /v1beta/models`` (``x-goog-api-key`` header, never the ``key=`` query
parameter, so the key stays out of URLs), paged with ``pageToken`` / ``nextPageToken``."""

from __future__ import annotations

from typing import Any

from core.parsing.paging import listing, with_query
from core.records import BatchBuilder, NormalisedBatch, Provenance, to_int
from core.sources.spec import SourceSpec

PAGE_SIZE = 1000

SPEC = SourceSpec(
    name="google",
    env_name="GOOGLE",
    kind="api",
    base_url="https://generativelanguage.googleapis.com",
    path="/v1beta/models",
    cadence="*/5 * * * *",
    timeout_s=15.0,
    docs_url="https://ai.google.dev/api/models#method:-models.list",
    priority=1,
    key_env=("GOOGLE_AI_API_KEY", "GEMINI_API_KEY"),
    paged=True,
)


def auth_headers(key: str) -> dict[str, str]:
    return {"x-goog-api-key": key}


def first_url(url: str) -> str:
    return with_query(url, pageSize=PAGE_SIZE)


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    token = document.get("nextPageToken")
    return with_query(current_url, pageToken=token) if token else None


def parse(payload: bytes) -> list[Any]:
    return listing(payload, SPEC.name, "models")


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        name = batch.entry_id(entry, "name")
        if name is None:
            continue
        model_id = name.removeprefix("models/")
        methods = entry.get("supportedGenerationMethods") or []
        outputs = ["text"] if "generateContent" in methods else (["embedding"] if "embedContent" in methods else [])
        try:
            batch.offering(
                provider="google",
                provider_model_id=model_id,
                prices={},
                provider_name="Google",
                name=entry.get("displayName") or model_id,
                context_window=to_int(entry.get("inputTokenLimit")),
                max_output=to_int(entry.get("outputTokenLimit")),
                output_modalities=outputs,
            )
        except (TypeError, ValueError) as exc:
            batch.reject(model_id, f"unparseable field: {exc}")
    return batch.build()
