"""Source assets (group ``sources``): one per source, fetching and archiving its payload."""


import os
from dataclasses import fields
from datetime import datetime, timezone

import dagster as dg

from assets.sources import model_defaults
from assets.sources.fanout import fetch_endpoints
from assets.sources.fetch import FetchOutcome, fetch_source
from assets.sources.registry import HTTP_SOURCES
from assets.sources.spec import SourceModule, SourceSpec
from resources.archive import RawArchiveResource
from resources.browser import BrowserResource
from resources.http import HttpClientResource
from resources.keys import ApiKeysResource


def outcome_metadata(outcome: FetchOutcome) -> dict[str, object]:
    return {
        "status": outcome.status,
        "badge": outcome.badge or "none",
        "url": dg.MetadataValue.url(outcome.url) if outcome.url.startswith("http") else outcome.url,
        "http_status": outcome.http_status if outcome.http_status is not None else "none",
        "entries": len(outcome.entries),
        "payload_sha256": outcome.sha256 or "none",
        "not_modified": outcome.not_modified,
        "attempts": outcome.attempts,
        "pages": outcome.pages,
        "summary": outcome.summary,
    }


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

    @dg.asset(
        name=f"{spec.name}_raw",
        group_name="sources",
        kinds={"chromium", "html"} if spec.rendered else {"http", "json"},
        pool="browser" if spec.rendered else None,
        description=_description(spec),
        metadata={"source_docs": spec.docs_url, "url_variable": spec.url_variable, "cadence": spec.cadence},
    )
    def _source(
        context: dg.AssetExecutionContext,
        http: HttpClientResource,
        archive: RawArchiveResource,
        api_keys: ApiKeysResource,
        browser: BrowserResource,
    ) -> FetchOutcome:
        outcome = fetch_source(module, http, archive.open(), api_keys.key_for(spec.name), browser=browser)
        log = context.log.info if outcome.status in ("ok", "skipped") else context.log.warning
        log(f"{spec.name}: {outcome.summary}")
        context.add_output_metadata(outcome_metadata(outcome))
        return outcome

    return _source


@dg.asset(
    name="model_defaults_raw",
    group_name="sources",
    kinds={"json"},
    description=(
        "config/model-defaults.json: the curated last-resort list of major first-party models with "
        "official prices (badge `config`), so the catalog is never empty even with every source down."
    ),
)
def model_defaults_raw(context: dg.AssetExecutionContext) -> FetchOutcome:
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
    context.add_output_metadata(outcome_metadata(outcome))
    return outcome


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
)
def openrouter_endpoints_raw(
    context: dg.AssetExecutionContext, models: FetchOutcome, http: HttpClientResource, archive: RawArchiveResource
) -> FetchOutcome:
    model_ids = [e["id"] for e in models.entries if isinstance(e, dict) and isinstance(e.get("id"), str)]
    outcome = fetch_endpoints(
        model_ids,
        http,
        archive.open(),
        max_per_run=int(os.environ.get("AISI_OPENROUTER_ENDPOINTS_PER_RUN", "60")),
        concurrency=int(os.environ.get("AISI_OPENROUTER_ENDPOINTS_CONCURRENCY", "4")),
    )
    log = context.log.info if outcome.status == "ok" and not outcome.error else context.log.warning
    log(f"openrouter_endpoints: {outcome.pages} models fetched this run, {len(outcome.entries)} endpoints in use"
        + (f"; {outcome.error}" if outcome.error else ""))
    context.add_output_metadata({**outcome_metadata(outcome), "models_listed": len(model_ids)})
    return outcome


def source_assets() -> list[dg.AssetsDefinition]:
    return [build_source_asset(m) for m in HTTP_SOURCES] + [openrouter_endpoints_raw, model_defaults_raw]


def fetch_record(outcome: FetchOutcome) -> dict[str, object]:
    """The outcome without its entries: what ``source_runs`` keeps of the fetch.

    Not ``asdict``: that deep-copies every parsed entry only for them to be dropped."""
    return {f.name: getattr(outcome, f.name) for f in fields(outcome) if f.name != "entries"}
