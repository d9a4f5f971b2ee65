"""The daily report's figures: the latest snapshot (sources, counts, changes of the last 24 h),
the Dagster instance (failed runs) and the availability monitor's store (uptime over 24 h)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg

from core.notify.messages import ReportData, rows_of


def gather(snapshots: Any, monitor: Any, instance: dg.DagsterInstance | None, now: datetime, day: date) -> ReportData:
    data = ReportData(day=day)
    counts = rows_of(snapshots.read_table("notify/report_counts.sql"))
    data.counts = counts[0] if counts else None
    data.sources = rows_of(snapshots.read_table("notify/report_sources.sql"))
    if data.counts is not None:
        changes = snapshots.read_table("notify/report_changes.sql")  # None: no changes feed in this snapshot
        data.changes = None if changes is None else rows_of(changes)
    else:
        data.changes = []
    if instance is not None:
        records = instance.get_run_records(filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.FAILURE], updated_after=now - timedelta(hours=24)))
        data.failed_runs = dict(Counter(r.dagster_run.job_name for r in records))
    if monitor is not None:
        try:
            data.uptime = [r for r in monitor.query("monitor/queries/uptime.sql") if r["period"] == "24h"]
        except Exception as exc:  # the report goes out without uptime rather than not at all
            data.notes.append(f"uptime unavailable: {type(exc).__name__}")
    return data
