"""Slack notifications as Dagster definitions (DESIGN "Orchestration": run failure, blocking check
failure, source degraded to cached / config, price change and new model -> Slack; a daily report).

- ``slack_run_failures`` (run failure sensor, every job of the code location): one message per
  failed run (job, error, link to the run), and one per blocking asset check that failed in it
  (which check, sample rows from its metadata), read from the run's ASSET_CHECK_EVALUATION events.
- ``slack_catalog_updates`` (run status sensor, any successful run that published a snapshot): from
  the latest published snapshot, one "API Failure Alert" per source that is degraded (cached / config) per streak (since
  its first degraded run), and one digest of the run's price changes and new models (top N).
- ``slack_outbox``: posts what an earlier attempt could not (a Slack outage), every minute, a
  bounded number of times.
- ``daily_report_job`` on ``daily_report_0800`` (08:00 UTC): sources and badges, counts, changes
  and failures of the last 24 h, uptime where the monitor knows it.

Every message goes through the outbox (``core/notify/outbox.py``): recorded once under a dedup
key in the monitor store's ``notifications`` table, so an evaluation seen twice posts nothing
twice, and a failed post never fails a run or a tick. Sensors and the schedule are stopped by
default; ``AISI_NOTIFY_AUTOSTART=1`` starts them (pipelines/autostart.py).

Resources: ``slack_notify`` (here), ``monitor`` and ``snapshots`` (the monitor's and the catalog's).
"""


from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping

import dagster as dg

from core.notify import messages
from core.notify.outbox import deliver_pending, notify, summary
from pipelines.notify.channel import SlackNotifyResource, slack_notify_from_environment
from pipelines.notify.events import failed_blocking_checks, run_errors
from pipelines.autostart import schedule_status, sensor_status
from pipelines.notify.report import gather
from pipelines.resources.defaults import shared_resources
from pipelines.resources.monitor import MonitorStoreResource
from pipelines.resources.warehouse import SnapshotStoreResource

SNAPSHOT_ASSET = dg.AssetKey("duckdb_snapshot")

SCHEDULED_TAG = "dagster/scheduled_execution_time"


def _now() -> datetime:
    return datetime.now(timezone.utc)


@contextmanager
def opened(monitor: MonitorStoreResource) -> Iterator[Any]:
    """The monitor store for one evaluation; PostgreSQL's connection pool is closed afterwards."""
    store = monitor.open()
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()


@dg.run_failure_sensor(
    name="slack_run_failures",
    minimum_interval_seconds=30,
    default_status=sensor_status("notify"),
    description=(
        "Slack: one message per failed run (job, error, link to the run) and one per blocking asset check that "
        "failed in it (which check, sample rows from its metadata). Recorded once in the monitor store's "
        "notifications table; a failed post is retried by slack_outbox."
    ),
)
def slack_run_failures(context: dg.RunFailureSensorContext, monitor: MonitorStoreResource,
                       slack_notify: SlackNotifyResource) -> dg.SkipReason:
    run = context.dagster_run
    now = _now()
    url = slack_notify.run_url(run.run_id)
    notes = [messages.run_failure(run.job_name, run.run_id, run_errors(context), url, now)]
    notes += [messages.check_failed(run.job_name, run.run_id, check, url, now)
              for check in failed_blocking_checks(context.instance, run.run_id)]
    with opened(monitor) as store:
        outcome = notify(store, notes, slack_notify.channels(), now)
    return dg.SkipReason(summary(outcome))


def catalog_notifications(snapshots: SnapshotStoreResource, slack_notify: SlackNotifyResource, run_id: str,
                          now: datetime) -> list[messages.Notification]:
    """What a successful catalog run calls for, read from the latest published snapshot."""
    store = snapshots.open()
    notes = [messages.source_degraded(row, now) for row in messages.rows_of(store.read_table("notify/degraded_sources.sql"))]
    # None when the snapshot predates the changes feed (sql/migrations/0004_changes.sql): no digest.
    changes = store.read_table("notify/recent_changes.sql")
    digest = messages.changes_digest(run_id, messages.keep_run(messages.rows_of(changes), run_id),
                                     slack_notify.run_url(run_id), slack_notify.top(), now)
    return notes + ([digest] if digest else [])


def published_snapshot(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run published a snapshot: a catalog run whose sources were unchanged, or a run
    of another job, did not (sources run on their own cadence, derived assets by automation)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return any(r.asset_key == SNAPSHOT_ASSET for r in records)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="slack_catalog_updates",
    minimum_interval_seconds=30,
    default_status=sensor_status("notify"),
    description=(
        "Slack after each successful run that published a snapshot (catalog_job, or the runs automation "
        "starts when a source's data changed), from the latest snapshot: an 'API Failure Alert' per source "
        "degraded to cached or config (which source, error, since its first degraded run; once per streak) and a "
        "digest of the run's price changes and new models (top AISI_SLACK_DIGEST_TOP, default 10)."
    ),
)
def slack_catalog_updates(context: dg.RunStatusSensorContext, snapshots: SnapshotStoreResource,
                          monitor: MonitorStoreResource, slack_notify: SlackNotifyResource) -> dg.SkipReason:
    if not published_snapshot(context.instance, context.dagster_run.run_id):
        return dg.SkipReason(f"run {context.dagster_run.run_id} published no snapshot")
    now = _now()
    notes = catalog_notifications(snapshots, slack_notify, context.dagster_run.run_id, now)
    with opened(monitor) as store:
        outcome = notify(store, notes, slack_notify.channels(), now)
    return dg.SkipReason(summary(outcome))


@dg.sensor(
    name="slack_outbox",
    minimum_interval_seconds=60,
    default_status=sensor_status("notify"),
    description="Posts the Slack notifications an earlier attempt could not deliver (at most 10 attempts each).",
)
def slack_outbox(context: dg.SensorEvaluationContext, monitor: MonitorStoreResource,
                 slack_notify: SlackNotifyResource) -> dg.SkipReason:
    with opened(monitor) as store:
        outcome = deliver_pending(store, slack_notify.channels(), _now())
    return dg.SkipReason(f"delivered {outcome['delivered']}, failed {outcome['failed']}")


@dg.op(
    name="daily_report",
    description="Builds the daily report (sources and badges, counts, changes and failures of 24 h, uptime) and posts it once per day.",
)
def daily_report_op(context: dg.OpExecutionContext, snapshots: SnapshotStoreResource, monitor: MonitorStoreResource,
                    slack_notify: SlackNotifyResource) -> dg.Output[dict]:
    now = _now()
    scheduled = context.run.tags.get(SCHEDULED_TAG)
    day = (datetime.fromisoformat(scheduled) if scheduled else now).astimezone(timezone.utc).date()
    with opened(monitor) as store:
        data = gather(snapshots.open(), store, context.instance, now, day)
        note = messages.daily_report(data, now)
        outcome = notify(store, [note], slack_notify.channels(), now)
    context.log.info(summary(outcome))
    return dg.Output(
        {"dedup_key": note.dedup_key, **{k: v for k, v in outcome.items() if k != "recorded"}},
        metadata={
            "dedup_key": note.dedup_key,
            "channel": ",".join(c.channel for c in slack_notify.channels()),
            "delivered": outcome["delivered"],
            "failed": outcome["failed"],
            "report": dg.MetadataValue.md(note.text()),
        },
    )


@dg.job(
    name="daily_report_job",
    executor_def=dg.in_process_executor,
    tags={"dagster/max_runtime": "300"},
    description="The daily Slack report: sources and their badges, counts, changes and failures in 24 h, uptime.",
)
def daily_report_job() -> None:
    daily_report_op()


daily_report_schedule = dg.ScheduleDefinition(
    name="daily_report_0800",
    job=daily_report_job,
    cron_schedule="0 8 * * *",
    execution_timezone="UTC",
    default_status=schedule_status("notify"),
)


def definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The notify area: its job, schedule, sensors and ``slack_notify`` resource, on the shared
    resources (``monitor``, ``snapshots``) given by the root, or the defaults when run alone."""
    return dg.Definitions(
        jobs=[daily_report_job],
        schedules=[daily_report_schedule],
        sensors=[slack_run_failures, slack_catalog_updates, slack_outbox],
        resources={**(resources or shared_resources()), "slack_notify": slack_notify_from_environment()},
    )
