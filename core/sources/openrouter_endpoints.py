"""OpenRouter ``GET /api/v1/models/{id}/endpoints``: for each OpenRouter model, the providers
that serve it (offerings) with their own prices, uptime (5 min, 30 min, 1 day) and latency
and throughput percentiles over the last 30 minutes.

One request per model, so the fan-out is bounded (see ``plan``): models never fetched
come first, then the stalest, at most ``max_per_run`` per run with ``concurrency`` requests
in flight; the rest keep their last fetched answer, with its own fetch time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from core.parsing.json_payload import decode_json_object
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, to_int
from core.sources.openrouter import PRICE_KEYS, listed_price
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="openrouter_endpoints",
    env_name="OPENROUTER",  # the same base URL as the model list
    kind="aggregator",
    base_url="https://openrouter.ai",
    path="/api/v1/models",
    cadence="0 * * * *",
    timeout_s=15.0,
    docs_url="https://openrouter.ai/docs/api-reference/list-endpoints-for-a-model",
    priority=3,
)
PERCENTILES = ("p50", "p75", "p90", "p99")
UPTIME = {"uptime_last_5m": "uptime_5m", "uptime_last_30m": "uptime_30m", "uptime_last_1d": "uptime_1d"}


def endpoint_url(model_id: str) -> str:
    """``{base}/api/v1/models/{author}/{slug}/endpoints`` (the id's slash is a path separator)."""
    return f"{SPEC.url()}/{quote(model_id, safe='/:')}/endpoints"


def plan(model_ids: list[str], last_fetched: dict[str, str], max_per_run: int) -> list[str]:
    """Which models to fetch this run: never asked first (new models), then the least recently
    asked. ``last_fetched`` maps endpoint URL -> ISO time of its last request."""
    never = [m for m in model_ids if endpoint_url(m) not in last_fetched]
    seen = sorted((m for m in model_ids if endpoint_url(m) in last_fetched), key=lambda m: last_fetched[endpoint_url(m)])
    return (never + seen)[: max(0, max_per_run)]


def parse(payload: bytes) -> list[dict[str, Any]]:
    """One model's answer: its endpoints, each tagged with the model id."""
    data = decode_json_object(payload, SPEC.name).get("data")
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list) or not data.get("id"):
        raise PayloadError("openrouter_endpoints: no `data.id` / `data.endpoints` in the answer")
    return [{"model_id": data["id"], **e} for e in data["endpoints"] if isinstance(e, dict)]


def _provider(endpoint: dict[str, Any]) -> str | None:
    tag = endpoint.get("tag")
    if isinstance(tag, str) and tag:
        return tag.split("/", 1)[0]
    name = endpoint.get("provider_name")
    return str(name).strip().lower().replace(" ", "-") if name else None


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for endpoint in entries:
        batch.entries += 1
        model_id = endpoint.get("model_id")
        provider = _provider(endpoint)
        if not model_id or not provider:
            batch.reject(str(model_id), "endpoint without a model id or provider")
            continue
        fetched = endpoint.get("_fetched_at")
        batch.provenance = Provenance(
            provenance.source, provenance.source_kind, endpoint_url(model_id),
            datetime.fromisoformat(fetched) if fetched else provenance.fetched_at,
        )
        try:
            pricing = endpoint.get("pricing") or {}
            batch.offering(
                provider=provider,
                provider_model_id=model_id,
                prices={ours: listed_price(pricing.get(theirs)) for theirs, ours in PRICE_KEYS.items()},
                provider_name=endpoint.get("provider_name"),
                name=endpoint.get("model_name") or model_id,
                context_window=to_int(endpoint.get("context_length")),
                max_output=to_int(endpoint.get("max_completion_tokens")),
            )
            for theirs, metric in UPTIME.items():
                batch.measure(provider=provider, provider_model_id=model_id, metric=metric, value=endpoint.get(theirs), unit="percent",
                              zero_is_unknown=False)
            for field, metric, unit in (("latency_last_30m", "latency", "s"), ("throughput_last_30m", "throughput", "tokens_per_s")):
                figures = endpoint.get(field) or {}
                for percentile in PERCENTILES:
                    batch.measure(provider=provider, provider_model_id=model_id, metric=metric, value=figures.get(percentile),
                                  unit=unit, percentile=percentile)
        except (TypeError, ValueError, AttributeError) as exc:
            batch.reject(f"{provider}:{model_id}", f"unparseable field: {exc}")
    batch.provenance = provenance
    return batch.build()
