"""Source assets (group ``sources``): one per source, fetching and archiving its payload."""


import warnings
from dataclasses import fields
from datetime import datetime, timezone
from typing import Iterator

import dagster as dg

from core.fetch.engine import FetchOutcome, fetch_source
from core.fetch.fanout import fetch_endpoints, host_down
from core.settings import settings
from core.sources import cadence as cadences
from core.sources import model_defaults, openrouter, openrouter_endpoints
from core.sources.health import assess_source
from core.sources.registry import HTTP_SOURCES
from core.sources.spec import SOURCES_VARIABLE, SourceModule, SourceSpec, is_chosen
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.browser import BrowserResource
from pipelines.resources.http import HttpClientResource
from pipelines.resources.keys import ApiKeysResource


def outcome_metadata(outcome: FetchOutcome) -> dict[str, object]:
    return {
        "status": outcome.status,
        "badge": outcome.badge or "none",
        "url": dg.MetadataValue.url(outcome.url) if outcome.url.startswith("http") else outcome.url,
        "http_status": outcome.http_status if outcome.http_status is not None else "none",
        "entries": outcome.count,
        "payload_sha256": outcome.sha256 or "none",
        "not_modified": outcome.not_modified,
        "attempts": outcome.attempts,
        "pages": outcome.pages,
        "summary": outcome.summary,
        "forced": outcome.forced,
    }


class SourceFetchConfig(dg.Config):
    """A source asset's run config: ``force`` (set by ``aisi sync SOURCE --force``) fetches without
    If-None-Match / If-Modified-Since and lets a payload the payload guard would hold back
    through, this once; the fetch and its ``source_runs`` row say ``forced``."""

    force: bool = False


SOURCE_HEALTH = "source_health"


def source_health_spec(asset: str, cadence: str) -> dg.AssetCheckSpec:
    """The WARN check every source asset carries: did the source deliver fresh data this run?"""
    freshness = (f" or the payload in use is older than its cadence `{cadence}` allows "
                 f"({cadences.MISSED_RUNS} intervals + {int(cadences.SLACK.total_seconds() // 60)} min: stale)") if cadence else ""
    return dg.AssetCheckSpec(
        SOURCE_HEALTH,
        asset=asset,
        description=(
            "Warning: the source failed (nothing to serve), served its last good payload as `cached` "
            f"(failed, or its fresh payload was held back by the sudden-drop guard){freshness}. "
            "A source skipped for want of a key passes. The run stays green; this check does not."
        ),
    )


def source_freshness_policy(cadence: str) -> dg.FreshnessPolicy | None:
    """Dagster's own freshness (evaluated by the freshness daemon, on by default): the asset must
    be materialised within the age its cadence allows; None for a source without one. A failing
    source is still materialised, so this catches runs that stop, not data that ages."""
    allowed = cadences.allowed_age(cadence)
    return dg.FreshnessPolicy.time_window(fail_window=allowed) if allowed is not None else None


SourceEvents = Iterator[dg.Output[FetchOutcome] | dg.AssetCheckResult]

# ``Output(data_version=...)`` is how a source asset reports its payload's version, the basis of the
# incremental runs; Dagster marks that parameter beta and warned about it at every source's step
# (two lines each, 42 in a refresh's output). Said once, here.
warnings.filterwarnings("ignore", message=r"Parameter `data_version` of initializer `Output.__init__`", category=dg.BetaWarning)


def source_events(
    context: dg.AssetExecutionContext, asset: str, outcome: FetchOutcome, cadence: str, metadata: dict[str, object]
) -> SourceEvents:
    """What a source asset yields: its outcome (with ``metadata``) under its data version (the
    payload in use and how it is served: downstream assets run only when it changed) and, when
    selected, its ``source_health`` result, logged as a warning when it fails."""
    yield dg.Output(outcome, metadata=metadata,
                    data_version=dg.DataVersion(outcome.data_version))
    if dg.AssetCheckKey(dg.AssetKey(asset), SOURCE_HEALTH) not in context.selected_asset_check_keys:
        return
    verdict = assess_source(
        outcome.source, outcome.status, badge=outcome.badge, error=outcome.error, http_status=outcome.http_status,
        payload_fetched_at=outcome.fetched_at, cadence=cadence, now=datetime.now(timezone.utc),
    )
    if not verdict.healthy:
        context.log.warning(f"{outcome.source}: source_health failed: {verdict.description}")
    yield dg.AssetCheckResult(
        asset_key=asset, check_name=SOURCE_HEALTH, passed=verdict.healthy, severity=dg.AssetCheckSeverity.WARN,
        description=verdict.description, metadata=verdict.metadata(),
    )


def _description(spec: SourceSpec) -> str:
    if spec.rendered:
        return (
            f"The page {spec.base_url}{spec.path} rendered in headless Chromium (its figures appear only "
            f"after its scripts run), archived as rendered HTML. Badge `{spec.kind}`; when the page's "
            f"structure changes the source reports it and serves its last good page as `cached`. URL: `{spec.url_variable}`."
        )
    keyed = ""
    if spec.key_env:
        names = " or ".join(spec.key_env)
        keyed = f" Key: {names} (optional)." if not spec.key_required else f" Key: {names}; without it the source is skipped."
    return (
        f"The latest {spec.name} payload ({spec.base_url}{spec.path}), archived by content hash. "
        f"Fresh data carries badge `{spec.kind}`; when the source fails the last good payload is "
        f"served with badge `cached`. Base URL: `{spec.url_variable}`.{keyed}"
    )


def build_source_asset(module: SourceModule) -> dg.AssetsDefinition:
    """One source's fetch. Rendered pages join pool ``browser``, which dagster.yaml limits to
    one at a time across runs; the browser itself starts only when a rendered page asks."""
    spec = module.SPEC
    asset = f"{spec.name}_raw"
    cadence = spec.schedule()  # the one in effect when the code location loads

    @dg.asset(
        name=asset,
        group_name="sources",
        kinds={"chromium", "html"} if spec.rendered else {"http", "json"},
        pool="browser" if spec.rendered else None,
        description=_description(spec),
        metadata={"source_docs": spec.docs_url, "url_variable": spec.url_variable, "cadence": cadence},
        check_specs=[source_health_spec(asset, cadence)],
        freshness_policy=source_freshness_policy(cadence),
    )
    def _source(
        context: dg.AssetExecutionContext,
        http: HttpClientResource,
        archive: RawArchiveResource,
        api_keys: ApiKeysResource,
        browser: BrowserResource,
        config: SourceFetchConfig,
    ) -> SourceEvents:
        outcome = fetch_source(module, http, archive.open(), api_keys.key_for(spec.name), browser=browser, force=config.force)
        log = context.log.info if outcome.status in ("ok", "skipped") else context.log.warning
        log(f"{spec.name}: {outcome.summary}")
        yield from source_events(context, asset, outcome, cadence, outcome_metadata(outcome))

    return _source


# The cadences in effect when the code location loads (as for every source asset: build_source_asset).
DEFAULTS_CADENCE = model_defaults.SPEC.schedule()
ENDPOINTS_CADENCE = openrouter_endpoints.SPEC.schedule()


@dg.asset(
    name="model_defaults_raw",
    group_name="sources",
    kinds={"json"},
    description=(
        "config/model-defaults.json: the curated last-resort list of major first-party models with "
        "official prices (badge `config`), so the catalog is never empty even with every source down."
    ),
    check_specs=[source_health_spec("model_defaults_raw", DEFAULTS_CADENCE)],
)
def model_defaults_raw(context: dg.AssetExecutionContext) -> SourceEvents:
    now = datetime.now(timezone.utc)
    entries = model_defaults.parse(model_defaults.read())
    outcome = FetchOutcome(
        source=model_defaults.SPEC.name,
        status="ok",
        badge="config",
        url=model_defaults.SPEC.url(),
        entries=entries,
        fetched_at=now,
        attempted_at=now,
    )
    yield from source_events(context, "model_defaults_raw", outcome, DEFAULTS_CADENCE, outcome_metadata(outcome))


@dg.asset(
    name="openrouter_endpoints_raw",
    group_name="sources",
    kinds={"http", "json"},
    ins={"models": dg.AssetIn("openrouter_raw")},
    description=(
        "For each OpenRouter model, the providers that serve it with their own prices, uptime, latency and "
        "throughput (GET /api/v1/models/{id}/endpoints). Bounded fan-out: new models first, then the "
        "stalest, AISI_OPENROUTER_ENDPOINTS_PER_RUN per run (default 60), "
        "AISI_OPENROUTER_ENDPOINTS_CONCURRENCY at a time (default 4); the others keep their last answer."
    ),
    check_specs=[source_health_spec("openrouter_endpoints_raw", ENDPOINTS_CADENCE)],
    freshness_policy=source_freshness_policy(ENDPOINTS_CADENCE),
)
def openrouter_endpoints_raw(
    context: dg.AssetExecutionContext, models: FetchOutcome, http: HttpClientResource, archive: RawArchiveResource
) -> SourceEvents:
    if not is_chosen(openrouter_endpoints.SPEC.name):
        now = datetime.now(timezone.utc)
        outcome = FetchOutcome(source=openrouter_endpoints.SPEC.name, status="skipped", badge=None,
                               url=openrouter_endpoints.endpoint_url("{id}"), entries=[], fetched_at=None, attempted_at=now,
                               error=f"skipped: not in {SOURCES_VARIABLE}")
        yield from source_events(context, "openrouter_endpoints_raw", outcome, ENDPOINTS_CADENCE,
                                 outcome_metadata(outcome))
        return
    listing = models.load_entries(openrouter, archive.open())
    model_ids = [e["id"] for e in listing if isinstance(e, dict) and isinstance(e.get("id"), str)]
    # The listing's host did not answer in this run: the same host is not asked 60 more times.
    run = context.instance.get_run_record_by_id(context.run.run_id)
    outcome = fetch_endpoints(
        model_ids,
        http,
        archive.open(),
        max_per_run=settings().openrouter_endpoints_per_run,
        concurrency=settings().openrouter_endpoints_concurrency,
        down=host_down(models, since=run.create_timestamp if run is not None else None),
    )
    log = context.log.info if outcome.status == "ok" and not outcome.error else context.log.warning
    log(f"openrouter_endpoints: {outcome.pages} models fetched this run, {len(outcome.entries)} endpoints in use"
        + (f"; {outcome.error}" if outcome.error else ""))
    yield from source_events(context, "openrouter_endpoints_raw", outcome, ENDPOINTS_CADENCE,
                             {**outcome_metadata(outcome), "models_listed": len(model_ids)})


def source_assets() -> list[dg.AssetsDefinition]:
    return [build_source_asset(m) for m in HTTP_SOURCES] + [openrouter_endpoints_raw, model_defaults_raw]


def fetch_record(outcome: FetchOutcome) -> dict[str, object]:
    """The outcome without its entries: what ``source_runs`` keeps of the fetch.

    Not ``asdict``: that deep-copies every parsed entry only for them to be dropped."""
    return {f.name: getattr(outcome, f.name) for f in fields(outcome) if f.name != "entries"}
