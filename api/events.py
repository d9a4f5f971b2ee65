"""Live updates: ``GET /api/v1/events``, a Server-Sent Events stream (sse-starlette) of

- ``snapshot``: a snapshot was published (its id, time, run and counts: models, offerings, prices,
  changes in it by kind);
- ``change``: one entry of the change feed (``changes``), after the snapshot that published it;
- ``availability``: a provider went down or recovered (the alerts the availability monitor records
  in its ``notifications`` outbox, one row per transition).

**Event ids are positions in stored data**, never an in-memory counter, so a client reconnecting
with ``Last-Event-ID`` gets exactly the events after that one, across API restarts too. The two
feeds are separate ordered streams (a snapshot becomes visible when its run commits, which may be
after a later alert), so an id holds the stream's position in both:
``<published_at µs>.<snapshot_id>.<n>~<created_at µs>.<dedup_key>``: the publish reached (its time
and id), ``n`` its events sent (0 = the ``snapshot`` event, ``k`` = its k-th change in the feed's
fixed order), and the last alert sent (its time and dedup key); ``-`` for a feed not started.
Publishes are ordered by (published_at, snapshot_id) and alerts by (created_at, dedup_key), which
is the order they are committed in (one catalog run at a time; one monitor writing alerts).

A stream starts with an ``event: ready`` carrying the position it starts from as its id: ``now``
for a client without ``Last-Event-ID`` (nothing older is replayed), so even a client that saw no
event yet can resume without a gap. ``types=snapshot,change,availability`` keeps some kinds (the
position still moves past the others).

One poller per API process (``EventHub``) looks every ``AISI_EVENTS_POLL_INTERVAL`` seconds at the
snapshot served and the newest alert, and wakes the streams when either moved; each stream then
reads what follows its own position. Keep-alive comments go out every ``AISI_EVENTS_KEEPALIVE``
seconds; at most ``AISI_EVENTS_MAX_STREAMS`` streams are open at once (503 beyond). A stream ends
when its client disconnects or the server shuts down (sse-starlette watches uvicorn's exit flag).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import dataclass, replace
from typing import Annotated, Any, AsyncIterator, Callable

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.background import BackgroundTask
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.availability import Monitor
from api.encoding import dumps
from api.errors import invalid_parameter
from api.http_rules import is_head
from api.schemas import REFUSED, Error, InvalidParameters
from api.store import NoSnapshot, Store
from core.settings import settings

log = logging.getLogger(__name__)

TYPES = ("snapshot", "change", "availability")
# Events read from the stores at a time: a client far behind catches up in batches.
BATCH = 200
# A stream whose client reads nothing for this long is closed (its send is stuck).
SEND_TIMEOUT_S = 30.0
RETRY_AFTER_S = 5
READ_THREADS = 4
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# PostgreSQL's undefined_table and invalid_schema_name: nothing published there yet.
_NOTHING_YET = {"42P01", "3F000"}

router = APIRouter(tags=["events"])


# -- positions -----------------------------------------------------------------------------


def micros(at: dt.datetime) -> int:
    """``at`` (aware) as whole microseconds since the epoch: exact, whatever the time zone."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def from_micros(value: int | None) -> dt.datetime | None:
    return None if value is None else EPOCH + dt.timedelta(microseconds=value)


@dataclass(frozen=True)
class Position:
    """Where a stream stands in both feeds; its text is the SSE event id."""

    publish_us: int | None = None  # the publish reached (None: none yet)
    snapshot_id: str = ""
    index: int = 0  # its events sent: 0 = its snapshot event, k = its k-th change
    alert_us: int | None = None  # the last alert sent (None: none yet)
    alert_key: str = ""

    def encode(self) -> str:
        catalog = "-" if self.publish_us is None else f"{self.publish_us}.{self.snapshot_id}.{self.index}"
        alerts = "-" if self.alert_us is None else f"{self.alert_us}.{self.alert_key}"
        return f"{catalog}~{alerts}"

    @classmethod
    def parse(cls, text: str) -> "Position":
        """The position an event id names; ValueError saying what is expected."""
        expected = "an id this stream sent, like 1795000000000000.20261122T130000Z.3~- (Last-Event-ID)"
        catalog, sep, alerts = text.strip().partition("~")
        if not sep:
            raise ValueError(f"not an event id: {text!r}; expected {expected}")
        position = cls()
        if catalog != "-":
            parts = catalog.split(".")
            if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit() or not _SNAPSHOT_ID.match(parts[1]):
                raise ValueError(f"not an event id: {text!r}; expected {expected}")
            position = replace(position, publish_us=int(parts[0]), snapshot_id=parts[1], index=int(parts[2]))
        if alerts != "-":
            at, dot, key = alerts.partition(".")
            if not dot or not at.isdigit() or not key or not key.isprintable():
                raise ValueError(f"not an event id: {text!r}; expected {expected}")
            position = replace(position, alert_us=int(at), alert_key=key)
        return position


@dataclass(frozen=True)
class Event:
    """One event to send: its type, the stream's position once it is sent, and its data."""

    type: str
    position: Position
    data: dict[str, Any]


# -- reading the stores --------------------------------------------------------------------


def _nothing_published(exc: BaseException) -> bool:
    return isinstance(exc, NoSnapshot) or getattr(exc, "sqlstate", None) in _NOTHING_YET


def _missing_table(exc: BaseException) -> bool:
    return type(exc).__name__ == "CatalogException" or getattr(exc, "sqlstate", None) in _NOTHING_YET


def catalog_head(store: Store) -> Position:
    """The catalog part of "now": the newest publish with all its changes counted as sent."""
    try:
        with store.pin() as pinned:
            rows = pinned.query("events_latest", {})
            if not rows:
                return Position()
            row = rows[0]
            counts = pinned.query("events_change_counts", {"after": row["previous_at"], "until": row["published_at"]})
    except Exception as exc:
        if _nothing_published(exc):
            return Position()
        raise
    return Position(micros(row["published_at"]), str(row["snapshot_id"]), sum(int(r["n"]) for r in counts))


def catalog_after(store: Store, position: Position, budget: int) -> list[Event]:
    """Up to ``budget`` snapshot and change events after ``position`` (whose alert part they keep)."""
    events: list[Event] = []
    try:
        with store.pin() as pinned:
            rows = pinned.query("events_publishes", {"at": from_micros(position.publish_us),
                                                     "snapshot_id": position.snapshot_id, "limit": budget + 1})
            for row in rows:
                if len(events) >= budget:
                    break
                snapshot_id, at = str(row["snapshot_id"]), micros(row["published_at"])
                window = {"after": row["previous_at"], "until": row["published_at"]}
                if (at, snapshot_id) != (position.publish_us, position.snapshot_id):
                    by_kind = {str(r["kind"]): int(r["n"]) for r in pinned.query("events_change_counts", window)}
                    position = replace(position, publish_us=at, snapshot_id=snapshot_id, index=0)
                    events.append(Event("snapshot", position, {
                        "snapshot_id": snapshot_id, "published_at": row["published_at"], "run_id": row["run_id"],
                        "models": row["models"], "offerings": row["offerings"], "prices": row["prices"],
                        "changes": sum(by_kind.values()), "changes_by_kind": by_kind,
                    }))
                    if len(events) >= budget:
                        break
                changes = pinned.query("events_changes", {**window, "limit": budget - len(events), "offset": position.index})
                for change in changes:
                    position = replace(position, index=position.index + 1)
                    events.append(Event("change", position, {"snapshot_id": snapshot_id, **change}))
    except Exception as exc:
        if _nothing_published(exc):
            return []
        raise
    return events


ALERT_KINDS = {"provider_down": "down", "provider_recovered": "up"}
_EMOJI = re.compile(r"^:[a-z0-9_+-]+:\s*")


def alert_data(row: dict[str, Any]) -> dict[str, Any]:
    """An alert row as event data: provider, its new state, when the outage began, the message."""
    key = str(row["dedup_key"])  # <provider>:down:<since> or <provider>:recovered:<since>
    provider, _, rest = key.partition(":")
    since = rest.partition(":")[2] or None
    message = _EMOJI.sub("", str(row["text"] or ""))
    return {"provider_id": provider, "state": ALERT_KINDS.get(str(row["kind"]), str(row["kind"])), "kind": row["kind"],
            "at": row["created_at"], "outage_started_at": since, "message": message}


def alerts_head(monitor: Monitor) -> tuple[int | None, str]:
    """The newest alert's (created_at µs, dedup_key), or (None, '') before the first."""
    try:
        with monitor.reading() as reader:
            rows = reader.query("api/events_alerts_head.sql")
    except Exception as exc:
        if _missing_table(exc):
            return None, ""
        raise
    return (micros(rows[0]["created_at"]), str(rows[0]["dedup_key"])) if rows else (None, "")


def alerts_after(monitor: Monitor, position: Position, budget: int) -> list[Event]:
    """Up to ``budget`` availability events after ``position`` (whose catalog part they keep)."""
    try:
        with monitor.reading() as reader:
            rows = reader.query("api/events_alerts.sql", {"at": from_micros(position.alert_us), "dedup_key": position.alert_key,
                                                          "limit": budget})
    except Exception as exc:
        if _missing_table(exc):
            return []
        raise
    events = []
    for row in rows:
        position = replace(position, alert_us=micros(row["created_at"]), alert_key=str(row["dedup_key"]))
        events.append(Event("availability", position, alert_data(row)))
    return events


def now_position(store: Store, monitor: Monitor) -> Position:
    """Where a stream without ``Last-Event-ID`` starts: after everything stored now."""
    alert_us, alert_key = alerts_head(monitor)
    return replace(catalog_head(store), alert_us=alert_us, alert_key=alert_key)


def read_after(store: Store, monitor: Monitor, position: Position, budget: int = BATCH) -> tuple[list[Event], bool]:
    """The events after ``position``, catalog first, then alerts, each event carrying the full
    position once it is sent; and whether there may be more (a batch was full)."""
    catalog = catalog_after(store, position, budget)
    reached = catalog[-1].position if catalog else position
    alerts = alerts_after(monitor, reached, budget)
    events = catalog + [replace(e, position=replace(e.position, publish_us=reached.publish_us, snapshot_id=reached.snapshot_id,
                                                    index=reached.index)) for e in alerts]
    return events, len(catalog) >= budget or len(alerts) >= budget


# -- the poller shared by the streams ------------------------------------------------------


class EventHub:
    """One per app: counts the open streams (at most ``max_streams``) and, while any is open,
    looks at the stores' heads every ``interval_s`` and wakes the streams when they moved."""

    def __init__(self, heads: Callable[[], tuple[Any, ...]], interval_s: float, max_streams: int):
        self._heads = heads
        self.interval_s = interval_s
        self.max_streams = max_streams
        self.open = 0
        self._seen: tuple[Any, ...] | None = None
        self._moved = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # The streams' reads share a few threads of their own: a publish waking every stream at
        # once does not take the thread pool the other endpoints run on.
        self.reads = anyio.CapacityLimiter(READ_THREADS)

    def acquire(self) -> "Slot | None":
        """A stream slot (None when all are taken); the poller starts with the first."""
        if self.open >= self.max_streams:
            return None
        self.open += 1
        if self._task is None or self._task.done():
            self._moved = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._poll())
        return Slot(self)

    def _release(self) -> None:
        self.open = max(0, self.open - 1)
        if self.open == 0 and self._task is not None:
            self._task.cancel()
            self._task = None
            self._seen = None

    @property
    def moved(self) -> asyncio.Event:
        """Set when the heads move after this was taken: take it before reading, then wait on it."""
        return self._moved

    async def _poll(self) -> None:
        while True:
            try:
                heads = await anyio.to_thread.run_sync(self._heads)
            except Exception as exc:  # a store busy or away for a moment: look again next time
                log.warning("events: could not read the stores' heads: %s: %s", type(exc).__name__, exc)
            else:
                if heads != self._seen:
                    self._seen = heads
                    moved, self._moved = self._moved, asyncio.Event()
                    moved.set()
            await asyncio.sleep(self.interval_s)


class Slot:
    """One open stream's place in the hub, given back once however the stream ends (the
    generator's ``finally``, or the response's background task when it never started)."""

    def __init__(self, hub: EventHub):
        self._hub: EventHub | None = hub

    def release(self) -> None:
        hub, self._hub = self._hub, None
        if hub is not None:
            hub._release()


def hub_of(request: Request) -> EventHub:
    """The app's hub, made on the first stream."""
    state = request.app.state
    hub = getattr(state, "events_hub", None)
    if hub is None:
        store: Store = state.store
        monitor: Monitor = state.monitor

        def heads() -> tuple[Any, ...]:
            try:
                snapshot: str | None = store.snapshot_id()
            except Exception as exc:
                if not _nothing_published(exc):
                    raise
                snapshot = None
            return snapshot, alerts_head(monitor)

        hub = state.events_hub = EventHub(heads, settings().events_poll_interval_s, settings().events_max_streams)
    return hub


# -- the endpoint --------------------------------------------------------------------------


def _data(payload: dict[str, Any]) -> str:
    """Event data as one line of JSON, in the API's encoding (a non-finite number is null, never NaN)."""
    return dumps(payload).decode()


def parse_types(text: str | None) -> frozenset[str]:
    """The event types asked for (all when unset); ValueError naming an unknown one."""
    if text is None:
        return frozenset(TYPES)
    asked = {t.strip() for t in text.split(",") if t.strip()}
    unknown = sorted(asked - set(TYPES))
    if unknown or not asked:
        raise ValueError(f"unknown event type(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(TYPES)}")
    return frozenset(asked)


async def _stream(request: Request, hub: EventHub, slot: Slot, start: Position | None,
                  types: frozenset[str]) -> AsyncIterator[ServerSentEvent]:
    store: Store = request.app.state.store
    monitor: Monitor = request.app.state.monitor
    try:
        resumed = start is not None
        position = start if start is not None else await anyio.to_thread.run_sync(now_position, store, monitor, limiter=hub.reads)
        yield ServerSentEvent(id=position.encode(), event="ready",
                              data=_data({"from": "last_event_id" if resumed else "now", "types": sorted(types)}))
        while True:
            moved = hub.moved  # taken before reading: a move during the read wakes the wait at once
            try:
                events, more = await anyio.to_thread.run_sync(read_after, store, monitor, position, limiter=hub.reads)
            except Exception as exc:  # a store busy or away for a moment: the stream stays, and reads again
                log.warning("events: read after %s failed: %s: %s", position.encode(), type(exc).__name__, exc)
                await asyncio.sleep(hub.interval_s)
                continue
            for event in events:
                position = event.position
                if event.type in types:
                    yield ServerSentEvent(id=position.encode(), event=event.type, data=_data(event.data))
            if not more:
                await moved.wait()
    finally:
        slot.release()


@router.get(
    "/api/v1/events",
    summary="Live updates (Server-Sent Events): snapshots published, change feed entries, providers down / recovered",
    response_class=EventSourceResponse,
    description=(
        "An endless `text/event-stream`. It starts with `event: ready` (its `id` is the position the stream starts from), "
        "then sends `snapshot` (a publish with its counts), `change` (one row of the change feed, after its snapshot) and "
        "`availability` (a provider down or up, from the monitor's alerts), with keep-alive comments between. Each `id` is "
        "a position in stored data: reconnect with `Last-Event-ID` (or `?last_event_id=`) to get exactly the events after "
        "it, from any API process; without it the stream starts from now (`-~-`: from the very first publish)."
    ),
    responses={
        200: {"description": "The event stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
        422: {"description": "A malformed Last-Event-ID, an unknown event type or an unknown parameter.",
              "model": InvalidParameters},
        503: {"description": "Too many streams open (`AISI_EVENTS_MAX_STREAMS`); `Retry-After` says when to try again.",
              "model": Error},
        **REFUSED,
    },
)
async def events(
    request: Request,
    types: Annotated[str | None, Query(description="Comma-separated event types to send: snapshot, change, availability "
                                                   "(default all).")] = None,
    last_event_id: Annotated[str | None, Query(description="Resume after this event id (as the Last-Event-ID header, "
                                                           "which wins when both are given).")] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """Streams events from now, or from after ``Last-Event-ID`` (see the module docstring)."""
    try:
        kinds = parse_types(types)
    except ValueError as exc:
        return invalid_parameter("types", str(exc))
    asked = last_event_id_header if last_event_id_header is not None else last_event_id
    try:
        start = Position.parse(asked) if asked else None
    except ValueError as exc:
        return invalid_parameter("Last-Event-ID", str(exc))
    if is_head(request):  # the headers a stream would start with, no stream (and no slot) behind them
        return Response(media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    hub = hub_of(request)
    slot = hub.acquire()
    if slot is None:
        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}, content={
            "error": f"too many event streams open ({hub.open}, at most {hub.max_streams}: AISI_EVENTS_MAX_STREAMS); "
                     f"try again in {RETRY_AFTER_S} s"})
    return EventSourceResponse(_stream(request, hub, slot, start, kinds), ping=settings().events_keepalive_s,
                               send_timeout=SEND_TIMEOUT_S, headers={"Cache-Control": "no-cache"},
                               background=BackgroundTask(slot.release))
