"""Dagster resources of the availability monitor: its store and where alerts go."""


from pathlib import Path
from typing import Optional

import dagster as dg

from core.stores.monitor import MonitorStore, PostgresMonitorStore, open_monitor_store


class MonitorStoreResource(dg.ConfigurableResource):
    """PostgreSQL schema ``monitor`` when ``database_url`` is set (an EnvVar, resolved at run
    time), else the embedded ``$AISI_HOME/monitor/monitor.duckdb``."""

    database_url: Optional[str] = None
    home: Optional[str] = None

    def open(self) -> MonitorStore:
        store = open_monitor_store(Path(self.home) if self.home else None, self.database_url or "")
        if isinstance(store, PostgresMonitorStore):
            store.ensure_migrated()
        return store


class AlertChannelResource(dg.ConfigurableResource):
    """Where provider down / recovered alerts go: a Slack incoming webhook when
    ``SLACK_WEBHOOK_URL`` is set (an EnvVar: never stored or logged), PagerDuty and the JSON
    webhook when the environment configures them (``core.notify.channels``), else the run log."""

    slack_webhook_url: Optional[str] = None

    def sink(self):  # type: ignore[no-untyped-def]
        """Every configured channel (a list; the outbox routes each alert's kind)."""
        from core.availability.alerts import alert_channels

        return alert_channels(self.slack_webhook_url)
