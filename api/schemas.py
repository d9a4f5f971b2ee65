"""What the read API answers, as pydantic models: they document ``openapi.json`` (every
response of every route, errors and 304 included) and nothing else. Routes still send the
bytes they built once per snapshot; ``tests/test_api_schema.py`` checks every answer against
these models (schemathesis), and each model forbids fields it does not name, so a column added
to a query without its documentation fails there.

Prices are USD per 1M tokens. Unknown is ``null``, never 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Badge = Literal["api", "scraped", "aggregator", "cached", "config", "manual"]
BillingKind = Literal["metered", "free_tier", "plan"]


class Schema(BaseModel):
    """A documented body: a field not named here is a documentation bug (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


class Sourced(Schema):
    """Where a row came from."""

    source: str = Field(description="The source that supplied the row (openrouter, models_dev, litellm, model_defaults, ...).")
    badge: Badge = Field(description="The kind of that source: api, scraped, aggregator, cached, config or manual.")
    source_url: str | None = Field(description="Where the source's payload was read.")
    fetched_at: dt.datetime | None = Field(description="When that payload was fetched (UTC).")


# -- errors --------------------------------------------------------------------------------


class Error(Schema):
    """Every error the API sends: a message, and for some a hint or the values it knows."""

    error: str = Field(description="What went wrong, in words.")
    hint: str | None = Field(default=None, description="What to try instead.")
    suggestions: list[dict[str, Any]] | None = Field(default=None, description="Models whose key or name is close to what was asked.")
    known: list[str] | None = Field(default=None, description="The values that would have been accepted.")
    known_tables: list[str] | None = Field(default=None, description="Export: the tables that can be exported.")
    known_formats: list[str] | None = Field(default=None, description="Export: the formats they can be exported in.")


class Problem(Schema):
    parameter: str = Field(description="The parameter (or header) at fault; `request` when none is.")
    message: str


class InvalidParameters(Schema):
    """422: a parameter is unknown, missing or out of its range (never a 500)."""

    error: str = Field(description="`invalid parameters: ` and each problem.")
    problems: list[Problem]
    known_tables: list[str] | None = Field(default=None, description="Export: the tables that can be exported.")
    known_formats: list[str] | None = Field(default=None, description="Export: the formats they can be exported in.")


# -- prices and references -----------------------------------------------------------------


class ReferencePrice(Schema):
    """The price we would quote for a model and price type, with how it was chosen."""

    usd_per_mtok: float
    basis: str = Field(description="manual, official_page, first_party_api, consensus, single_aggregator or config.")
    provider_id: str | None
    provider_model_id: str | None
    source: str
    badge: Badge
    fetched_at: dt.datetime | None
    sources: int = Field(description="How many sources priced it.")
    min_usd_per_mtok: float | None
    max_usd_per_mtok: float | None
    spread: float | None = Field(description="(max - min) / min across those sources.")


ReferencePrices = dict[str, ReferencePrice]


class Resolution(Schema):
    """How a model asked for in any spelling was found."""

    resolved_from: str = Field(description="What was asked.")
    model_key: str = Field(description="The model it names.")
    resolution: str = Field(description="key, alias, source_id, name or fuzzy.")
    alternatives: list[str] = Field(description="Other models the spelling could name.")


class MaybeResolved(Schema):
    """The resolution of a ``model=`` filter, when one was given."""

    resolved_from: str | None = None
    model_key: str | None = None
    resolution: str | None = None
    alternatives: list[str] | None = None


class Page(Schema):
    total: int = Field(description="Rows matching, over all pages.")
    limit: int
    offset: int


# -- models --------------------------------------------------------------------------------


class ModelFields(Sourced):
    model_key: str = Field(description="creator/model, e.g. openai/gpt-4o.")
    creator: str
    name: str | None
    family: str | None
    context_window: int | None = Field(description="Tokens; null when no source gives it.")
    max_output: int | None
    input_modalities: list[str] | None
    output_modalities: list[str] | None
    release_date: dt.date | None
    open_weights: bool | None
    deprecation_date: dt.date | None
    offerings_count: int
    providers_count: int
    status: str | None = Field(description="active, deprecated, retired or preview.")
    status_date: dt.date | None
    alias_of: str | None = Field(description="The model this key is an alias of, when it is one.")
    listed: bool | None = Field(description="False when no source lists the model any more (kept with its history).")
    unlisted_since: dt.datetime | None


class ModelSummary(ModelFields):
    min_input_usd_per_mtok: float | None = Field(description="The lowest metered base input price over its offerings.")
    min_output_usd_per_mtok: float | None
    score: float | None = Field(default=None, description="Its score in `benchmark`, when one is asked for.")
    reference_price: ReferencePrices | None = Field(description="input and output reference prices.")


class ModelsPage(Page):
    items: list[ModelSummary]
    benchmark: str | None = Field(default=None, description="The benchmark `score` is read from, when one is asked for.")


class OfferingPrice(Schema):
    usd_per_mtok: float
    badge: Badge
    source: str
    valid_from: dt.datetime


class PriceTier(OfferingPrice):
    price_type: str
    above_tokens: int = Field(description="The price applies to prompts above this many tokens.")


class Offering(Sourced):
    provider_id: str
    provider_model_id: str
    name: str | None
    context_window: int | None
    max_output: int | None
    input_modalities: list[str] | None
    output_modalities: list[str] | None
    deprecation_date: dt.date | None
    status: str | None
    billing: BillingKind
    identity_method: str | None = Field(description="How the offering was matched to its model (rule, alias, config...).")
    prices: dict[str, OfferingPrice] = Field(description="price_type (input, output, cached_input, ...) -> base price.")
    price_tiers: list[PriceTier]


class Performance(Schema):
    provider_id: str | None
    provider_model_id: str | None
    metric: str
    percentile: str | None
    value: float | None
    unit: str | None
    source: str
    badge: Badge
    measured_at: dt.datetime | None


class ModelBenchmark(Schema):
    benchmark: str
    variant: str
    score: float | None
    unit: str | None
    source: str
    badge: Badge
    as_of: dt.date | None


class ModelDetail(ModelFields):
    status_source: str | None
    resolved_from: str
    resolution: str
    alternatives: list[str]
    reference_price: ReferencePrices | None = Field(description="price_type -> the reference price.")
    offerings: list[Offering]
    performance: list[Performance]
    benchmarks: list[ModelBenchmark]
    attribution: list[str] = Field(description="Credits the sources of these values ask for.")


# -- pricing -------------------------------------------------------------------------------


class PriceRow(Sourced):
    model_key: str
    provider_id: str
    provider_model_id: str
    price_type: str
    above_tokens: int = Field(description="0 for the base price; else the prompt size above which it applies.")
    usd_per_mtok: float
    billing: BillingKind
    valid_from: dt.datetime


class PricesPage(Page, MaybeResolved):
    items: list[PriceRow]


class CompareRow(Schema):
    provider_id: str
    provider_model_id: str
    billing: BillingKind
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    has_long_context_tiers: bool
    source: str | None
    badge: Badge | None
    fetched_at: dt.datetime | None
    input_vs_cheapest: float | None = Field(description="Input price over the cheapest metered one (1.0 = the cheapest).")


class Comparison(Resolution):
    items: list[CompareRow] = Field(description="Metered first, then cheapest first.")
    cheapest_metered: CompareRow | None
    reference_price: ReferencePrices | None


class HistoryRow(Sourced):
    model_key: str
    provider_id: str
    provider_model_id: str
    price_type: str
    above_tokens: int
    usd_per_mtok: float
    valid_from: dt.datetime
    valid_to: dt.datetime | None = Field(description="null while the price is current.")
    current: bool


class History(Resolution):
    model: str = Field(description="The model key (as model_key).")
    items: list[HistoryRow]
    total: int


# -- changes, benchmarks, providers, search --------------------------------------------------


class Change(Schema):
    detected_at: dt.datetime
    kind: str
    model_key: str
    provider_id: str | None
    provider_model_id: str | None
    field: str | None
    old: str | None
    new: str | None
    pct_change: float | None
    source: str | None
    run_id: str


class ChangesPage(Page):
    items: list[Change]


class BenchmarkRow(Schema):
    model_key: str
    name: str | None
    creator: str | None
    benchmark: str
    variant: str
    score: float | None
    unit: str | None
    source: str
    badge: Badge
    source_id: str | None
    as_of: dt.date | None


class BenchmarksPage(Page, MaybeResolved):
    items: list[BenchmarkRow]
    attribution: list[str]


class Provider(Sourced):
    provider_id: str
    name: str | None
    creator: str | None
    models_count: int
    offerings_count: int


class Providers(Schema):
    items: list[Provider]


class SearchHit(Schema):
    model_key: str
    creator: str | None
    name: str | None
    context_window: int | None
    offerings_count: int | None
    badge: Badge | None
    alias_of: str | None
    rank: int
    match: str = Field(description="exact, prefix, contains, alias, source_id or fuzzy.")


class SearchResult(Schema):
    query: str
    items: list[SearchHit]


# -- status ----------------------------------------------------------------------------------


class SnapshotInfo(Schema):
    snapshot_id: str
    run_id: str | None
    published_at: dt.datetime | None
    models: int | None
    offerings: int | None
    prices: int | None


class SourceStatus(Schema):
    source: str
    status: str = Field(description="ok, not_modified, cached, failed or skipped.")
    badge: Badge | None
    rows: int | None
    entries: int | None
    rejected: int | None
    rejected_reasons: dict[str, int]
    unmatched: int | None
    http_status: int | None
    not_modified: bool | None
    last_run_at: dt.datetime | None
    payload_fetched_at: dt.datetime | None
    last_fresh_at: dt.datetime | None
    error: str | None
    age_seconds: int | None
    unmatched_share: float | None
    healthy: bool
    stale: bool
    held_back: bool
    health: str
    cadence: str | None
    payload_age_seconds: int | None
    allowed_age_seconds: int | None


class HealthSummary(Schema):
    healthy: bool
    sources: int
    failed: int
    cached: int
    stale: int
    held_back: int
    skipped: int
    unhealthy_sources: list[str]


class Disagreement(Schema):
    source_a: str
    source_b: str
    offerings_compared: int
    disagreements: int
    share: float | None
    detected_at: dt.datetime | None


class Quality(Schema):
    source_disagreements: list[Disagreement]
    disagreements_total: int | None = None
    note: str | None = None


class Latency(Schema):
    p50_ms: float | None
    p95_ms: float | None


class OpenIncident(Schema):
    id: str
    name: str | None
    impact: str | None
    status: str | None
    started_at: dt.datetime | None
    shortlink: str | None


class ProviderState(Schema):
    state: str = Field(description="up, degraded, down or unknown.")
    since: dt.datetime | None
    reason: str | None
    last_checked_at: dt.datetime | None
    last_probe: dict[str, Any] | None
    page_indicator: str | None
    page_description: str | None
    consecutive_failures: int


class ProviderStatus(ProviderState):
    provider_id: str
    name: str
    configured: bool
    uptime: dict[str, float | None] = Field(description="24h, 7d, 30d -> percent of checks up.")
    latency_24h: Latency
    open_incidents: list[OpenIncident]


class Status(Schema):
    snapshot: SnapshotInfo | None
    sources: list[SourceStatus]
    health: HealthSummary | None
    quality: Quality
    providers: list[ProviderStatus]
    note: str | None = None
    monitor_config_error: str | None = None


# -- availability ----------------------------------------------------------------------------


class Uptime(Schema):
    checks: int
    up_checks: int
    uptime_pct: float | None
    p50_ms: float | None
    p95_ms: float | None


class SeriesBucket(Uptime):
    start: dt.datetime


class Incident(Schema):
    id: str
    name: str | None
    status: str | None
    impact: str | None
    started_at: dt.datetime | None
    resolved_at: dt.datetime | None
    shortlink: str | None
    checks: int
    failed_checks: int
    seen_by_probes: bool | None


class Outage(Schema):
    """A run of failed listing probes."""

    started_at: dt.datetime
    last_failed_at: dt.datetime | None
    ended_at: dt.datetime | None = Field(description="null while it lasts.")
    failed_checks: int
    error_kind: str | None
    incidents: int = Field(description="Status-page incidents overlapping it.")
    silent_degradation: bool | None = Field(description="True when no status-page incident covered it.")


class Availability(Schema):
    provider_id: str
    name: str
    window: Literal["1h", "24h", "7d", "30d"]
    bucket_seconds: int
    uptime: Uptime
    series: list[SeriesBucket]
    incidents: list[Incident]
    outages: list[Outage]
    state: ProviderState


# -- export ----------------------------------------------------------------------------------


class ExportTable(Schema):
    name: str
    store: str = Field(description="catalog (the snapshot) or monitor (the availability store).")
    description: str
    urls: dict[str, str] = Field(description="format -> the URL that exports the table in it.")


class ExportIndex(Schema):
    tables: list[ExportTable]
    formats: list[str]
    snapshot_file: str = Field(description="The URL of the snapshot file itself.")


# -- sync ------------------------------------------------------------------------------------


class SyncLaunched(Schema):
    status: Literal["launched"]
    source: str
    pid: int
    log: str = Field(description="The refresh's log file on the server.")
    started_at: str


# -- the responses each route documents ------------------------------------------------------

SNAPSHOT_HEADERS = {
    "ETag": {"description": "The snapshot id and a hash of the body; send it back as If-None-Match.", "schema": {"type": "string"}},
    "X-Snapshot-Id": {"description": "The snapshot the body was read from.", "schema": {"type": "string"}},
}
NOT_MODIFIED = {304: {"description": "Not modified: If-None-Match matched the ETag (no body).", "headers": SNAPSHOT_HEADERS}}
INVALID = {422: {"model": InvalidParameters, "description": "A parameter is unknown, missing or out of range."}}
NO_CATALOG = {503: {"model": Error, "description": "Nothing published yet, or the snapshot predates this version."}}
UNKNOWN_MODEL = {404: {"model": Error, "description": "No model of that spelling; `suggestions` lists close ones."}}
REFUSED = {
    414: {"model": Error, "description": "The URL is longer than the server accepts."},
    429: {"model": Error, "description": "Too many requests from this client; retry after `Retry-After` seconds."},
    431: {"model": Error, "description": "The request's headers are larger than the server accepts."},
}


def documented(*extra: dict[int, dict[str, Any]], cached: bool = True) -> dict[int | str, dict[str, Any]]:
    """The non-200 responses of a GET route: 304 (when cached per snapshot), 422, the
    middleware's refusals, 503 without a catalog, and ``extra``."""
    out: dict[int | str, dict[str, Any]] = {**INVALID, **REFUSED, **NO_CATALOG}
    if cached:
        out.update(NOT_MODIFIED)
        out[200] = {"headers": SNAPSHOT_HEADERS}
    for more in extra:
        out.update(more)
    return out
