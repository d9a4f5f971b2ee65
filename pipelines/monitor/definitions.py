"""The availability monitor's jobs, per-minute schedules and alert sensor (DESIGN: "monitor
(every minute): status pages + active probes -> availability time series")."""


import json
from contextlib import closing
from datetime import datetime, timezone
from typing import Any, Mapping

import dagster as dg

from pipelines.autostart import schedule_status, sensor_status
from pipelines.monitor.assets import availability_checks, status_pages
from pipelines.resources.defaults import shared_resources
from pipelines.resources.monitor import AlertChannelResource, MonitorStoreResource

MONITOR_TAGS = {"dagster/max_runtime": "120"}

status_job = dg.define_asset_job(
    "status_job", selection=[status_pages], executor_def=dg.in_process_executor, tags=MONITOR_TAGS,
    description="Read every configured provider status page once.",
)
probe_job = dg.define_asset_job(
    "probe_job", selection=[availability_checks], executor_def=dg.in_process_executor, tags=MONITOR_TAGS,
    description="Probe every provider once (and run the canaries when configured).",
)


def monitor_schedules() -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(name=f"{job.name.removesuffix('_job')}_every_minute", job=job, cron_schedule="* * * * *",
                              execution_timezone="UTC", default_status=schedule_status("monitor"))
        for job in (status_job, probe_job)
    ]


@dg.sensor(
    name="provider_alerts",
    minimum_interval_seconds=60,
    default_status=sensor_status("monitor"),
    description=(
        "Alerts when a provider goes down (AISI_MONITOR_DOWN_AFTER probes in a row failed, default 3, or its "
        "status page says major/critical), once per outage, and once when it recovers. The cursor holds "
        "which providers are down; alerts go through the notifications outbox under a dedup key."
    ),
)
def provider_alerts(context: dg.SensorEvaluationContext, monitor: MonitorStoreResource, alert_channel: AlertChannelResource) -> dg.SkipReason:
    from core.availability.alerts import dispatch, transitions
    from core.availability.health import current_health, down_after_from_env
    from core.availability.targets import load_targets

    now = datetime.now(timezone.utc)
    with closing(monitor.open()) as store:
        health = current_health(store, [p.provider_id for p in load_targets()], now, down_after_from_env())
        cursor = json.loads(context.cursor) if context.cursor else {}
        alerts, following = transitions(cursor, health, now)
        outcome = dispatch(store, alerts, alert_channel.sink(), now)
    context.update_cursor(json.dumps(following, sort_keys=True))
    down = sorted(pid for pid, h in health.items() if h.down)
    return dg.SkipReason(
        f"{len(alerts)} new alert(s) ({', '.join(a.dedup_key for a in alerts) or 'none'}); delivered {outcome['delivered']}, "
        f"failed {outcome['failed']}; down now: {', '.join(down) or 'none'}"
    )


def definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The monitor area: status pages and probes, their jobs and per-minute schedules, the alert
    sensor; on the shared resources (``monitor``, ``alert_channel``, ``api_keys``) given by the root,
    or the defaults when run alone."""
    return dg.Definitions(
        assets=[status_pages, availability_checks],
        jobs=[status_job, probe_job],
        schedules=monitor_schedules(),
        sensors=[provider_alerts],
        resources=dict(resources or shared_resources()),
    )
