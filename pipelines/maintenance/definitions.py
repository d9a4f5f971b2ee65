"""The daily maintenance job (the seeds' "DB optimisation"; DESIGN: maintenance daily at 03:00).

``maintenance_job`` runs four independent ops (one failing does not stop the others; the run then
fails and ``slack_run_failures`` says so), each reporting what it did in its output metadata:

- ``vacuum_postgres``: VACUUM (ANALYZE) of every table in schemas ``curated`` and ``monitor``
  (autocommit connection); skipped without ``AISI_DATABASE_URL``.
- ``prune_raw_archive``: raw payloads: each URL's last good payload and everything newer than
  ``AISI_RAW_RETENTION_DAYS`` (default 30) stay; older fetch records and unreferenced objects go.
- ``prune_snapshots``: the newest ``AISI_SNAPSHOT_KEEP`` (default 30) and the last of each day for
  ``AISI_SNAPSHOT_DAILY_DAYS`` (default 90) stay, and always the one ``latest.duckdb`` points to.
- ``compact_monitor_store``: rewrites ``$AISI_HOME/monitor/monitor.duckdb`` into a fresh file
  (ATTACH + COPY FROM DATABASE, atomic replace under the store's lock); forgets settled Slack
  notifications older than ``AISI_MONITOR_RETENTION_DAYS``.

Schedule ``maintenance_daily_0300`` (03:00 UTC), stopped by default (``AISI_MAINTENANCE_AUTOSTART=1``, pipelines/autostart.py
starts it). Resources: ``postgres``, ``archive``, ``snapshots`` (the catalog's) and ``monitor``.
"""


from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, Mapping

import dagster as dg

from core.notify.outbox import MAX_DELIVERY_ATTEMPTS
from core.stores.monitor import DuckDBMonitorStore
from core.stores.monitor import retention_days as monitor_retention_days
from pipelines.autostart import schedule_status
from pipelines.maintenance.monitor_store import compact_duckdb, prune_notifications
from pipelines.maintenance.postgres import SCHEMAS, vacuum_analyze
from pipelines.maintenance.raw import prune_raw_archive
from pipelines.maintenance.raw import retention_days as raw_retention_days
from pipelines.maintenance.snapshots import keep_from_env, prune_snapshots
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.defaults import shared_resources
from pipelines.resources.monitor import MonitorStoreResource
from pipelines.resources.warehouse import PostgresResource, SnapshotStoreResource


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _mib(n: int) -> float:
    return round(n / 1048576, 3)


@dg.op(name="vacuum_postgres", description="VACUUM (ANALYZE) every table of PostgreSQL schemas curated and monitor.")
def vacuum_postgres(context: dg.OpExecutionContext, postgres: PostgresResource) -> dg.Output[dict]:
    if not postgres.url:
        return dg.Output({"skipped": True}, metadata={"skipped": "AISI_DATABASE_URL is not set: no PostgreSQL to vacuum"})
    tables = vacuum_analyze(postgres.url, SCHEMAS)
    dead = sum(int(t["dead_tuples"]) for t in tables)
    freed = sum(int(t["bytes"]) - int(t["bytes_after"]) for t in tables)
    context.log.info(f"vacuumed and analyzed {len(tables)} tables; {dead} dead tuples before")
    return dg.Output(
        {"tables": len(tables), "dead_tuples_before": dead},
        metadata={
            "schemas": ", ".join(SCHEMAS),
            "tables": len(tables),
            "dead_tuples_removed": dead,
            "bytes_freed": freed,
            "per_table": dg.MetadataValue.md("\n".join(
                ["| table | dead tuples before | MiB before | MiB after | s |", "|---|---|---|---|---|"]
                + [f"| {t['schema_name']}.{t['table_name']} | {t['dead_tuples']} | {_mib(int(t['bytes']))} | "
                   f"{_mib(int(t['bytes_after']))} | {t['seconds']} |" for t in tables]
            )),
        },
    )


@dg.op(name="prune_raw_archive", description="Raw payloads: keep each URL's last good one and the last AISI_RAW_RETENTION_DAYS days.")
def prune_raw_archive_op(context: dg.OpExecutionContext, archive: RawArchiveResource) -> dg.Output[dict]:
    root = archive.open().root
    report = prune_raw_archive(root, _now(), raw_retention_days())
    context.log.info(f"raw archive: {report.fetches_deleted} fetch records and {report.objects_deleted} payloads removed")
    return dg.Output(asdict(report), metadata={
        "retention_days": raw_retention_days(),
        "cutoff": report.cutoff,
        "fetch_records_deleted": report.fetches_deleted,
        "fetch_records_before": report.fetches_before,
        "objects_deleted": report.objects_deleted,
        "objects_kept": report.objects_kept,
        "temp_files_deleted": report.temp_files_deleted,
        "bytes_freed": report.object_bytes_freed + max(report.index_bytes_before - report.index_bytes_after, 0),
        "index_bytes_before": report.index_bytes_before,
        "index_bytes_after": report.index_bytes_after,
        "index_vacuumed": report.index_vacuumed,
    })


@dg.op(name="prune_snapshots", description="Snapshots: keep the newest AISI_SNAPSHOT_KEEP, the last of each day for AISI_SNAPSHOT_DAILY_DAYS, and latest.")
def prune_snapshots_op(context: dg.OpExecutionContext, snapshots: SnapshotStoreResource) -> dg.Output[dict]:
    store = snapshots.open()
    keep, daily_days = keep_from_env()
    report = prune_snapshots(store.directory, store.latest_path(), store.snapshots() if store.directory.exists() else [],
                             _now(), keep, daily_days)
    context.log.info(f"snapshots: {len(report.deleted)} deleted, {report.kept} kept")
    return dg.Output(asdict(report), metadata={
        "keep_newest": keep,
        "keep_daily_days": daily_days,
        "deleted": len(report.deleted),
        "deleted_snapshots": dg.MetadataValue.json(report.deleted),
        "bytes_freed": report.bytes_freed,
        "kept": report.kept,
        "kept_as_last_of_day": report.kept_daily,
    })


@dg.op(name="compact_monitor_store", description="Rewrites the embedded monitor store into a fresh file; forgets old settled notifications.")
def compact_monitor_store(context: dg.OpExecutionContext, monitor: MonitorStoreResource) -> dg.Output[dict]:
    store = monitor.open()
    try:
        if isinstance(store, DuckDBMonitorStore) and store.exists():
            store.migrate()  # the notifications table exists before it is pruned
        forgotten = prune_notifications(store, _now(), monitor_retention_days(), MAX_DELIVERY_ATTEMPTS)
    finally:
        store.close()
    metadata: dict[str, object] = {"notifications_deleted": forgotten}
    if isinstance(store, DuckDBMonitorStore):
        report = compact_duckdb(store.path)
        metadata.update({
            "path": report.path, "bytes_before": report.bytes_before, "bytes_after": report.bytes_after,
            "bytes_freed": report.bytes_before - report.bytes_after, "tables": report.tables, "rows": report.rows,
        })
        if report.skipped:
            metadata["skipped"] = report.skipped
        context.log.info(f"monitor store: {report.bytes_before} -> {report.bytes_after} bytes"
                         + (f" ({report.skipped})" if report.skipped else ""))
    else:
        metadata["compaction"] = "PostgreSQL: VACUUM (vacuum_postgres) reclaims the monitor schema"
    return dg.Output({k: v for k, v in metadata.items()}, metadata=metadata)


@dg.job(
    name="maintenance_job",
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": "3600"},
    description="Daily maintenance: VACUUM/ANALYZE PostgreSQL, raw payload and snapshot retention, monitor store compaction.",
)
def maintenance_job() -> None:
    vacuum_postgres()
    prune_raw_archive_op()
    prune_snapshots_op()
    compact_monitor_store()


maintenance_schedule = dg.ScheduleDefinition(
    name="maintenance_daily_0300",
    job=maintenance_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=schedule_status("maintenance"),
)


def definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The maintenance area: its job and schedule, on the shared resources (``postgres``,
    ``archive``, ``snapshots``, ``monitor``) given by the root, or the defaults when run alone."""
    return dg.Definitions(jobs=[maintenance_job], schedules=[maintenance_schedule], resources=dict(resources or shared_resources()))
