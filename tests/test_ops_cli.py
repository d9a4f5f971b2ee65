"""The operator's commands through click's runner on a real home: `aisi sources` after a refresh,
`aisi sync SOURCE --force` against the replay server (no conditional request, a shrink let
through once and recorded), `aisi snapshots` and `aisi rollback` switching what the API serves
and the next refresh switching it back, in DuckDB mode and in PostgreSQL mode."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import duckdb
import psycopg
import pytest
from click.testing import CliRunner, Result

from core.stores.snapshot_retention import plan
from core.stores.warehouse import SnapshotStore
from pipelines.cli import main
from tests.conftest import FIXTURES, PLANTED_KEYS, SOURCE_ROUTES, isolate
from tests.replay import ReplayServer, Route
from tests.test_api import ApiServer, latest_snapshot, start_server

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"
ALL_SOURCES = 21


def aisi(*args: str) -> Result:
    """`aisi ARGS` in this process, as a user runs it (exit code, stdout and stderr apart)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def describe(result: Result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"


def openrouter_listing(keep: int | None = None, gpt4o_prompt: str | None = None) -> bytes:
    """The OpenRouter fixture, with only its first ``keep`` entries and gpt-4o's prompt price changed."""
    document = json.loads((FIXTURES / "openrouter_models.json").read_text())
    if gpt4o_prompt is not None:
        next(m for m in document["data"] if m.get("id") == "openai/gpt-4o")["pricing"]["prompt"] = gpt4o_prompt
    if keep is not None:
        document["data"] = document["data"][:keep]
    return json.dumps(document).encode()


def openrouter_input_price(api: ApiServer) -> tuple[float, str]:
    """What the API serves as OpenRouter's input price of openai/gpt-4o, and the snapshot id."""
    response = api.get("/api/v1/models/openai/gpt-4o")
    assert response.status_code == 200, response.text
    offering = next(o for o in response.json()["offerings"] if o["provider_id"] == "openrouter")
    return offering["prices"]["input"]["usd_per_mtok"], response.headers["x-snapshot-id"]


def served_after_switch(api: ApiServer, snapshot_id: str, timeout: float = 15) -> tuple[float, str]:
    """As :func:`openrouter_input_price`, once the API serves ``snapshot_id``: in PostgreSQL mode
    it looks the served snapshot up at most once a second (``api/store.py``, SNAPSHOT_TTL_S)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = openrouter_input_price(api)
        if answer[1] == snapshot_id or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def sources_json() -> dict[str, dict[str, Any]]:
    result = aisi("sources", "--json")
    assert result.exit_code == 0, describe(result)
    return {s["name"]: s for s in json.loads(result.stdout)["sources"]}


@dataclass
class Home:
    home: Path
    replay: ReplayServer
    openrouter: Route
    tmp: Path
    steps: dict[str, Any] = field(default_factory=dict)

    def requests(self) -> int:
        return len(self.replay.seen(OPENROUTER_PATH))

    def sent_since(self, mark: int) -> list[dict[str, str]]:
        return [seen.headers for seen in self.replay.seen(OPENROUTER_PATH)[mark:]]


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A home refreshed once from the replay server (the aggregators and LMArena), one key set."""
    tmp = tmp_path_factory.mktemp("ops")
    with pytest.MonkeyPatch.context() as mp, ReplayServer() as replay:
        isolate(mp, tmp / "data")
        for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
            replay.add(prefix + path, FIXTURES / fixture)
            mp.setenv(f"AISI_SOURCE_{env_name}_URL", replay.url + prefix)
            mp.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "2")
        mp.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
        mp.setenv("MISTRAL_API_KEY", PLANTED_KEYS["MISTRAL_API_KEY"])  # set: its fetch fails (a dead port)
        first = aisi("refresh")
        assert first.exit_code == 0, describe(first)
        yield Home(tmp / "data", replay, replay.routes[OPENROUTER_PATH], tmp)


def test_sources_after_a_refresh_shows_every_source_with_its_status(duck: Home):
    listed = sources_json()
    assert len(listed) == ALL_SOURCES
    for name in ("openrouter", "models_dev", "litellm", "lmarena", "lmarena_history", "model_defaults"):
        assert listed[name]["status"] == "ok", listed[name]
        assert listed[name]["last_run"] and listed[name]["healthy"] is True
    assert (listed["openrouter"]["badge"], listed["openrouter"]["kind"], listed["openrouter"]["cadence"]) == ("aggregator", "aggregator", "0 * * * *")
    assert listed["openrouter"]["rows"] > 0 and listed["openrouter"]["payload_age_s"] < 600
    assert listed["openrouter"]["url"] == duck.replay.url + OPENROUTER_PATH
    assert listed["openrouter"]["url_variable"] == "AISI_SOURCE_OPENROUTER_URL" and listed["openrouter"]["key_set"] is None
    assert listed["model_defaults"]["badge"] == "config"
    # No key: skipped, not failed; a key set but its API down: failed, nothing to serve.
    assert (listed["openai"]["status"], listed["openai"]["key_set"], listed["openai"]["key_variables"]) == ("skipped", False, ["OPENAI_API_KEY"])
    assert (listed["mistral"]["status"], listed["mistral"]["key_set"], listed["mistral"]["healthy"]) == ("failed", True, False)
    assert listed["openai_pricing"]["status"] == "failed" and listed["openrouter"]["forced"] is False

    table = aisi("sources")
    assert table.exit_code == 0, describe(table)
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[2:]}
    assert len(rows) == ALL_SOURCES and set(rows) == set(listed)
    assert re.search(r"\bok\s+aggregator\b", rows["openrouter"]) and "AISI_SOURCE_OPENROUTER_URL" in rows["openrouter"]
    assert "MISTRAL_API_KEY: set" in rows["mistral"] and " failed " in rows["mistral"]
    assert "OPENAI_API_KEY: not set" in rows["openai"] and " skipped " in rows["openai"]
    assert PLANTED_KEYS["MISTRAL_API_KEY"] not in table.stdout + json.dumps(listed)  # never the key itself


def forced_sync(duck: Home) -> dict[str, Any]:
    """The sync story once per module: a plain sync (304), a shrink held back, the same sync
    forced (no conditional request: the shrink goes through), then a plain one guarded again."""
    if "sync" in duck.steps:
        return duck.steps["sync"]
    steps: dict[str, Any] = {"before": latest_snapshot(duck.home).stem}
    mark = duck.requests()
    steps["plain"] = aisi("sync", "openrouter")
    steps["plain_headers"] = duck.sent_since(mark)
    steps["plain_snapshot"] = latest_snapshot(duck.home).stem

    duck.openrouter.body = openrouter_listing(keep=2, gpt4o_prompt="0.000002")  # 7 -> 2 models, gpt-4o at 2 $/M
    steps["held"] = aisi("sync", "openrouter")
    steps["held_sources"] = sources_json()
    steps["held_snapshot"] = latest_snapshot(duck.home).stem
    mark = duck.requests()
    steps["forced"] = aisi("sync", "openrouter", "--force")
    steps["forced_headers"] = duck.sent_since(mark)
    steps["forced_sources"] = sources_json()
    steps["forced_snapshot"] = latest_snapshot(duck.home).stem
    mark = duck.requests()
    steps["after"] = aisi("sync", "openrouter")
    steps["after_headers"] = duck.sent_since(mark)
    with duckdb.connect(str(duck.home / "warehouse.duckdb"), read_only=True) as con:
        steps["runs"] = con.execute(
            "SELECT status, forced, entries, error, started_at FROM source_runs WHERE source = 'openrouter' ORDER BY started_at").fetchall()
    duck.steps["sync"] = steps
    return steps


def test_sync_force_skips_the_conditional_request_and_lets_a_shrink_through_once(duck: Home):
    steps = forced_sync(duck)
    # Unchanged: a conditional request answered 304; nothing published; only its line printed.
    plain = steps["plain"]
    assert plain.exit_code == 0, describe(plain)
    assert len(steps["plain_headers"]) == 1 and "if-none-match" in steps["plain_headers"][0]
    assert steps["plain_snapshot"] == steps["before"] and "Unchanged" in plain.stdout
    printed = re.findall(r"^  (\w+)\s+(ok|cached|failed|skipped)\s+badge=", plain.stdout, re.MULTILINE)
    assert printed == [("openrouter", "ok")], describe(plain)

    # A shrink from 7 models to 2 is held back: the last good payload is served, the sync fails.
    held = steps["held"]
    assert held.exit_code == 1, describe(held)
    assert re.search(r"^  openrouter\s+cached\s+badge=cached", held.stdout, re.MULTILINE), describe(held)
    assert "aisi sync openrouter --force" in held.stdout
    assert steps["held_sources"]["openrouter"]["status"] == "cached"

    # Forced: no If-None-Match nor If-Modified-Since sent, the shrink accepted and recorded as forced.
    forced = steps["forced"]
    assert forced.exit_code == 0, describe(forced)
    assert len(steps["forced_headers"]) == 1
    assert "if-none-match" not in steps["forced_headers"][0] and "if-modified-since" not in steps["forced_headers"][0]
    assert re.search(r"^  openrouter\s+ok\s+badge=aggregator", forced.stdout, re.MULTILINE), describe(forced)
    assert steps["forced_snapshot"] != steps["before"]
    line = steps["forced_sources"]["openrouter"]
    assert (line["status"], line["forced"], line["healthy"]) == ("ok", True, True)

    # Once: the next plain sync is conditional again (304 on the accepted payload), not forced.
    after = steps["after"]
    assert after.exit_code == 0, describe(after)
    assert "if-none-match" in steps["after_headers"][0]
    statuses = [(status, forced_flag, entries) for status, forced_flag, entries, _, _ in steps["runs"]]
    assert ("cached", False, 7) in statuses and ("ok", True, 2) in statuses, statuses
    # One forced fetch (a later merge, confirming the removals, records the batch it used again).
    assert {(error, started) for _, f, _, error, started in steps["runs"] if f} == {(
        "forced: sudden drop: 2 models vs 7 in the last good run (-71 %); accepted once (aisi sync --force)",
        max(started for _, f, _, _, started in steps["runs"] if f))}


def test_rollback_switches_what_the_api_serves_and_the_next_refresh_switches_back(duck: Home):
    steps = forced_sync(duck)
    # Published: the held-back sync (openrouter cached, its old prices kept), the forced one, and
    # the one after it (the models the shrink lost counted towards their removal).
    held, forced, newest = steps["held_snapshot"], steps["forced_snapshot"], latest_snapshot(duck.home).stem
    api = start_server(duck.home, duck.tmp / "api-duck.log")
    try:
        assert openrouter_input_price(api) == (2.0, newest)
        body = json.loads(aisi("snapshots", "--json").stdout)
        assert [s["snapshot_id"] for s in body["snapshots"] if s["served"]] == [newest]
        assert {held, forced} <= {s["snapshot_id"] for s in body["snapshots"]} and body["rollback_in_effect"] is None

        previous = aisi("rollback")  # the one published before the served one
        assert previous.exit_code == 0, describe(previous)
        assert f"now serve {forced} (was {newest})" in previous.stdout
        assert latest_snapshot(duck.home).stem == forced and openrouter_input_price(api) == (2.0, forced)
        named = aisi("rollback", held)
        assert named.exit_code == 0, describe(named)
        assert openrouter_input_price(api) == (2.5, held)  # the API serves the snapshot from before the shrink
        # The retention keeps the snapshot served again, however old: it is the one latest.duckdb names.
        store = SnapshotStore(duck.home / "snapshots")
        kept = plan(store.snapshots(), store.latest_path(), datetime.now(timezone.utc), keep=1, daily_days=0)
        assert kept.keep.get(duck.home / "snapshots" / f"{held}.duckdb") == "latest"

        table = aisi("snapshots")
        assert re.search(rf"^\*\s+{held}\s", table.stdout, re.MULTILINE), describe(table)
        assert f"In effect: rollback of" in table.stdout and f"to {held} (from {forced})" in table.stdout
        with duckdb.connect(str(duck.home / "warehouse.duckdb"), read_only=True) as con:
            recorded = con.execute("SELECT from_snapshot_id, to_snapshot_id, postgres FROM rollbacks ORDER BY rolled_back_at").fetchall()
        assert recorded == [(newest, forced, False), (forced, held, False)]
        same = aisi("rollback", held)
        assert same.exit_code == 1 and "served already" in same.stderr
        unknown = aisi("rollback", "20990101T000000Z")
        assert unknown.exit_code == 1 and "no published snapshot '20990101T000000Z'" in unknown.stderr

        # No source changed, yet the next refresh publishes again and says it replaces the rollback.
        again = aisi("refresh")
        assert again.exit_code == 0, describe(again)
        assert f"Rollback replaced: rollback of" in again.stdout and f"to {held}" in again.stdout and "Unchanged" not in again.stdout
        latest = latest_snapshot(duck.home).stem
        assert latest not in (held, forced, newest)
        assert openrouter_input_price(api) == (2.0, latest)
        assert json.loads(aisi("snapshots", "--json").stdout)["rollback_in_effect"] is None
    finally:
        api.stop()


def test_rollback_in_postgresql_mode_republishes_curated(pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with ReplayServer() as replay:
        isolate(monkeypatch, tmp_path / "data")
        for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
            if env_name in ("OPENROUTER", "MODELS_DEV", "LITELLM"):
                replay.add(prefix + path, FIXTURES / fixture)
                monkeypatch.setenv(f"AISI_SOURCE_{env_name}_URL", replay.url + prefix)
        monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
        monkeypatch.setenv("AISI_DATABASE_URL", pg_database)
        home = tmp_path / "data"
        first = aisi("refresh")
        assert first.exit_code == 0, describe(first)
        old = latest_snapshot(home).stem
        # One snapshot only: nothing to roll back to.
        nothing = aisi("rollback")
        assert nothing.exit_code == 1 and f"no snapshot published before {old}" in nothing.stderr, describe(nothing)

        replay.routes[OPENROUTER_PATH].body = openrouter_listing(gpt4o_prompt="0.000002")
        synced = aisi("sync", "openrouter")
        assert synced.exit_code == 0, describe(synced)
        new = latest_snapshot(home).stem
        assert new != old
        api = start_server(home, tmp_path / "api-pg.log", AISI_DATABASE_URL=pg_database)
        try:
            assert openrouter_input_price(api) == (2.0, new)
            rolled = aisi("rollback")
            assert rolled.exit_code == 0, describe(rolled)
            assert "PostgreSQL curated (one transaction)" in rolled.stdout
            assert served_after_switch(api, old) == (2.5, old)
            with psycopg.connect(pg_database) as conn:
                assert conn.execute("SELECT from_snapshot_id, to_snapshot_id, postgres FROM curated.rollbacks").fetchall() == [(new, old, True)]
                assert conn.execute("SELECT count(*) FROM curated.publishes WHERE snapshot_id = %s", (new,)).fetchone() == (0,)
            listed = json.loads(aisi("snapshots", "--json").stdout)
            assert [s["snapshot_id"] for s in listed["snapshots"] if s["served"]] == [old]
            assert listed["rollback_in_effect"]["to_snapshot_id"] == old

            again = aisi("refresh")
            assert again.exit_code == 0, describe(again)
            assert "Rollback replaced: rollback of" in again.stdout
            latest = latest_snapshot(home).stem
            assert latest not in (old, new) and served_after_switch(api, latest) == (2.0, latest)
            # The price change is in the feed again: curated had gone back to before it.
            with psycopg.connect(pg_database) as conn:
                changed = conn.execute(
                    "SELECT count(*) FROM curated.changes WHERE kind = 'price_changed' AND model_key = 'openai/gpt-4o' "
                    "AND provider_id = 'openrouter'").fetchone()[0]
            assert changed == 1
        finally:
            api.stop()
