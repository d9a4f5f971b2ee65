"""The catalog graph: its assets, job, schedule and resources (swap resources, not code)."""


import os

import dagster as dg

from assets.core.assets import catalog
from assets.normalise.assets import records_assets
from assets.publish.assets import duckdb_snapshot, warehouse_history
from assets.sources.assets import source_assets
from assets.sources.registry import key_variables
from pipelines.catalog_job import CATALOG_GROUPS, cadence_schedules, catalog_automation, catalog_job  # noqa: F401 (re-exported)
from pipelines.incremental import on_input_change
from resources.archive import RawArchiveResource
from resources.browser import BrowserResource
from resources.code_version import derivation_version
from resources.http import HttpClientResource
from resources.keys import keys_from_environment
from resources.run_storage import RunScopedIOManager
from resources.snapshot_retention import keep_from_env
from resources.warehouse import PostgresResource, SnapshotStoreResource, WarehouseResource


def derived_assets() -> list[dg.AssetsDefinition]:
    """Everything computed from the sources' payloads, versioned by the code that computes it
    and run when an input's data version (or that code) changed."""
    version = derivation_version()
    return list(dg.map_asset_specs(
        lambda spec: spec.replace_attributes(code_version=version, automation_condition=on_input_change()),
        [*records_assets(), catalog, warehouse_history, duckdb_snapshot],
    ))


def all_assets() -> list[dg.AssetsDefinition]:
    return [*source_assets(), *derived_assets()]


def default_resources() -> dict[str, object]:
    return {
        "http": HttpClientResource(
            max_attempts=int(os.environ.get("AISI_HTTP_MAX_ATTEMPTS", "3")),
            backoff_initial_s=float(os.environ.get("AISI_HTTP_BACKOFF_S", "0.5")),
        ),
        # Each run's outputs in a folder of its own: concurrent runs never read each other's files.
        "io_manager": RunScopedIOManager(),
        "archive": RawArchiveResource(),
        "browser": BrowserResource(executable_path=os.environ.get("AISI_CHROMIUM", "/usr/bin/chromium")),
        # Keys are EnvVars: Dagster reads them at run time; they are never stored or logged.
        "api_keys": keys_from_environment(key_variables()),
        "snapshots": SnapshotStoreResource(keep=keep_from_env()[0]),
        # The URL is a secret: resolved by Dagster from the environment at run time, never stored.
        "postgres": PostgresResource(url=dg.EnvVar("AISI_DATABASE_URL")) if os.environ.get("AISI_DATABASE_URL") else PostgresResource(),
        "warehouse": WarehouseResource(url=dg.EnvVar("AISI_DATABASE_URL")) if os.environ.get("AISI_DATABASE_URL") else WarehouseResource(),
    }


def build_definitions() -> dg.Definitions:
    # Imported here: the other areas are loaded only when the definitions are built.
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
        schedules=[*cadence_schedules(), *monitor_schedules(), *(s for p in parts for s in p["schedules"])],
        sensors=[catalog_automation(), provider_alerts, *(s for p in parts for s in p["sensors"])],
        resources={**default_resources(), **monitor_resources(), **{k: v for p in parts for k, v in p["resources"].items()}},
    )
