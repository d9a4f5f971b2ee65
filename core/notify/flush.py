"""Flushing the outbox from any process: ``aisi refresh``, each ``aisi monitor`` cycle, and the
Dagster sensors all record their notifications and deliver what is pending through the same
code (``core.notify.outbox.notify``) to the channels the environment configures, so a cron-driven
installation gets the same messages, each once, whoever flushes first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from core.notify.channels import Channel, channels_or_log, configured_channels
from core.notify.outbox import Notification, notify


@dataclass
class FlushReport:
    """What one flush did: the events offered, and the notifications delivered everywhere or not."""

    channels: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    delivered: int = 0
    failed: int = 0
    error: str | None = None  # the flush itself could not run (store or routing config): nothing lost, retried later

    def render(self) -> str:
        if self.error:
            return f"Alerts: not flushed ({self.error}); pending ones go out on a later flush"
        if not self.channels:
            return "Alerts: no alert channel configured (SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY, AISI_ALERT_WEBHOOK_URL)"
        return (f"Alerts: {len(self.recorded)} event(s) recorded; delivered {self.delivered}, failed {self.failed} "
                f"(channels: {', '.join(self.channels)})")


def flush(store: Any, notifications: Iterable[Notification] = (), now: datetime | None = None,
          channels: Sequence[Channel] | None = None, log_when_unconfigured: bool = True) -> FlushReport:
    """Records ``notifications`` and delivers everything pending to ``channels`` (default: those
    the environment configures). With no channel configured: the log when ``log_when_unconfigured``
    (the notifications are still recorded), else nothing is recorded or delivered at all."""
    now = now or datetime.now(timezone.utc)
    chosen = list(channels) if channels is not None else configured_channels()
    if not chosen and not log_when_unconfigured:
        return FlushReport()
    chosen = channels_or_log(chosen)
    names = [c.channel for c in chosen]
    try:
        outcome = notify(store, list(notifications), chosen, now)
    except Exception as exc:  # a busy store or a bad routing file must not fail the job that flushes
        return FlushReport(names, error=f"{type(exc).__name__}: {str(exc)[:300]}")
    return FlushReport(names, list(outcome["recorded"]), int(outcome["delivered"]), int(outcome["failed"]))
