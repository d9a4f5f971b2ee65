"""Provider down / recovered alerts: one when an outage starts, one when it ends, never a storm.

``transitions`` compares each provider's health with a cursor (what was last alerted) and
returns only the changes. ``dispatch`` hands them to the notifications outbox
(``core.notify.outbox``), which every alert goes through: recorded once under a dedup key,
delivered to each routed channel (Slack, PagerDuty, a JSON webhook), retried on later flushes a
bounded number of times, never raising.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Protocol, Sequence

from core.availability.health import ProviderHealth
from core.notify.channels import SlackWebhookChannel as SlackWebhookSink  # noqa: F401  (its old home)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    dedup_key: str
    provider_id: str
    kind: str  # down | recovered
    reason: str
    outage_started_at: datetime | None
    created_at: datetime

    def text(self) -> str:
        since = self.outage_started_at.strftime("%Y-%m-%d %H:%M UTC") if self.outage_started_at else "unknown"
        if self.kind == "down":
            return f":red_circle: {self.provider_id} is down since {since}: {self.reason}"
        return f":large_green_circle: {self.provider_id} has recovered (down since {since}): {self.reason}"


def transitions(cursor: Mapping[str, Any], health: Mapping[str, ProviderHealth], now: datetime) -> tuple[list[Alert], dict[str, Any]]:
    """The alerts that ``health`` calls for after ``cursor``, and the next cursor.

    The cursor holds, per provider that is down, when its outage began; while it stays down
    nothing more is sent. A provider whose state is unknown keeps its cursor entry.
    """
    alerts: list[Alert] = []
    following: dict[str, Any] = {}
    for pid, h in health.items():
        previous = cursor.get(pid) if isinstance(cursor.get(pid), dict) else None
        if h.down:
            if previous and previous.get("down_since"):
                following[pid] = previous
                continue
            since = h.since or now
            alerts.append(Alert(f"{pid}:down:{since.isoformat()}", pid, "down", h.reason, since, now))
            following[pid] = {"down_since": since.isoformat(), "reason": h.reason}
        elif previous and previous.get("down_since"):
            if h.state == "unknown":
                following[pid] = previous
                continue
            began = datetime.fromisoformat(previous["down_since"])
            alerts.append(Alert(f"{pid}:recovered:{previous['down_since']}", pid, "recovered", h.reason, began, now))
    return alerts, following


class AlertSink(Protocol):
    channel: str

    def deliver(self, alert: Alert) -> None: ...


class LogSink:
    """No channel configured: alerts go to the log (and stay in ``notifications``)."""

    route = "log"
    channel = "log"

    def deliver(self, alert: Alert) -> None:
        log.warning("availability alert: %s", alert.text())


def sink_for(webhook_url: str | None) -> AlertSink:
    return SlackWebhookSink(webhook_url) if webhook_url else LogSink()


def alert_channels(webhook_url: str | None = None) -> list[Any]:
    """Every alert channel the environment configures (``core.notify.channels``; ``webhook_url``:
    this Slack webhook in place of the environment's Slack), or the log when there is none."""
    from core.notify.channels import configured_channels

    return configured_channels(slack=SlackWebhookSink(webhook_url) if webhook_url else None) or [LogSink()]


def dispatch(store: Any, alerts: list[Alert], sink: AlertSink | Sequence[AlertSink], now: datetime) -> dict[str, int]:
    """Records ``alerts`` in the notifications outbox (once each: a dedup key recorded twice
    changes nothing) and delivers everything pending there; never raises on delivery."""
    from core.notify.outbox import Notification, notify

    outcome = notify(store, [Notification(a.dedup_key, f"provider_{a.kind}", a.text(), a.created_at, a.provider_id) for a in alerts],
                     sink, now)
    return {"new": len(alerts), "delivered": outcome["delivered"], "failed": outcome["failed"]}
