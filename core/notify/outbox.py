"""The outbox every notification goes through (``notifications`` in the monitor store), to every
alert channel its kind is routed to (``core.notify.channels``, ``core.notify.routing``).

``record`` stores each notification once under its dedup key (recording the same event again,
say a sensor and ``aisi refresh`` both seeing a run, changes nothing). ``deliver_pending`` claims
what is still to post in one UPDATE (so two flushes running at once, a Dagster sensor and the
CLI, never post the same row), posts it to each routed channel that does not have it yet
(``notification_deliveries``: one row per notification and channel), and marks it delivered once
every channel has it, or keeps the errors and releases it for a later flush: the first retry on
the next flush, then after a backoff doubling from ``AISI_NOTIFY_RETRY_BACKOFF_S``, at most
``MAX_DELIVERY_ATTEMPTS`` times. One channel failing never blocks the others, and a channel that
took a message never gets it again. Delivery never raises: an outage is recorded, not a failure.
The same store and SQL serve the embedded DuckDB file and PostgreSQL.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Protocol, Sequence

MAX_DELIVERY_ATTEMPTS = 10
# A claim older than this belongs to an evaluation that died mid-post: another one takes it over.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Slack shows up to 40,000 characters of a message's text; stay far below.
MAX_TEXT_CHARS = 3800
MAX_BACKOFF = timedelta(hours=1)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    dedup_key: str
    kind: str  # provider_down | provider_recovered | run_failure | check_failed | source_degraded | changes_digest | daily_report
    message: str
    created_at: datetime
    subject: str | None = None  # the provider, job, source or check it is about (PagerDuty's incident)

    def text(self) -> str:
        """The message as posted (the sinks of ``core.availability.alerts`` post ``text()``)."""
        if len(self.message) <= MAX_TEXT_CHARS:
            return self.message
        return self.message[: MAX_TEXT_CHARS - 20].rstrip() + "\n…(truncated)"


class Sink(Protocol):
    channel: str

    def deliver(self, alert: Any) -> None: ...


def route_of(sink: Any) -> str:
    """The routing name of a channel (``slack`` for the webhook and the bot alike)."""
    route = getattr(sink, "route", None)
    if route:
        return str(route)
    return "slack" if str(sink.channel).startswith("slack") else str(sink.channel)


def retry_delay(attempts: int, base_s: float) -> timedelta:
    """How long a notification waits after its ``attempts``-th failed flush: nothing after the
    first (the next flush retries), then ``base_s`` doubling, capped at an hour."""
    if attempts <= 1 or base_s <= 0:
        return timedelta(0)
    return min(MAX_BACKOFF, timedelta(seconds=base_s * 2 ** (attempts - 2)))


def record(store: Any, notifications: Iterable[Notification]) -> list[str]:
    """Records each notification once; returns the dedup keys offered."""
    keys = []
    for i, n in enumerate(notifications):
        # A microsecond apart: posted in the order given (a run's failure before its checks).
        store.execute("notify/insert_notification.sql", {
            "dedup_key": n.dedup_key, "kind": n.kind, "created_at": n.created_at + timedelta(microseconds=i), "text": n.text(),
            "subject": n.subject,
        })
        keys.append(n.dedup_key)
    return keys


def deliver_pending(store: Any, sinks: Sink | Sequence[Sink], now: datetime, max_attempts: int = MAX_DELIVERY_ATTEMPTS,
                    routing: Any = None, backoff_s: float | None = None) -> dict[str, int]:
    """Posts every pending notification this flush could claim to each channel of ``sinks`` its
    kind is routed to (``routing``: default ``load_routing()``); never raises on delivery.
    Returns how many notifications are now delivered everywhere and how many still miss a channel."""
    from core.notify.routing import load_routing
    from core.settings import settings

    channels = list(sinks) if isinstance(sinks, (list, tuple)) else [sinks]
    routing = routing if routing is not None else load_routing()
    backoff_s = settings().notify_retry_backoff_s if backoff_s is None else backoff_s
    token = uuid.uuid4().hex
    store.execute("notify/claim_pending.sql", {
        "token": token, "now": now, "stale_before": now - CLAIM_TIMEOUT, "max_attempts": max_attempts,
    })
    rows = store.query("notify/claimed.sql", {"token": token})
    if not rows:
        return {"delivered": 0, "failed": 0}
    store.execute("notify/forget_orphan_deliveries.sql", {})
    done = {(r["dedup_key"], r["channel"]) for r in store.query("notify/claimed_deliveries.sql", {"token": token})}
    delivered = failed = 0
    for row in rows:
        note = Notification(row["dedup_key"], row["kind"], row["text"], row["created_at"], row.get("subject"))
        targets = [c for c in channels if routing.takes(route_of(c), note.kind)]
        got: list[str] = []
        errors: list[tuple[str, str]] = []
        for channel in targets:
            route = route_of(channel)
            if (note.dedup_key, route) in done:
                got.append(channel.channel)
                continue
            try:
                channel.deliver(note)
            except Exception as exc:  # a broken channel must not fail the run, the sensor or the other channels
                error = str(exc)[:500] or type(exc).__name__
                errors.append((channel.channel, error))
                log.warning("notification %s not delivered to %s (attempt %d): %s", note.dedup_key, route,
                            int(row["attempts"]) + 1, error)
                store.execute("notify/upsert_delivery.sql", {"dedup_key": note.dedup_key, "channel": route,
                                                             "delivered_at": None, "last_error": error, "now": now})
                continue
            got.append(channel.channel)
            store.execute("notify/upsert_delivery.sql", {"dedup_key": note.dedup_key, "channel": route,
                                                         "delivered_at": now, "last_error": None, "now": now})
        if errors:
            failed += 1
            last_error = errors[0][1] if len(targets) == 1 else "; ".join(f"{c}: {e}" for c, e in errors)
            delay = retry_delay(int(row["attempts"]) + 1, backoff_s)
            store.execute("notify/mark_failed.sql", {
                "dedup_key": note.dedup_key, "token": token, "channel": ",".join(c for c, _ in errors), "last_error": last_error,
                "next_attempt_at": now + delay if delay else None,
            })
            continue
        delivered += 1
        store.execute("notify/mark_delivered.sql", {"dedup_key": note.dedup_key, "token": token,
                                                    "channel": ",".join(got) or "none", "delivered_at": now})
    return {"delivered": delivered, "failed": failed}


def notify(store: Any, notifications: Iterable[Notification], sink: Sink | Sequence[Sink], now: datetime) -> dict[str, Any]:
    """Records ``notifications`` and posts everything pending (theirs and earlier failures) to ``sink``
    (one channel or several)."""
    keys = record(store, notifications)
    outcome = deliver_pending(store, sink, now)
    return {"recorded": keys, **outcome}


def summary(outcome: dict[str, Any]) -> str:
    keys = outcome.get("recorded") or []
    return (f"{len(keys)} event(s), each recorded once ({', '.join(keys) or 'none'}); posted now {outcome['delivered']}, "
            f"failed {outcome['failed']}")
