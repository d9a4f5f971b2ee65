"""The availability monitor's jobs, per-minute schedules and alert sensor (DESIGN: "monitor
(every minute): status pages + active probes -> availability time series")."""


import json
import os
from contextlib import closing
from datetime import datetime, timezone

import dagster as dg

from assets.availability.assets import availability_checks, status_pages
from resources.monitor import AlertChannelResource, MonitorStoreResource
from resources.settings import flag_setting

MONITOR_TAGS = {"dagster/max_runtime": "120"}

status_job = dg.define_asset_job(
    "status_job", selection=[status_pages], executor_def=dg.in_process_executor, tags=MONITOR_TAGS,
    description="Read every configured provider status page once.",
)
probe_job = dg.define_asset_job(
    "probe_job", selection=[availability_checks], executor_def=dg.in_process_executor, tags=MONITOR_TAGS,
    description="Probe every provider once (and run the canaries when configured).",
)


def _default_status() -> dg.DefaultScheduleStatus:
    # Off until switched on in the UI, or on from the start with AISI_MONITOR_AUTOSTART=1.
    on = flag_setting("AISI_MONITOR_AUTOSTART")
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def monitor_schedules() -> list[dg.ScheduleDefinition]:
    return [
        dg.ScheduleDefinition(name=f"{job.name.removesuffix('_job')}_every_minute", job=job, cron_schedule="* * * * *",
                              execution_timezone="UTC", default_status=_default_status())
        for job in (status_job, probe_job)
    ]


@dg.sensor(
    name="provider_alerts",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING if _default_status() == dg.DefaultScheduleStatus.RUNNING else dg.DefaultSensorStatus.STOPPED,
    description=(
        "Alerts when a provider goes down (AISI_MONITOR_DOWN_AFTER probes in a row failed, default 3, or its "
        "status page says major/critical), once per outage, and once when it recovers. The cursor holds "
        "which providers are down; alerts go through the notifications outbox under a dedup key."
    ),
)
def provider_alerts(context: dg.SensorEvaluationContext, monitor: MonitorStoreResource, alert_channel: AlertChannelResource) -> dg.SkipReason:
    from assets.availability.alerts import dispatch, transitions
    from assets.availability.health import current_health, down_after_from_env
    from assets.availability.targets import load_targets

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


def monitor_resources() -> dict[str, object]:
    return {
        "monitor": MonitorStoreResource(database_url=dg.EnvVar("AISI_DATABASE_URL")) if os.environ.get("AISI_DATABASE_URL") else MonitorStoreResource(),
        "alert_channel": AlertChannelResource(slack_webhook_url=dg.EnvVar("SLACK_WEBHOOK_URL")) if os.environ.get("SLACK_WEBHOOK_URL") else AlertChannelResource(),
    }
