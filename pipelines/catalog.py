"""The catalog graph: its assets, job, schedule and resources (swap resources, not code)."""


import os

import dagster as dg

from assets.core.assets import catalog
from assets.normalise.assets import records_assets
from assets.publish.assets import duckdb_snapshot, postgres_curated
from assets.sources.assets import source_assets
from assets.sources.registry import key_variables
from resources.archive import RawArchiveResource
from resources.browser import BrowserResource
from resources.http import HttpClientResource
from resources.keys import keys_from_environment
from resources.snapshot_retention import keep_from_env
from resources.warehouse import PostgresResource, SnapshotStoreResource

CATALOG_GROUPS = ("sources", "normalise", "core", "publish")

catalog_job = dg.define_asset_job(
    "catalog_job",
    selection=dg.AssetSelection.groups(*CATALOG_GROUPS),
    description="Fetch every catalog source, normalise, merge and publish a snapshot (and PostgreSQL when configured).",
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": "900"},
)

# The seeds synced every 5 minutes; conditional requests make an unchanged source cheap.
catalog_schedule = dg.ScheduleDefinition(
    name="catalog_every_5_minutes",
    job=catalog_job,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


def all_assets() -> list[dg.AssetsDefinition]:
    return [*source_assets(), *records_assets(), catalog, duckdb_snapshot, postgres_curated]


def default_resources() -> dict[str, object]:
    return {
        "http": HttpClientResource(
            max_attempts=int(os.environ.get("AISI_HTTP_MAX_ATTEMPTS", "3")),
            backoff_initial_s=float(os.environ.get("AISI_HTTP_BACKOFF_S", "0.5")),
        ),
        "archive": RawArchiveResource(),
        "browser": BrowserResource(executable_path=os.environ.get("AISI_CHROMIUM", "/usr/bin/chromium")),
        # Keys are EnvVars: Dagster reads them at run time; they are never stored or logged.
        "api_keys": keys_from_environment(key_variables()),
        "snapshots": SnapshotStoreResource(keep=keep_from_env()[0]),
        # The URL is a secret: resolved by Dagster from the environment at run time, never stored.
        "postgres": PostgresResource(url=dg.EnvVar("AISI_DATABASE_URL")) if os.environ.get("AISI_DATABASE_URL") else PostgresResource(),
    }


def build_definitions() -> dg.Definitions:
    # Imported here: these modules import catalog_job from this one.
    from assets.availability.assets import availability_checks, status_pages
    from pipelines.backfill import backfill_assets, backfill_jobs
    from pipelines.maintenance import maintenance_definitions
    from pipelines.monitor import monitor_resources, monitor_schedules, probe_job, provider_alerts, status_job
    from assets.quality.checks import quality_checks
    from pipelines.notify import notify_definitions

    parts = [notify_definitions(), maintenance_definitions()]
    return dg.Definitions(
        assets=[*all_assets(), status_pages, availability_checks, *backfill_assets(), *(a for p in parts for a in p["assets"])],
        asset_checks=quality_checks(),
        jobs=[catalog_job, status_job, probe_job, *backfill_jobs(), *(j for p in parts for j in p["jobs"])],
        schedules=[catalog_schedule, *monitor_schedules(), *(s for p in parts for s in p["schedules"])],
        sensors=[provider_alerts, *(s for p in parts for s in p["sensors"])],
        resources={**default_resources(), **monitor_resources(), **{k: v for p in parts for k, v in p["resources"].items()}},
    )
