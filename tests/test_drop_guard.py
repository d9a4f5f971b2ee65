"""The payload guard's first rule, the sudden drop: a source whose fresh payload lists far fewer
models than its last good one has it held back and serves the last good payload (badge
``cached``), with an alert. The other rules: tests/test_payload_guard.py."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from core.fetch import engine
from core.fetch.engine import fetch_source, take_normalised
from core.quality.payload_guard import PayloadCheck, check_payload, drop_guard_share
from core.quality.payload_profile import PayloadCounts
from core.quality.record_suites import outcomes, validate_records
from core.records import PayloadError, Provenance
from core.sources import openrouter
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.replay import ReplayServer

OPENROUTER_PATH = "/openrouter/api/v1/models"


# -- the rule --------------------------------------------------------------------------------------


def check_drop(source: str, entries: int, previous: int | None, threshold: float | None = None) -> PayloadCheck:
    """The guard on entry counts alone (nothing else measured)."""
    old = PayloadCounts(previous) if previous is not None else None
    return check_payload(source, PayloadCounts(entries), old, threshold=threshold)


def test_a_drop_beyond_the_share_is_held_back():
    half = check_drop("openrouter", 170, 340, threshold=0.2)
    assert half.held_back and half.drop == 0.5 and [f.rule for f in half.findings] == ["sudden_drop"]
    assert half.message == "sudden drop: 170 models vs 340 in the last good run (-50 %); new data held back"
    assert not check_drop("openrouter", 323, 340, threshold=0.2).held_back  # -5 %
    assert not check_drop("openrouter", 272, 340, threshold=0.2).held_back  # -20 % exactly: not "more than"
    assert check_drop("openrouter", 271, 340, threshold=0.2).held_back
    assert not check_drop("openrouter", 500, 340, threshold=0.2).held_back and check_drop("x", 500, 340, threshold=0.2).drop == 0
    assert not check_drop("openrouter", 3, None, threshold=0.2).held_back  # the first fetch: nothing to compare
    assert check_drop("openrouter", 0, 12, threshold=0.2).held_back  # an empty listing that still parses


def test_the_share_is_configurable(monkeypatch):
    assert drop_guard_share() == 0.2
    monkeypatch.setenv("AISI_DROP_GUARD_SHARE", "0.5")
    assert drop_guard_share() == 0.5 and not check_drop("s", 60, 100).held_back
    monkeypatch.setenv("AISI_DROP_GUARD_SHARE", "1")  # off: nothing can drop by more than 100 %
    assert not check_drop("s", 0, 100).held_back
    for bad in ("20%", "1.5", "-0.1"):
        monkeypatch.setenv("AISI_DROP_GUARD_SHARE", bad)
        with pytest.raises(ValueError, match="AISI_DROP_GUARD_SHARE"):
            drop_guard_share()


# -- the fetch -------------------------------------------------------------------------------------


def listing(count: int) -> bytes:
    models = [
        {"id": f"vendor/model-{i}", "name": f"Vendor: Model {i}", "context_length": 32000,
         "pricing": {"prompt": "0.000001", "completion": "0.000002"}}
        for i in range(count)
    ]
    return json.dumps({"data": models}).encode()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with ReplayServer() as server:
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", server.url)
        route = server.add("/api/v1/models", listing(40))
        archive = RawArchive(tmp_path / "raw")

        def fetch(count: int | None = None):
            if count is not None:
                route.body = listing(count)
            return fetch_source(openrouter, HttpClientResource(max_attempts=1, backoff_initial_s=0.01), archive)

        yield fetch, archive


def fetch_log(archive: RawArchive) -> list[tuple[str, int | None]]:
    with sqlite3.connect(archive.index_path) as conn:
        return conn.execute("SELECT outcome, entries FROM fetches WHERE source = 'openrouter' ORDER BY id").fetchall()


def test_a_small_change_is_accepted(served):
    fetch, archive = served
    assert fetch().status == "ok"
    smaller = fetch(38)  # -5 %
    assert (smaller.status, smaller.badge, len(smaller.entries), smaller.error) == ("ok", "aggregator", 38, None)
    guard = smaller.drop_guard
    assert (guard.entries, guard.previous_entries, guard.threshold, guard.findings) == (38, 40, 0.2, ())
    assert (guard.fresh.accepted, guard.previous.accepted, guard.fresh.prices, guard.previous.prices) == (38, 40, 76, 80)
    last = archive.last_good("openrouter")
    assert (last.entries, last.accepted, last.prices, last.rejected, last.benchmarks) == (38, 38, 76, 0, 0)
    assert last.profile["pricing.prompt"] == 1.0 and last.profile["id"] == 1.0
    assert fetch_log(archive) == [("fetched", 40), ("fetched", 38)]


def test_half_the_models_gone_is_held_back_and_never_becomes_the_last_good_payload(served):
    fetch, archive = served
    first = fetch()
    good = archive.last_good("openrouter")

    held = fetch(20)
    assert (held.status, held.badge) == ("cached", "cached")
    assert held.error == "sudden drop: 20 models vs 40 in the last good run (-50 %); new data held back"
    assert len(held.entries) == 40 and held.sha256 == first.sha256  # the last good payload, served
    assert held.fetched_at == first.fetched_at
    assert held.drop_guard.held_back and held.drop_guard.metadata()["previous_count"] == 40
    assert held.drop_guard.metadata()["previous_accepted"] == 40 and held.drop_guard.fresh.accepted == 20
    assert archive.last_good("openrouter") == good
    assert fetch_log(archive) == [("fetched", 40), ("held_back", 20)]

    again = fetch()  # the same half listing: still compared with the last good one, still held
    assert again.status == "cached" and len(again.entries) == 40
    whole = fetch(40)
    assert (whole.status, whole.badge, whole.count, whole.error) == ("ok", "aggregator", 40, None)
    assert fetch_log(archive)[-1] == ("not_modified", 40)  # the last good payload's ETag: a 304
    # A 304 parses nothing: its entries are the archived payload's, parsed when a step asks.
    assert whole.deferred and whole.entries == [] and whole.sha256 == first.sha256
    assert whole.load_entries(openrouter, archive) == first.entries

    class Changed:  # a parser that no longer reads the archived payload (the code changed since)
        @staticmethod
        def parse(payload: bytes) -> list[Any]:
            raise PayloadError("no 'data' list")

    with pytest.raises(PayloadError, match=r"openrouter: the archived payload \w{12} .* no longer parses: no 'data' list; "
                                           r"fetch it again with `aisi sync openrouter --force`"):
        whole.load_entries(Changed, archive)


def test_a_fresh_payload_is_kept_normalised_with_its_validations_a_held_back_one_is_not(served):
    """The records step of the same process takes the batch the fetch made and the validations it
    handed over then (no worker here: they are made when asked); a held-back payload keeps nothing."""
    fetch, _ = served
    engine._FRESH_BATCHES.clear()
    first = fetch()
    provenance = Provenance("openrouter", "aggregator", first.url, first.fetched_at)
    kept = take_normalised("openrouter", first.sha256, provenance)
    assert kept is not None and len(kept.batch.offerings) == 40 and len(kept.batch.prices) == 80
    validated = [(name, o.success, o.rows, o.evaluated) for name, o in outcomes(kept.validations)]
    assert validated == [(name, o.success, o.rows, o.evaluated) for name, o in validate_records(kept.batch)]
    assert validated == [("offerings", True, 40, 7), ("prices", True, 80, 7)]
    assert take_normalised("openrouter", first.sha256, provenance) is None  # taken once

    held = fetch(20)
    assert held.status == "cached" and not engine._FRESH_BATCHES  # the held-back batch is not kept


def test_with_the_guard_off_a_shrunk_listing_is_accepted(served, monkeypatch):
    fetch, archive = served
    fetch()
    monkeypatch.setenv("AISI_DROP_GUARD_SHARE", "1")
    accepted = fetch(20)
    assert accepted.status == "ok" and len(accepted.entries) == 20
    monkeypatch.delenv("AISI_DROP_GUARD_SHARE")
    assert fetch(19).status == "ok"  # compared with the accepted 20 now


OLD_SCHEMA = """
CREATE TABLE fetches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, url TEXT NOT NULL, http_status INTEGER,
    etag TEXT, last_modified TEXT, sha256 TEXT, bytes INTEGER, fetched_at TEXT NOT NULL, outcome TEXT NOT NULL, error TEXT
);
"""


def test_an_archive_from_before_the_guard_is_upgraded_and_its_payload_counted(tmp_path, monkeypatch):
    root = tmp_path / "raw"
    root.mkdir()
    with sqlite3.connect(root / "index.sqlite") as conn:
        conn.executescript(OLD_SCHEMA)
    archive = RawArchive(root)  # adds the entries column
    sha = archive.store(listing(40))
    with sqlite3.connect(archive.index_path) as conn:  # a fetch recorded by the old code: no count
        conn.execute(
            "INSERT INTO fetches (source, url, http_status, sha256, bytes, fetched_at, outcome) VALUES (?, ?, 200, ?, 1, ?, 'fetched')",
            ("openrouter", "http://old/api/v1/models", sha, datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat()),
        )
    assert RawArchive(root).last_good("openrouter").entries is None  # reopening is harmless

    with ReplayServer() as server:
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", server.url)
        server.add("/api/v1/models", listing(10))
        held = fetch_source(openrouter, HttpClientResource(max_attempts=1, backoff_initial_s=0.01), archive)
    assert held.status == "cached" and held.drop_guard.previous_entries == 40 and len(held.entries) == 40
    # The old record's payload was measured once and its counts written back.
    last = archive.last_good("openrouter")
    assert (last.entries, last.accepted, last.prices, last.profile["pricing"]) == (40, 40, 80, 1.0)


# -- the whole graph -------------------------------------------------------------------------------


def payload_guard(run_id: str) -> Any:
    records = dg.DagsterInstance.get().get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        data = record.event_log_entry.dagster_event.event_specific_data
        if data.asset_key == dg.AssetKey("openrouter_records") and data.check_name == "payload_guard":
            return data
    raise AssertionError("no payload_guard result for openrouter_records")


def published(home: Path, run_id: str) -> tuple[tuple[Any, ...], int]:
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        run = con.execute(
            "SELECT status, badge, entries, error FROM source_runs WHERE run_id = ? AND source = 'openrouter'", [run_id]
        ).fetchone()
        offered = con.execute("SELECT count(*) FROM offerings WHERE provider_id = 'openrouter'").fetchone()[0]
    return run, offered


@pytest.mark.slow
def test_a_source_that_loses_half_its_models_keeps_its_last_good_data(replay, home, refresh):
    route = replay.routes[OPENROUTER_PATH]
    full = route.body
    models = json.loads(full)["data"]
    assert len(models) == 7

    first = refresh()
    assert first.success, first.errors
    run, offered = published(home, first.run_id)
    assert run == ("ok", "aggregator", 7, None) and offered == 5  # 7 entries: one without an id, one unpriceable
    assert payload_guard(first.run_id).passed

    route.body = json.dumps({"data": models[:3], "total_count": 3}).encode()
    second = refresh()
    assert second.success, second.errors  # the source is degraded, not the run: publish goes ahead
    run, held_offered = published(home, second.run_id)
    error = "sudden drop: 3 models vs 7 in the last good run (-57 %); new data held back"
    assert run == ("cached", "cached", 7, error)
    assert held_offered == offered  # the first payload's models, still published
    assert {s["source"]: s["error"] for s in second.sources}["openrouter"] == error
    check = payload_guard(second.run_id)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    numbers = {k: v.value for k, v in check.metadata.items()}
    assert (numbers["previous_count"], numbers["new_count"], numbers["drop_share"], numbers["held_back"]) == (7, 3, 0.5714, True)
    assert numbers["threshold_share"] == 0.2

    route.body = full
    third = refresh()
    assert third.success, third.errors
    run, offered_again = published(home, third.run_id)
    assert run == ("ok", "aggregator", 7, None) and offered_again == offered
    assert payload_guard(third.run_id).passed
