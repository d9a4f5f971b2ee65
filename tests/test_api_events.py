"""``GET /api/v1/events`` over real HTTP: `aisi serve` (uvicorn) in a subprocess, a streaming
httpx client reading Server-Sent Events, snapshots published through the warehouse commit and
snapshot export the refresh runs, provider alerts recorded by the monitor's own cycle."""

from __future__ import annotations

import json
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
import pandas as pd
import pytest

from core.stores.warehouse import TABLES, DuckDBWarehouse, PostgresWarehouse, SnapshotStore
from tests.conftest import free_port, isolate
from tests.replay import ReplayServer
from tests.test_api import ApiServer, server_env

pytestmark = pytest.mark.slow

EVENTS = "/api/v1/events"
FAST = {"AISI_EVENTS_POLL_INTERVAL": "0.05", "AISI_EVENTS_KEEPALIVE": "0.3", "AISI_EVENTS_MAX_STREAMS": "3"}


# -- a real SSE client ---------------------------------------------------------------------


@dataclass
class Sse:
    type: str
    id: str | None
    data: dict[str, Any]


@dataclass
class Stream:
    """One ``GET /api/v1/events`` read by a thread: events land in a queue, comments are counted."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.events: queue.Queue[Sse | BaseException | None] = queue.Queue()
        self.comments = 0
        self.client = httpx.Client(timeout=httpx.Timeout(10.0))
        self._context = self.client.stream("GET", self.url + EVENTS, headers=self.headers, params=self.params)
        self.response = self._context.__enter__()
        self.ended = threading.Event()
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for line in self.response.iter_lines():
                if line.startswith(":"):
                    self.comments += 1
                elif line == "":
                    if "data" in fields:
                        self.events.put(Sse(fields.get("event", "message"), fields.get("id"), json.loads(fields["data"])))
                    fields = {}
                else:
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
            self.events.put(None)  # the server ended the stream
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.events.put(exc)
        finally:
            self.ended.set()

    def next(self, timeout: float = 10.0) -> Sse:
        item = self.events.get(timeout=timeout)
        if not isinstance(item, Sse):
            raise AssertionError(f"stream ended: {item!r}")
        return item

    def take(self, count: int, timeout: float = 10.0) -> list[Sse]:
        return [self.next(timeout) for _ in range(count)]

    def quiet(self, seconds: float) -> None:
        """Nothing but keep-alives for ``seconds``."""
        try:
            item = self.events.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected event: {item!r}")

    def close(self) -> None:
        self._context.__exit__(None, None, None)
        self.client.close()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()


def open_stream(opened: list[Stream], url: str, resume: str | None = None, **params: str) -> Stream:
    """A stream from now, or resumed after the event id ``resume`` (sent as ``Last-Event-ID``)."""
    stream = Stream(url, {"Last-Event-ID": resume} if resume else {}, params)
    opened.append(stream)
    return stream


def close(opened: list[Stream], stream: Stream) -> None:
    stream.close()
    opened.remove(stream)


def open_when_free(opened: list[Stream], url: str, resume: str | None = None, **params: str) -> Stream:
    """``open_stream`` once a slot is free: the server frees a closed stream's slot when it sees
    the disconnect, a moment after the client closed."""
    deadline = time.monotonic() + 10
    while True:
        stream = open_stream(opened, url, resume, **params)
        if stream.response.status_code != 503 or time.monotonic() > deadline:
            return stream
        close(opened, stream)
        time.sleep(0.1)


# -- publishing and alerting through the platform's own code ---------------------------------


def publish(home: Path, models: list[str], changes: list[dict[str, Any]], database_url: str | None = None) -> str:
    """Commits one run to the warehouse and exports its snapshot, as the ``warehouse`` and
    ``duckdb_snapshot`` assets do (PostgreSQL: the commit alone, which the API reads); returns
    the snapshot id."""
    now = datetime.now(timezone.utc)
    run_id = f"run-{now.timestamp():.6f}"
    fetched = pd.Timestamp(now)
    model_rows = [{"model_key": k, "creator": k.split("/")[0], "offerings_count": 1, "providers_count": 1, "source": "litellm",
                   "source_kind": "aggregator", "fetched_at": fetched, "status": "active", "listed": True} for k in models]
    offerings = [{"provider_id": k.split("/")[0], "provider_model_id": k.split("/")[1], "model_key": k, "creator": k.split("/")[0],
                  "identity_method": "exact", "source": "litellm", "source_kind": "aggregator", "billing": "metered"} for k in models]
    prices = [{"provider_id": o["provider_id"], "provider_model_id": o["provider_model_id"], "model_key": o["model_key"],
               "price_type": "input", "above_tokens": 0, "usd_per_mtok": 1.0, "source": "litellm", "source_kind": "aggregator",
               "valid_from": fetched, "valid_to": pd.NaT} for o in offerings]
    feed = [{"detected_at": pd.Timestamp(now - timedelta(milliseconds=5)), "run_id": run_id, **c} for c in changes]
    tables: dict[str, pd.DataFrame] = {t: pd.DataFrame() for t in TABLES if t != "publishes"}
    tables.update(models=pd.DataFrame(model_rows), offerings=pd.DataFrame(offerings), prices=pd.DataFrame(prices),
                  changes=pd.DataFrame(feed))
    if database_url:
        with PostgresWarehouse(database_url) as warehouse:
            warehouse.migrate()
            return warehouse.commit(tables, run_id, now).snapshot_id
    with DuckDBWarehouse(home / "warehouse.duckdb") as warehouse:
        warehouse.migrate()
        snapshots = SnapshotStore(home / "snapshots")
        commit = warehouse.commit(tables, run_id, now, taken=snapshots.snapshot_ids())
        snapshots.write(commit.snapshot_id, warehouse.export())
    return commit.snapshot_id


def monitor_cycle() -> None:
    """One `aisi monitor` cycle (probe, health, alert) on the configured providers."""
    from pipelines.monitor.loop import run_cycle

    run_cycle()


def monitor_mistral_only(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """The monitor on mistral alone, probed at a port where nothing listens (its probes fail),
    down after one failed probe (one monitor cycle per transition)."""
    config = tmp / "monitor.yaml"
    config.write_text("providers:\n  mistral: {status_page: null}\n" + "".join(
        f"  {p}: {{enabled: false}}\n" for p in ("openai", "anthropic", "google", "cohere", "replicate", "huggingface", "openrouter")),
        encoding="utf-8")
    mp.setenv("AISI_MONITOR_CONFIG", str(config))
    mp.setenv("AISI_SOURCE_MISTRAL_URL", f"http://127.0.0.1:{free_port()}")
    mp.setenv("AISI_PROBE_TIMEOUT", "2")
    mp.setenv("AISI_MONITOR_DOWN_AFTER", "1")


@dataclass
class Served:
    home: Path
    api: ApiServer
    probe: ReplayServer
    mp: pytest.MonkeyPatch
    tmp: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A home with one published snapshot, the monitor on one provider (mistral, probed at a port
    the test controls), and `aisi serve` on it with a fast poll."""
    tmp = tmp_path_factory.mktemp("events")
    home = tmp / "data"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        probe = ReplayServer().start()
        monitor_mistral_only(mp, tmp)
        publish(home, ["openai/gpt-4o", "mistral/mistral-large"], [])
        api = ApiServer(server_env(home, **FAST), tmp / "api.log").wait_ready()
        try:
            yield Served(home, api, probe, mp, tmp)
        finally:
            api.stop()
            probe.stop()


# -- tests ---------------------------------------------------------------------------------

CHANGES = [
    {"kind": "price_changed", "model_key": "openai/gpt-4o", "provider_id": "openai", "provider_model_id": "gpt-4o",
     "field": "input", "old": "2.5", "new": "2", "pct_change": -20.0, "source": "litellm"},
    {"kind": "model_added", "model_key": "openai/gpt-5"},
    {"kind": "context_changed", "model_key": "mistral/mistral-large", "field": "context_window", "old": "32000", "new": "128000",
     "pct_change": 300.0, "source": "litellm"},
]


def test_publish_sends_snapshot_then_its_changes_and_resume_sends_only_later_ones(served: Served, streams: list[Stream]):
    fresh = open_stream(streams, served.api.url)
    assert fresh.response.headers["content-type"].startswith("text/event-stream")
    ready = fresh.next()
    assert ready.type == "ready" and ready.data["from"] == "now" and ready.id
    fresh.quiet(0.5)  # nothing already published is replayed
    assert fresh.comments >= 1  # keep-alives while idle

    snapshot_id = publish(served.home, ["openai/gpt-4o", "openai/gpt-5", "mistral/mistral-large"], CHANGES)
    snapshot, *changes = fresh.take(4)
    assert snapshot.type == "snapshot"
    assert {k: snapshot.data[k] for k in ("snapshot_id", "models", "offerings", "prices", "changes")} == {
        "snapshot_id": snapshot_id, "models": 3, "offerings": 3, "prices": 3, "changes": 3}
    assert snapshot.data["changes_by_kind"] == {"context_changed": 1, "model_added": 1, "price_changed": 1}
    assert [c.type for c in changes] == ["change"] * 3
    # The feed's fixed order (kind, model...), each with its snapshot and the values as stored.
    assert [(c.data["kind"], c.data["model_key"]) for c in changes] == [
        ("context_changed", "mistral/mistral-large"), ("model_added", "openai/gpt-5"), ("price_changed", "openai/gpt-4o")]
    price = changes[2].data
    assert (price["snapshot_id"], price["old"], price["new"], price["pct_change"], price["provider_id"]) == (snapshot_id, "2.5", "2", -20.0, "openai")
    assert changes[1].data["field"] is None and changes[1].data["pct_change"] is None  # unknown is null
    ids = [e.id for e in (snapshot, *changes)]
    assert len(set(ids)) == 4 and all(i and i.split("~")[0].split(".")[1] == snapshot_id for i in ids)
    assert [int(i.split("~")[0].split(".")[2]) for i in ids] == [0, 1, 2, 3]
    fresh.quiet(0.3)  # nothing repeated

    # Resuming after the snapshot event: its three changes only; after the second change: the third only.
    after_snapshot = open_stream(streams, served.api.url, snapshot.id)
    assert after_snapshot.next().type == "ready"
    assert [(e.type, e.id) for e in after_snapshot.take(3)] == [("change", i) for i in ids[1:]]
    after_snapshot.quiet(0.3)
    close(streams, after_snapshot)
    after_second = open_when_free(streams, served.api.url, ids[2])
    assert after_second.next().id == ids[2]  # ready: the position it resumes from
    last = after_second.next()
    assert (last.type, last.id, last.data) == ("change", ids[3], changes[2].data)
    after_second.quiet(0.3)
    close(streams, after_second)
    # The id as a query parameter works too (curl), and types filter.
    only_snapshots = open_when_free(streams, served.api.url, last_event_id=ready.id, types="snapshot")
    assert only_snapshots.next().type == "ready"
    assert (only_snapshots.next().id, only_snapshots.quiet(0.3)) == (snapshot.id, None)


def test_ids_survive_an_api_restart(served: Served, streams: list[Stream]):
    first = publish(served.home, ["openai/gpt-4o"], [CHANGES[1]])
    second = publish(served.home, ["openai/gpt-4o"], CHANGES[:1])
    other = ApiServer(server_env(served.home, **FAST), served.tmp / "api-2.log").wait_ready()
    try:
        # From the beginning of the feed (no publish yet) on one server, then resumed on the other.
        everything = open_stream(streams, served.api.url, "-~-", types="snapshot,change")
        assert everything.next().type == "ready"
        seen = []
        while not seen or seen[-1].data.get("snapshot_id") != second or seen[-1].type != "change":
            seen.append(everything.next())
        assert [e.data["snapshot_id"] for e in seen if e.type == "snapshot"][-2:] == [first, second]
        middle = next(i for i, e in enumerate(seen) if e.type == "snapshot" and e.data["snapshot_id"] == first)
        resumed = open_stream(streams, other.url, seen[middle].id, types="snapshot,change")
        assert resumed.next().type == "ready"
        again = resumed.take(len(seen) - middle - 1)
        assert [(e.type, e.id, e.data) for e in again] == [(e.type, e.id, e.data) for e in seen[middle + 1:]]
        resumed.quiet(0.3)
    finally:
        other.stop()


def test_a_provider_going_down_then_up_sends_two_availability_events(served: Served, streams: list[Stream]):
    stream = open_stream(streams, served.api.url, types="availability")
    ready = stream.next()
    monitor_cycle()  # its probe is refused: down (AISI_MONITOR_DOWN_AFTER=1)
    down = stream.next()
    assert down.type == "availability"
    assert (down.data["provider_id"], down.data["state"], down.data["kind"]) == ("mistral", "down", "provider_down")
    assert down.data["outage_started_at"] and "mistral is down" in down.data["message"] and "refused" in down.data["message"]
    served.probe.add("/mistral/v1/models", b'{"object":"list","data":[]}')
    served.mp.setenv("AISI_SOURCE_MISTRAL_URL", served.probe.url + "/mistral")
    monitor_cycle()
    up = stream.next()
    assert (up.data["provider_id"], up.data["state"], up.data["kind"]) == ("mistral", "up", "provider_recovered")
    assert up.data["outage_started_at"] == down.data["outage_started_at"] and "recovered" in up.data["message"]
    monitor_cycle()  # still up: nothing more
    stream.quiet(0.5)
    assert ready.id and ready.id.split("~")[0] == down.id.split("~")[0] == up.id.split("~")[0]  # the catalog did not move

    resumed = open_stream(streams, served.api.url, down.id)
    assert resumed.next().type == "ready"
    assert [(e.type, e.id, e.data) for e in [resumed.next()]] == [("availability", up.id, up.data)]
    resumed.quiet(0.3)


def test_streams_beyond_the_cap_get_503_and_a_closed_stream_frees_its_slot(served: Served, streams: list[Stream]):
    held: list[Stream] = []
    while len(held) < 5:  # up to the cap (3), less the streams of the tests before still closing
        stream = open_stream(streams, served.api.url)
        if stream.response.status_code != 200:
            break
        assert stream.next().type == "ready"
        held.append(stream)
    refused = streams[-1]
    assert 1 <= len(held) <= 3 and refused.response.status_code == 503
    assert refused.response.headers["retry-after"] == "5"
    refused.response.read()
    assert "too many event streams open (3, at most 3" in refused.response.json()["error"]
    close(streams, held[0])
    again = open_when_free(streams, served.api.url)
    assert again.response.status_code == 200 and again.next().type == "ready"


@pytest.mark.parametrize("params, headers, parameter", [
    ({"types": "snapshot,prices"}, {}, "types"),
    ({}, {"Last-Event-ID": "42"}, "Last-Event-ID"),
    ({"last_event_id": "x.y~-"}, {}, "Last-Event-ID"),
    ({"typo": "1"}, {}, "typo"),
])
def test_bad_requests_get_422_naming_the_parameter(served: Served, params: dict[str, str], headers: dict[str, str], parameter: str):
    response = served.api.get(EVENTS, params=params, headers=headers)
    assert response.status_code == 422
    assert response.json()["problems"][0]["parameter"] == parameter


def latest_size(home: Path) -> int:
    return (home / "snapshots" / "latest.duckdb").resolve().stat().st_size


def test_head_answers_the_headers_and_frees_the_connection(served: Served):
    """HEAD runs as GET only until the headers are out: the stream is not held open, so the
    same keep-alive connection answers the next request at once."""
    with httpx.Client(base_url=served.api.url, timeout=5) as client:
        head = client.head(EVENTS)
        assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream") and head.content == b""
        for _ in range(3):  # the connection is reused, not stuck behind an endless body
            assert client.head(EVENTS).status_code == 200
        assert client.get("/api/v1/models", params={"limit": 1}).status_code == 200
        exported = client.head("/api/v1/export/models.csv")
        assert exported.status_code == 200 and exported.content == b"" and "aisi-models-" in exported.headers["content-disposition"]
        whole = client.head("/api/v1/export/snapshot.duckdb")
        assert int(whole.headers["content-length"]) == latest_size(served.home) and whole.content == b""
        assert client.head(EVENTS, headers={"If-None-Match": "*"}).status_code == 200  # a stream has no ETag


def test_shutdown_ends_open_streams_and_does_not_hang(served: Served, streams: list[Stream]):
    api = ApiServer(server_env(served.home, **FAST), served.tmp / "api-3.log").wait_ready()
    try:
        stream = open_stream(streams, api.url)
        assert stream.next().type == "ready"
        started = time.monotonic()
        api.process.send_signal(signal.SIGTERM)
        api.process.wait(timeout=15)
        took = time.monotonic() - started
        assert stream.ended.wait(5)
        assert took < 5, f"shutdown took {took:.1f}s with a stream open"
        # uvicorn ends gracefully, then re-raises the signal it caught (exit status -SIGTERM).
        assert api.process.returncode in (0, -signal.SIGTERM)
        assert "Finished server process" in api.log_path.read_text()
        assert stream.events.get(timeout=1) is None  # ended cleanly: the chunked body was closed
    finally:
        api.stop()


@pytest.mark.postgres
def test_postgres_mode_streams_publishes_changes_and_alerts(pg_database: str, home: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, streams: list[Stream]):
    """The same events when the API reads PostgreSQL (``curated`` and ``monitor``)."""
    monkeypatch.setenv("AISI_DATABASE_URL", pg_database)
    monitor_mistral_only(monkeypatch, tmp_path)
    first = publish(home, ["openai/gpt-4o"], [], pg_database)
    api = ApiServer(server_env(home, AISI_DATABASE_URL=pg_database, **FAST), tmp_path / "api.log").wait_ready()
    try:
        stream = open_stream(streams, api.url)
        ready = stream.next()
        assert ready.type == "ready" and ready.id.split("~")[0].split(".")[1:] == [first, "0"]
        second = publish(home, ["openai/gpt-4o", "openai/gpt-5"], CHANGES[:2], pg_database)
        snapshot, *changes = stream.take(3)
        assert (snapshot.type, snapshot.data["snapshot_id"], snapshot.data["models"], snapshot.data["changes"]) == ("snapshot", second, 2, 2)
        assert [(c.type, c.data["kind"]) for c in changes] == [("change", "model_added"), ("change", "price_changed")]
        monitor_cycle()  # schema `monitor` made by the cycle; mistral down
        down = stream.next()
        assert (down.type, down.data["provider_id"], down.data["state"]) == ("availability", "mistral", "down")
        resumed = open_stream(streams, api.url, snapshot.id)
        assert resumed.next().type == "ready"
        assert [(e.type, e.id) for e in resumed.take(3)] == [(e.type, e.id) for e in (*changes, down)]
        resumed.quiet(0.3)
    finally:
        api.stop()
