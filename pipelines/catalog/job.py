"""The catalog job and the source schedules, one per cadence.

Its own module so that the areas watching it (notify's run sensors) import it without the
code location root.

Each source declares its cadence (a cron string in its spec): provider APIs every 5 minutes,
aggregators hourly, pricing pages and Artificial Analysis every 6 hours, LMArena daily. One job
and schedule per distinct cadence fetches those sources only; the assets derived from them
(records, the merge, the warehouse commit, the snapshot) follow through their automation
condition whenever an input's data version changed, so an unchanged fetch stops there.

Every catalog run (the job, the cadence jobs and the automation runs) executes its steps as
``AISI_EXECUTOR`` says: in the run's own process (the default), or each step in a process of its
own so that sources are fetched in parallel (``multiprocess``, at most
``AISI_EXECUTOR_MAX_CONCURRENCY`` at a time). Steps hand their outputs over through files
(``RunScopedIOManager``), so both work; the ``browser`` pool keeps rendered pages one at a time
either way.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from core.settings import settings
from core.sources import cadence as cadences
from core.sources.registry import ALL_SOURCES
from pipelines.areas import definition_modules
from pipelines.autostart import schedule_status, sensor_status

CATALOG_GROUPS = ("sources", "normalise", "core", "warehouse", "publish")
# Tags every catalog run carries (queue limits key on them).
CATALOG_TAGS = {"aisi/area": "catalog"}


def catalog_executor() -> dg.ExecutorDefinition:
    """The executor of catalog runs, as ``AISI_EXECUTOR`` (and ``AISI_EXECUTOR_MAX_CONCURRENCY``) say now."""
    env = settings()
    if env.executor == "in_process":
        return dg.in_process_executor
    # Each step's process is forked from a server that has imported Dagster and every area once
    # (pipelines/areas.py), so a step starts in a fraction of a second, not two.
    preload = definition_modules()
    return dg.multiprocess_executor.configured({
        "max_concurrent": env.executor_max_concurrency or 0,  # 0: the number of CPUs
        "start_method": {"forkserver": {"preload_modules": ["pipelines.definitions", *preload]}},
    })


catalog_job = dg.define_asset_job(
    "catalog_job",
    selection=dg.AssetSelection.groups(*CATALOG_GROUPS),
    description="Fetch every catalog source, normalise, merge, commit to the warehouse and publish a snapshot.",
    executor_def=catalog_executor(),
    tags={"dagster/max_runtime": "900", **CATALOG_TAGS},
)

# Sources without a cadence of their own (the curated defaults file) ride with the hourly ones.
UNSCHEDULED_WITH = "0 * * * *"


def _label(cron: str) -> str:
    """``*/5 * * * *`` -> ``every_5_minutes``, ``0 */6 * * *`` -> ``every_6_hours``, else daily/weekly."""
    gap = cadences.interval(cron) or timedelta(days=1)
    minutes = int(gap.total_seconds() // 60)
    if minutes < 60:
        return f"every_{minutes}_minutes"
    if minutes < 24 * 60:
        return "hourly" if minutes == 60 else f"every_{minutes // 60}_hours"
    return "daily" if minutes == 24 * 60 else f"every_{minutes // (24 * 60)}_days"


def sources_by_cadence() -> dict[str, list[str]]:
    """Cron string -> the source assets fetched on it."""
    by_cadence: dict[str, list[str]] = {}
    for module in ALL_SOURCES:
        cron = module.SPEC.schedule() or UNSCHEDULED_WITH
        by_cadence.setdefault(cron, []).append(f"{module.SPEC.name}_raw")
    return by_cadence


def cadence_schedules() -> list[dg.ScheduleDefinition]:
    """One job and schedule per cadence, named after it (``sources_every_5_minutes``); stopped
    unless the catalog area autostarts (pipelines/autostart.py)."""
    default_status = schedule_status("catalog")
    schedules = []
    for cron, assets in sorted(sources_by_cadence().items(), key=lambda item: cadences.interval(item[0]) or timedelta(0)):
        name = f"sources_{_label(cron)}"
        job = dg.define_asset_job(
            name,
            selection=dg.AssetSelection.assets(*assets),
            description=f"Fetch the sources on cadence `{cron}` (UTC): {', '.join(a.removesuffix('_raw') for a in assets)}. "
                        "What depends on them runs when their data changed.",
            executor_def=catalog_executor(),
            tags={"dagster/max_runtime": "900", **CATALOG_TAGS},
        )
        schedules.append(dg.ScheduleDefinition(
            name=name, job=job, cron_schedule=cron, execution_timezone="UTC", default_status=default_status,
            description=f"Fetches {len(assets)} source(s) on `{cron}`.",
        ))
    return schedules


def catalog_automation() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the derived assets' automation condition (``on_input_change``) and launches
    their runs, tagged as catalog runs so the run queue keeps them one at a time."""
    return dg.AutomationConditionSensorDefinition(
        "catalog_automation",
        target=dg.AssetSelection.groups(*CATALOG_GROUPS[1:]),
        run_tags=CATALOG_TAGS,
        default_status=sensor_status("catalog"),
        description="Runs the records, merge, warehouse commit and snapshot when a source's data (or the code) changed.",
    )
