"""The catalog job and its schedule: the graph of groups sources, normalise, core and publish.

Its own module so that the areas watching it (notify's run sensors) import it without the
code location root."""

import dagster as dg

CATALOG_GROUPS = ("sources", "normalise", "core", "warehouse", "publish")

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
