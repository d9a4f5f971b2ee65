"""The outbox every Slack message goes through (``notifications`` in the monitor store).

``record`` stores each notification once under its dedup key (recording the same event again,
say a sensor evaluated twice, changes nothing). ``deliver_pending`` claims what is still to post
in one UPDATE (so two evaluations running at once never post the same row), posts it, and marks
it delivered, or keeps the error and releases it for a later tick, at most
``MAX_DELIVERY_ATTEMPTS`` times. Delivery never raises: a Slack outage is recorded, not a
failure. The same store and SQL serve the embedded DuckDB file and PostgreSQL.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Protocol

MAX_DELIVERY_ATTEMPTS = 10
# A claim older than this belongs to an evaluation that died mid-post: another one takes it over.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Slack shows up to 40,000 characters of a message's text; stay far below.
MAX_TEXT_CHARS = 3800
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    dedup_key: str
    kind: str  # provider_down | provider_recovered | run_failure | check_failed | source_degraded | changes_digest | daily_report
    message: str
    created_at: datetime

    def text(self) -> str:
        """The message as posted (the sinks of ``core.availability.alerts`` post ``text()``)."""
        if len(self.message) <= MAX_TEXT_CHARS:
            return self.message
        return self.message[: MAX_TEXT_CHARS - 20].rstrip() + "\n…(truncated)"


class Sink(Protocol):
    channel: str

    def deliver(self, alert: Any) -> None: ...


def record(store: Any, notifications: Iterable[Notification]) -> list[str]:
    """Records each notification once; returns the dedup keys offered."""
    keys = []
    for i, n in enumerate(notifications):
        # A microsecond apart: posted in the order given (a run's failure before its checks).
        store.execute("notify/insert_notification.sql", {
            "dedup_key": n.dedup_key, "kind": n.kind, "created_at": n.created_at + timedelta(microseconds=i), "text": n.text(),
        })
        keys.append(n.dedup_key)
    return keys


def deliver_pending(store: Any, sink: Sink, now: datetime, max_attempts: int = MAX_DELIVERY_ATTEMPTS) -> dict[str, int]:
    """Posts every pending notification this evaluation could claim; never raises on delivery."""
    token = uuid.uuid4().hex
    store.execute("notify/claim_pending.sql", {
        "token": token, "now": now, "stale_before": now - CLAIM_TIMEOUT, "max_attempts": max_attempts,
    })
    delivered = failed = 0
    for row in store.query("notify/claimed.sql", {"token": token}):
        note = Notification(row["dedup_key"], row["kind"], row["text"], row["created_at"])
        try:
            sink.deliver(note)
        except Exception as exc:  # a broken channel must not fail the run or the sensor
            failed += 1
            error = str(exc)[:500] or type(exc).__name__
            log.warning("notification %s not delivered (attempt %d): %s", note.dedup_key, int(row["attempts"]) + 1, error)
            store.execute("notify/mark_failed.sql", {"dedup_key": note.dedup_key, "token": token, "channel": sink.channel,
                                                     "last_error": error})
            continue
        delivered += 1
        store.execute("notify/mark_delivered.sql", {"dedup_key": note.dedup_key, "token": token, "channel": sink.channel,
                                                    "delivered_at": now})
    return {"delivered": delivered, "failed": failed}


def notify(store: Any, notifications: Iterable[Notification], sink: Sink, now: datetime) -> dict[str, Any]:
    """Records ``notifications`` and posts everything pending (theirs and earlier failures)."""
    keys = record(store, notifications)
    outcome = deliver_pending(store, sink, now)
    return {"recorded": keys, **outcome}


def summary(outcome: dict[str, Any]) -> str:
    keys = outcome.get("recorded") or []
    return (f"{len(keys)} event(s), each recorded once ({', '.join(keys) or 'none'}); posted now {outcome['delivered']}, "
            f"failed {outcome['failed']}")
