"""The change feed, price history API and disagreement figure through the real catalog graph:
refreshes against the replay server (fixtures, then the real reference data), DuckDB and
PostgreSQL, and the read API over HTTP."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path
from typing import Any, Iterator

import dagster as dg
import duckdb
import psycopg
import pytest

from core.settings import settings
from core.catalog.quarantine import TEXT_TOKEN_TYPES, price_ceiling
from core.records import Provenance
from core.sources import litellm, models_dev, openrouter
from tests.replay import ReplayServer
from tests.test_api import latest_snapshot, start_server

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"
GPT_INPUT = (b'"prompt": "0.0000025"', b'"prompt": "0.000002"')  # openrouter's gpt-4o input: 2.5 -> 2.0
LLAMA_INPUT = (b'{"prompt": "0.0000004", "completion"', b'{"prompt": "0.0000005", "completion"')  # 0.4 -> 0.5


def rows(home: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(latest_snapshot(home)), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def metadata(asset: str) -> dict[str, Any]:
    """The latest materialisation's metadata of ``asset`` on this test's Dagster instance."""
    event = dg.DagsterInstance.get().get_latest_materialization_event(dg.AssetKey(asset))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def swap(replay: ReplayServer, old: bytes, new: bytes) -> None:
    route = replay.routes[OPENROUTER_PATH]
    assert old in route.body
    route.body = route.body.replace(old, new)


def test_three_refreshes_one_price_change_in_history_feed_and_api(replay: ReplayServer, home: Path, refresh, tmp_path: Path):
    assert refresh().success
    # The first publish of an empty store is a baseline: every model tracked, nothing reported.
    assert rows(home, "SELECT count(*) FROM changes") == [(0,)]
    assert rows(home, "SELECT count(*) FROM model_presence") == rows(home, "SELECT count(*) FROM models")
    assert "baseline" in metadata("changes")["note"] and metadata("changes")["new_changes"] == 0
    pairs = rows(home, "SELECT source_a, source_b, offerings_compared, disagreements FROM source_disagreements ORDER BY 1, 2")
    assert ("models_dev", "openrouter", 1, 0) in pairs  # the llama on openrouter, both at 0.4

    assert refresh().success
    assert rows(home, "SELECT count(*) FROM changes") == [(0,)]  # unchanged: no row at all

    swap(replay, *GPT_INPUT)
    swap(replay, *LLAMA_INPUT)
    third = refresh()
    assert third.success, third.errors
    feed = rows(home, "SELECT kind, model_key, provider_id, field, old, new, pct_change, source, run_id FROM changes ORDER BY kind, model_key")
    assert feed == [
        # OpenRouter's own listing of provider openrouter wins over models.dev's copy of it.
        ("price_changed", "meta/llama-3.1-70b-instruct", "openrouter", "input", "0.4", "0.5", pytest.approx(25.0), "openrouter", third.run_id),
        ("price_changed", "openai/gpt-4o", "openrouter", "input", "2.5", "2", pytest.approx(-20.0), "openrouter", third.run_id),
        # The copy still says 0.4: the two now disagree.
        ("source_disagreement", "meta/llama-3.1-70b-instruct", "openrouter", "input", "0.4", "0.5", pytest.approx(25.0),
         "models_dev,openrouter", third.run_id),
    ]
    assert ("models_dev", "openrouter", 1, 1) in rows(
        home, "SELECT source_a, source_b, offerings_compared, disagreements FROM source_disagreements")
    detected_at = rows(home, "SELECT DISTINCT detected_at FROM changes")[0][0]

    api = start_server(home, tmp_path / "api.log")
    try:
        history = api.get("/api/v1/pricing/history", params={"model": "openai/gpt-4o", "provider": "openrouter", "price_type": "input"})
        assert history.status_code == 200, history.text
        items = history.json()["items"]
        assert [(i["usd_per_mtok"], i["valid_to"] is None, i["current"]) for i in items] == [(2.5, False, False), (2.0, True, True)]
        assert items[0]["valid_to"] == items[1]["valid_from"]
        assert datetime.fromisoformat(items[1]["valid_from"]) == detected_at
        every = api.get("/api/v1/pricing/history", params={"model": "openai/gpt-4o"}).json()
        assert every["total"] == len(every["items"]) > 2
        assert every["items"] == sorted(every["items"], key=lambda i: (i["provider_id"], i["provider_model_id"], i["price_type"], i["valid_from"]))

        missing = api.get("/api/v1/pricing/history")
        assert missing.status_code == 422 and [p["parameter"] for p in missing.json()["problems"]] == ["model"]
        assert api.get("/api/v1/pricing/history", params={"model": "openai/no-such-model"}).status_code == 404

        changes = api.get("/api/v1/changes").json()
        assert changes["total"] == 3 and [c["kind"] for c in changes["items"]] == ["price_changed", "price_changed", "source_disagreement"]
        price = api.get("/api/v1/changes", params={"kind": "price_changed", "model": "openai/gpt-4o"}).json()["items"]
        assert [(c["old"], c["new"], c["pct_change"], c["field"], c["provider_model_id"]) for c in price] == [
            ("2.5", "2", -20.0, "input", "openai/gpt-4o")]
        paged = api.get("/api/v1/changes", params={"limit": 1, "offset": 2}).json()
        assert paged["total"] == 3 and [c["kind"] for c in paged["items"]] == ["source_disagreement"]
        beyond = api.get("/api/v1/changes", params={"limit": 1, "offset": 40}).json()  # past the end: the total still 3
        assert (beyond["items"], beyond["total"]) == ([], 3)
        day = detected_at.date().isoformat()
        assert api.get("/api/v1/changes", params={"since": day}).json()["total"] == 3
        assert api.get("/api/v1/changes", params={"since": detected_at.isoformat()}).json()["total"] == 3
        later = (detected_at + timedelta(seconds=1)).astimezone(timezone.utc).replace(tzinfo=None).isoformat()  # naive = UTC
        assert api.get("/api/v1/changes", params={"since": later}).json() == {"items": [], "total": 0, "limit": 100, "offset": 0}
        for params, parameter in (({"since": "last tuesday"}, "since"), ({"kind": "model_renamed"}, "kind"), ({"limit": 0}, "limit")):
            bad = api.get("/api/v1/changes", params=params)
            assert bad.status_code == 422 and bad.json()["problems"][0]["parameter"] == parameter, bad.text
            assert parameter in bad.json()["error"]

        etag = api.get("/api/v1/changes").headers["etag"]
        assert api.get("/api/v1/changes", headers={"If-None-Match": etag}).status_code == 304

        quality = api.get("/api/v1/status").json()["quality"]
        published = rows(home, "SELECT source_a, source_b, offerings_compared, disagreements, share FROM source_disagreements ORDER BY 1, 2")
        assert [tuple(p[k] for k in ("source_a", "source_b", "offerings_compared", "disagreements", "share"))
                for p in quality["source_disagreements"]] == published
        assert quality["disagreements_total"] == 1
    finally:
        api.stop()


def test_model_removed_after_healthy_absent_runs_never_after_a_failed_fetch(
    replay: ReplayServer, home: Path, refresh, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AISI_REMOVED_AFTER_RUNS", "2")
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "2")
    assert refresh().success
    # A model only OpenRouter lists, with the fewest price rows: its removal is an ordinary
    # change, not a collapse of the listing's prices (which the payload guard would hold back).
    only_openrouter = rows(home, "SELECT p.model_key, (SELECT count(*) FROM current_prices c WHERE c.model_key = p.model_key) AS n "
                                 "FROM model_presence p WHERE p.sources = 'openrouter' ORDER BY n, 1")
    assert only_openrouter
    model_key = only_openrouter[0][0]
    source_id = rows(home, "SELECT provider_model_id FROM offerings WHERE model_key = ? AND provider_id = 'openrouter'", model_key)[0][0]
    route = replay.routes[OPENROUTER_PATH]
    document = json.loads(route.body)
    document["data"] = [m for m in document["data"] if m.get("id") != source_id]
    route.body = json.dumps(document).encode()

    # OpenRouter fails: the archived listing (with the model) is served as cached. Nothing happens.
    route.mode = "500"
    summary = refresh()
    assert summary.success and {s["source"]: s["status"] for s in summary.sources}["openrouter"] == "cached"
    assert rows(home, "SELECT count(*) FROM changes") == [(0,)]

    # Healthy and without the model: one absent run counted, then removed.
    route.mode = "ok"
    assert refresh().success
    assert rows(home, "SELECT missing_runs, removed_at IS NULL FROM model_presence WHERE model_key = ?", model_key) == [(1, True)]
    assert rows(home, "SELECT count(*) FROM changes") == [(0,)]
    # Until the feed confirms the removal, the catalog keeps the model as it was, marked unlisted.
    assert rows(home, "SELECT listed, unlisted_since IS NOT NULL FROM models WHERE model_key = ?", model_key) == [(False, True)]
    assert rows(home, "SELECT count(*) FROM current_prices WHERE model_key = ?", model_key)[0][0] == only_openrouter[0][1]
    assert refresh().success
    assert rows(home, "SELECT kind, model_key, source FROM changes") == [("model_removed", model_key, "openrouter")]
    assert rows(home, "SELECT missing_runs, removed_at IS NOT NULL FROM model_presence WHERE model_key = ?", model_key) == [(2, True)]
    assert rows(home, "SELECT count(*) FROM models WHERE model_key = ?", model_key) == [(0,)]


@pytest.fixture
def database(pg_database: str, replay: ReplayServer, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AISI_DATABASE_URL", pg_database)
    return pg_database


def pg(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.postgres
def test_changes_and_disagreements_reach_postgres_and_its_api(database: str, replay: ReplayServer, home: Path, refresh, tmp_path: Path):
    assert refresh().success
    swap(replay, *GPT_INPUT)
    swap(replay, *LLAMA_INPUT)
    summary = refresh()
    assert summary.success and summary.warehouse.startswith("PostgreSQL")

    feed_sql = "SELECT detected_at, kind, model_key, provider_id, field, old, new, pct_change, source, run_id FROM {}changes ORDER BY kind, model_key"
    assert pg(database, feed_sql.format("curated.")) == rows(home, feed_sql.format(""))
    assert [k for (_, k, *_rest) in pg(database, feed_sql.format("curated."))] == ["price_changed", "price_changed", "source_disagreement"]
    for table in ("source_disagreements", "price_disagreements", "model_presence"):
        assert sorted(pg(database, f"SELECT * FROM curated.{table}"), key=repr) == sorted(rows(home, f"SELECT * FROM {table}"), key=repr), table
    comment = pg(database, "SELECT obj_description('curated.changes'::regclass, 'pg_class')")[0][0]
    assert comment and "Append-only" in comment

    from_pg = start_server(home, tmp_path / "api-pg.log", AISI_DATABASE_URL=database)
    from_duckdb = start_server(home, tmp_path / "api-duckdb.log")
    try:
        for path, params in [
            ("/api/v1/pricing/history", {"model": "openai/gpt-4o"}),
            ("/api/v1/pricing/history", {"model": "openai/gpt-4o", "provider": "openrouter", "price_type": "input"}),
            ("/api/v1/changes", {}),
            ("/api/v1/changes", {"kind": "source_disagreement", "since": "2000-01-01"}),
        ]:
            a, b = from_pg.get(path, params=params), from_duckdb.get(path, params=params)
            assert a.status_code == b.status_code == 200, (path, a.text)
            assert a.json() == b.json(), path
            assert a.json()["items"], path
        assert from_pg.get("/api/v1/pricing/history", params={"model": "openai/nope"}).status_code == 404
        assert from_pg.get("/api/v1/changes", params={"since": "soon"}).status_code == 422
        assert from_pg.get("/api/v1/status").json()["quality"] == from_duckdb.get("/api/v1/status").json()["quality"]
    finally:
        from_pg.stop()
        from_duckdb.stop()


# -- the real reference data ---------------------------------------------------------------

# The three aggregators as served: source name -> (env name, prefix, path, older file, newer file).
REFERENCE_SOURCES = {
    "openrouter": ("OPENROUTER", "/openrouter", "/api/v1/models", "openrouter/openrouter_models.2026-05-15.models.dev.json",
                   "openrouter/openrouter_models.2026-08-01.token-tariff.json"),
    "models_dev": ("MODELS_DEV", "/models_dev", "/api.json", "models.dev/api.json", "models.dev/api.json"),
    "litellm": ("LITELLM", "/litellm", "/model_prices_and_context_window.json", "litellm/model_prices_and_context_window.2026-01-21.json",
                "litellm/model_prices_and_context_window.2026-07-24.json"),
}
MODULES = {"openrouter": openrouter, "models_dev": models_dev, "litellm": litellm}


def serve_reference(server: ReplayServer, reference: Path, mp: pytest.MonkeyPatch, newer: bool = False) -> None:
    """The older (or newer) reference files of the three aggregators on ``server``, the sources
    pointed at it (no endpoint fan-out)."""
    for env_name, prefix, path, older, later in REFERENCE_SOURCES.values():
        server.add(prefix + path, reference / (later if newer else older))
        mp.setenv(f"AISI_SOURCE_{env_name}_URL", server.url + prefix)
        mp.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "30")
    mp.setenv("AISI_OPENROUTER_ENDPOINTS_PER_RUN", "0")


@pytest.fixture
def reference_server(reference: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The older reference files of the three aggregators on a replay server (no endpoint fan-out)."""
    server = ReplayServer().start()
    serve_reference(server, reference, monkeypatch)
    yield server
    server.stop()


def expected_disagreements(reference: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """Independently of the merge: per pair of the three aggregators (newer files), the offerings
    both price and those they differ on by more than the tolerance, from each source's own rows."""
    values: dict[tuple[str, str, str, int], dict[str, float]] = defaultdict(dict)
    for name, (_, _, _, _, newer) in REFERENCE_SOURCES.items():
        module = MODULES[name]
        batch = module.normalise(module.parse((reference / newer).read_bytes()), Provenance(name, "aggregator", "u", datetime.now(timezone.utc)))
        for p in batch.prices.itertuples():
            if p.price_type in TEXT_TOKEN_TYPES and float(p.usd_per_mtok) > price_ceiling():
                continue  # quarantined above the ceiling: never published, never compared
            values[(p.provider_id, p.provider_model_id, p.price_type, p.above_tokens)].setdefault(name, float(p.usd_per_mtok))
    compared: dict[tuple[str, str], set] = defaultdict(set)
    differ: dict[tuple[str, str], set] = defaultdict(set)
    for (provider, model_id, _, _), by_source in values.items():
        for a, b in combinations(sorted(by_source), 2):
            compared[(a, b)].add((provider, model_id))
            high = max(by_source[a], by_source[b])
            if high > 0 and abs(by_source[a] - by_source[b]) / high > settings({}).disagreement_tolerance:
                differ[(a, b)].add((provider, model_id))
    return {pair: (len(offerings), len(differ[pair])) for pair, offerings in compared.items()}


def test_reference_data_disagreements_and_price_changes(reference_server: ReplayServer, reference: Path, home: Path, refresh):
    first = refresh()
    assert first.success, first.errors
    assert rows(home, "SELECT count(*) FROM changes") == [(0,)]
    for _, prefix, path, _, newer in REFERENCE_SOURCES.values():
        reference_server.routes[prefix + path].body = (reference / newer).read_bytes()
    second = refresh()
    assert second.success, second.errors

    published = {(a, b): (compared, n, share) for a, b, compared, n, share in rows(
        home, "SELECT source_a, source_b, offerings_compared, disagreements, share FROM source_disagreements ORDER BY 1, 2")}
    kinds = dict(rows(home, "SELECT kind, count(*) FROM changes GROUP BY kind"))
    print("\nsource disagreements per pair (reference data, tolerance 1 %):")
    for (a, b), (compared, n, share) in published.items():
        print(f"  {a:>16} vs {b:<16} offerings compared {compared:>5}  disagreements {n:>4}  share {share:.2%}")
    print(f"changes between the older and the newer reference files: {kinds}")

    # The quality figure in the asset's metadata is the published table.
    figure = metadata("source_disagreements")
    assert figure["disagreements_total"] == sum(n for _, n, _ in published.values())
    assert {tuple(p["pair"].split(",")): p["disagreements"] for p in figure["by_pair"]} == {k: v[1] for k, v in published.items()}
    # The figure is real (> 0) and what an independent count over the sources' own rows gives.
    assert sum(n for _, n, _ in published.values()) > 0
    expected = expected_disagreements(reference)
    for pair, (compared, n) in expected.items():
        assert published[pair][:2] == (compared, n), pair
    assert sum(n for _, n in expected.values()) > 0
    # The per-price detail agrees with the per-pair figure.
    detail = dict(((a, b), n) for a, b, n in rows(
        home, "SELECT source_a, source_b, count(DISTINCT (provider_id, provider_model_id)) FROM price_disagreements GROUP BY 1, 2"))
    assert {pair: n for pair, (_, n, _) in published.items() if n} == detail
    # Disagreements first seen in this run are the ones reported; those of the first run are not.
    assert rows(home, "SELECT count(*) FROM changes WHERE kind = 'source_disagreement'") == rows(
        home, "SELECT count(*) FROM price_disagreements WHERE detected_at = (SELECT max(detected_at) FROM source_disagreements)")
    assert rows(home, "SELECT count(*) FROM price_disagreements WHERE detected_at < (SELECT max(detected_at) FROM source_disagreements)")[0][0] > 0
    # Prices moved between the LiteLLM / OpenRouter dates: each closed row reopened with another value.
    assert kinds.get("price_changed", 0) > 0
    assert rows(home, "SELECT count(*) FROM changes WHERE kind = 'price_changed'") == rows(
        home, "SELECT count(*) FROM prices c JOIN prices o USING (provider_id, provider_model_id, price_type, above_tokens) "
              "WHERE c.valid_to = o.valid_from AND c.usd_per_mtok <> o.usd_per_mtok")
