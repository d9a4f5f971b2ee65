"""Provider down / recovered alerts: one when an outage starts, one when it ends, never a storm.

``transitions`` compares each provider's health with a cursor (what was last alerted) and
returns only the changes. ``dispatch`` hands them to the notifications outbox
(``core.notify.outbox``), which every Slack message goes through: recorded once under a dedup
key, delivered, retried on later ticks a bounded number of times, never raising.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Protocol

from core.availability.health import ProviderHealth

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

    channel = "log"

    def deliver(self, alert: Alert) -> None:
        log.warning("availability alert: %s", alert.text())


class SlackWebhookSink:
    """A Slack incoming webhook; the URL is a secret and never appears in errors or logs."""

    channel = "slack"

    def __init__(self, webhook_url: str, timeout_s: float = 5.0):
        self._url = webhook_url
        self.timeout_s = timeout_s

    def deliver(self, alert: Alert) -> None:
        import httpx

        try:
            response = httpx.post(self._url, json={"text": alert.text()}, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Slack webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise RuntimeError(f"Slack webhook answered HTTP {response.status_code}")


def sink_for(webhook_url: str | None) -> AlertSink:
    return SlackWebhookSink(webhook_url) if webhook_url else LogSink()


def dispatch(store: Any, alerts: list[Alert], sink: AlertSink, now: datetime) -> dict[str, int]:
    """Records ``alerts`` in the notifications outbox (once each: a dedup key recorded twice
    changes nothing) and delivers everything pending there; never raises on delivery."""
    from core.notify.outbox import Notification, notify

    outcome = notify(store, [Notification(a.dedup_key, f"provider_{a.kind}", a.text(), a.created_at) for a in alerts], sink, now)
    return {"new": len(alerts), "delivered": outcome["delivered"], "failed": outcome["failed"]}
