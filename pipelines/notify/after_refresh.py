"""The notifications of ``aisi refresh``'s runs, recorded and flushed by the refresh itself.

A refresh run from cron or by hand has no daemon evaluating the sensors, so it does their work
for its own runs: a failed run gives ``run_failure`` (and one ``check_failed`` per blocking check
that failed in it), a run that published a snapshot gives the degraded-source alerts and the
changes digest. The dedup keys are the sensors' own, so when a daemon runs too each event is
still one message, whoever records it first. Then the whole outbox is flushed
(``core.notify.flush``) to the configured channels. Nothing configured: nothing is recorded.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

import dagster as dg

from core.notify import messages
from core.notify.channels import configured_channels
from core.notify.flush import FlushReport, flush
from core.settings import settings
from core.stores.monitor import PostgresMonitorStore, open_monitor_store
from pipelines.notify.events import failed_blocking_checks
from pipelines.resources.warehouse import SnapshotStoreResource


def step_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``step: error`` for each failed step of a run, else the run's own failure message (as the
    run failure sensor words them)."""
    errors: list[str] = []
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        data = event.step_failure_data if event is not None else None
        error = data.error if data is not None else None
        while error is not None and getattr(error, "cause", None) is not None:
            error = error.cause
        message = error.message.strip() if error is not None else (record.event_log_entry.message or "failed")
        errors.append(f"{event.step_key if event is not None else '?'}: {message.replace('dagster._core.errors.', '')}")
    if not errors:
        failures = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        if failures and failures[-1].event_log_entry.message:
            errors.append(failures[-1].event_log_entry.message.strip())
    return errors


def refresh_notifications(instance: dg.DagsterInstance, run_ids: Sequence[str], now: datetime) -> list[messages.Notification]:
    """What the sensors would record for these runs."""
    # Slack's client and the notify area's definitions load only when a channel is configured.
    from pipelines.notify.channel import SlackNotifyResource
    from pipelines.notify.definitions import catalog_notifications, published_snapshot

    env = settings()
    links = SlackNotifyResource(dagster_url=env.dagster_url, digest_top=env.slack_digest_top)  # no secret: URLs and top N only
    notes: list[messages.Notification] = []
    for run_id in dict.fromkeys(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        url = links.run_url(run_id)
        if run.status == dg.DagsterRunStatus.FAILURE:
            notes.append(messages.run_failure(run.job_name, run_id, step_errors(instance, run_id), url, now))
            notes += [messages.check_failed(run.job_name, run_id, check, url, now)
                      for check in failed_blocking_checks(instance, run_id)]
        elif run.status == dg.DagsterRunStatus.SUCCESS and published_snapshot(instance, run_id):
            notes += catalog_notifications(SnapshotStoreResource(), links, run_id, now)
    return notes


def notify_refresh(run_ids: Sequence[str], instance: dg.DagsterInstance | None = None, now: datetime | None = None) -> FlushReport:
    """Records the notifications of a refresh's runs and flushes the outbox; never raises."""
    channels = configured_channels()
    if not channels:
        return FlushReport()
    now = now or datetime.now(timezone.utc)
    try:
        notes = refresh_notifications(instance or dg.DagsterInstance.get(), run_ids, now)
        store = open_monitor_store()
    except Exception as exc:  # the refresh's data is published either way; a later flush delivers what is pending
        return FlushReport([c.channel for c in channels], error=f"{type(exc).__name__}: {str(exc)[:300]}")
    try:
        if isinstance(store, PostgresMonitorStore):
            store.ensure_migrated()
        return flush(store, notes, now, channels)
    except Exception as exc:
        return FlushReport([c.channel for c in channels], error=f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        store.close()
