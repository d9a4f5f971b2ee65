"""The payload guard beyond the sudden drop: a payload whose accepted records collapse, whose
records are mostly rejected, whose prices vanish or whose shape changed is held back, and the
source serves its last good payload (badge ``cached``). The sudden drop: tests/test_drop_guard.py."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dagster as dg
import duckdb
import pytest

from core.fetch.engine import fetch_source
from core.quality.payload_guard import check_payload
from core.quality.payload_profile import PayloadCounts, field_profile, measure, reason_kind, reject_kinds
from core.records import Provenance
from core.sources import models_dev, openrouter
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.replay import ReplayServer

OPENROUTER_PATH = "/openrouter/api/v1/models"
MODELS_DEV_PATH = "/models_dev/api.json"
PROFILE = {"id": 1.0, "name": 1.0, "pricing": 1.0, "pricing.prompt": 1.0, "pricing.completion": 1.0}


def counts(entries: int, accepted: int, prices: int, rejected: int = 0, benchmarks: int = 0,
           fields: dict[str, float] | None = None, reasons: dict[str, int] | None = None) -> PayloadCounts:
    return PayloadCounts(entries, accepted, prices, rejected, benchmarks, PROFILE if fields is None else fields, reasons or {})


def rules(fresh: PayloadCounts, previous: PayloadCounts | None, threshold: float = 0.2) -> list[str]:
    return [f.rule for f in check_payload("s", fresh, previous, threshold=threshold).findings]


# -- the rules -------------------------------------------------------------------------------------


def test_every_record_rejected_is_a_collapse_named_with_its_reasons():
    before = counts(20, 20, 40)
    reasons = {"unparseable field: price not a number: 'two dollars'": 12, "unparseable field: price not a number: 'NaN-ish'": 8}
    check = check_payload("openrouter", counts(20, 0, 0, rejected=20, reasons=reasons), before, threshold=0.2)
    assert check.held_back
    assert check.message == ("records collapsed: 0 accepted vs 20 in the last good run "
                             "(all 20 rejected: price not a number); new data held back")
    assert [f.rule for f in check.findings] == ["records_collapsed", "rejects"]  # not also "prices collapsed"
    two_kinds = counts(20, 5, 10, rejected=15, reasons={"no model id": 12, "unparseable field: not a usable price: '-3'": 3})
    assert check_payload("s", two_kinds, before, threshold=0.2).finding == (
        "records collapsed: 5 accepted vs 20 in the last good run (15 of 20 rejected: 12 no model id, 3 not a usable price)")
    # Fewer records without rejects (the normaliser dropped them silently): still a collapse.
    assert check_payload("s", counts(20, 10, 20), before, threshold=0.2).finding == (
        "records collapsed: 10 accepted vs 20 in the last good run (-50 %)")


def test_mostly_rejected_records_are_held_back_only_where_the_last_good_run_had_few():
    # Twice the entries, the new ones all garbage: the offerings held, the rejects did not.
    grown = counts(250, 100, 200, rejected=150, reasons={"no model id": 150})
    assert rules(grown, counts(100, 95, 190, rejected=5)) == ["rejects"]
    finding = check_payload("s", grown, counts(100, 95, 190, rejected=5), threshold=0.2).finding
    assert finding == "records rejected: 150 of 250 rejected: no model id (60 % vs 5 % in the last good run)"
    assert rules(grown, counts(100, 70, 140, rejected=30)) == []  # it always rejected many: not a change
    assert rules(counts(250, 200, 400, rejected=50), counts(100, 95, 190, rejected=5)) == []  # 20 %: not most


def test_prices_that_vanish_while_the_offerings_hold_are_a_likely_shape_change():
    check = check_payload("models_dev", counts(100, 100, 30), counts(100, 100, 250), threshold=0.2)
    assert [f.rule for f in check.findings] == ["prices_collapsed"]
    assert check.finding == ("prices collapsed: 30 price rows vs 250 in the last good run (-88 %) "
                             "while offerings held (100 vs 100); shape change?")
    assert rules(counts(100, 100, 210), counts(100, 100, 250)) == []  # -16 %
    # One model fewer of five that had four of the eleven price rows: its own rows, no collapse.
    assert rules(counts(6, 4, 7, rejected=2), counts(7, 5, 11, rejected=2)) == []
    assert rules(counts(100, 90, 100), counts(100, 100, 250)) == ["prices_collapsed"]  # -60 % with -10 % offerings


def test_a_field_nearly_every_entry_had_gone_is_a_shape_change():
    before = counts(100, 100, 200, fields={"id": 1.0, "cost": 0.93, "cost.input": 0.93, "limit": 1.0, "limit.context": 1.0,
                                           "family": 0.8})
    renamed = counts(100, 100, 0, fields={"id": 1.0, "price": 0.93, "price.input": 0.93, "limit": 1.0, "limit.context": 0.03})
    check = check_payload("models_dev", renamed, before, threshold=0.2)
    assert [f.rule for f in check.findings] == ["shape_change", "prices_collapsed"]
    # cost.input is not named again under the lost cost; family (80 %) was never a usual field.
    assert check.message == ("shape change: field 'cost' in 0 % of entries vs 93 % in the last good run, "
                             "field 'limit.context' in 3 % vs 100 %; new data held back")
    assert check.metadata()["lost_fields"] == ["cost", "limit.context"]
    still = counts(100, 100, 200, fields={"id": 1.0, "cost": 0.6, "cost.input": 0.6, "limit": 1.0, "limit.context": 1.0})
    assert rules(still, before) == []  # 60 % is not "few"
    assert rules(counts(100, 100, 200, fields={}), counts(100, 100, 200, fields={})) == []  # no profile (CSV rows)


def test_benchmark_rows_that_collapse_are_held_back():
    assert rules(counts(50, 0, 0, benchmarks=40), counts(50, 0, 0, benchmarks=400)) == ["benchmarks_collapsed"]
    assert rules(counts(50, 0, 0, benchmarks=390), counts(50, 0, 0, benchmarks=400)) == []


def test_the_sudden_drop_is_reported_first_and_the_guard_can_be_turned_off():
    fewer = counts(5, 0, 0, rejected=5, fields={"id": 1.0}, reasons={"no model id": 5})
    assert rules(fewer, counts(20, 20, 40)) == ["sudden_drop", "shape_change", "records_collapsed", "rejects"]
    off = check_payload("s", fewer, counts(20, 20, 40), threshold=1.0)
    assert not off.held_back and [f.rule for f in off.findings] == ["shape_change", "rejects"]  # noted, not held
    assert not check_payload("s", fewer, None, threshold=0.2).held_back  # no last good payload: accepted
    legacy = PayloadCounts(20)  # an archive record from before the counts: only the entry count is known
    assert rules(counts(20, 0, 0, rejected=20), legacy) == []


def test_the_field_profile_and_reject_kinds():
    entries = [
        {"id": "a", "pricing": {"prompt": "1", "completion": None}, "top": None},
        {"id": "b", "pricing": {"prompt": "1"}},
        ("openai", {"name": "OpenAI"}, "gpt-4o", {"id": "c"}),  # models.dev: the model is the last item
        ("2025-01-01", "openai/gpt-4o", 1300.0),  # a CSV row: no fields
    ]
    assert field_profile(entries) == {"id": 0.75, "pricing": 0.5, "pricing.prompt": 0.5}  # top, completion: null
    assert field_profile([]) == {}
    assert reason_kind("unparseable field: could not convert string to float: 'two dollars'") == "could not convert string to float"
    assert reason_kind("no model id") == "no model id"
    assert reject_kinds({"unparseable field: price not a number: 'a'": 2, "unparseable field: price not a number: 'b'": 1,
                         "no model id": 4}) == {"no model id": 4, "price not a number": 3}


def test_measuring_counts_what_the_normaliser_accepts():
    entries = openrouter.parse(listing(3, bad_prices=1))
    measured = measure(openrouter, entries, Provenance("openrouter", "aggregator", "http://x", datetime.now(timezone.utc)))
    assert (measured.entries, measured.accepted, measured.prices, measured.rejected, measured.benchmarks) == (3, 2, 4, 1, 0)
    assert list(reject_kinds(measured.reject_reasons).values()) == [1]
    assert measured.fields["pricing.prompt"] == 1.0


# -- the fetch -------------------------------------------------------------------------------------


def listing(count: int, bad_prices: int = 0, rename: dict[str, str] | None = None) -> bytes:
    """``count`` OpenRouter models; the first ``bad_prices`` priced "two dollars"; keys renamed."""
    models = []
    for i in range(count):
        model = {"id": f"vendor/model-{i}", "name": f"Vendor: Model {i}", "context_length": 32000,
                 "pricing": {"prompt": "two dollars" if i < bad_prices else "0.000001", "completion": "0.000002"}}
        models.append({(rename or {}).get(k, k): v for k, v in model.items()})
    return json.dumps({"data": models}).encode()


class Counting:
    """A source module whose normaliser counts its calls (to see that a 304 normalises nothing)."""

    def __init__(self, module: Any):
        self.SPEC, self.parse, self._normalise, self.calls = module.SPEC, module.parse, module.normalise, 0

    def normalise(self, entries: list[Any], provenance: Provenance) -> Any:
        self.calls += 1
        return self._normalise(entries, provenance)


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with ReplayServer() as server:
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", server.url)
        route = server.add("/api/v1/models", listing(20))
        archive = RawArchive(tmp_path / "raw")
        module = Counting(openrouter)

        def fetch(body: bytes | None = None):
            if body is not None:
                route.body = body
            return fetch_source(module, HttpClientResource(max_attempts=1, backoff_initial_s=0.01), archive)  # type: ignore[arg-type]

        yield SimpleNamespace(fetch=fetch, archive=archive, module=module)


def fetch_log(archive: RawArchive) -> list[tuple[Any, ...]]:
    with sqlite3.connect(archive.index_path) as conn:
        return conn.execute(
            "SELECT outcome, entries, accepted, prices, rejected FROM fetches WHERE source = 'openrouter' ORDER BY id"
        ).fetchall()


def test_a_payload_whose_every_price_is_text_is_held_back(served):
    first = served.fetch()
    held = served.fetch(listing(20, bad_prices=20))
    assert (held.status, held.badge, held.sha256, len(held.entries)) == ("cached", "cached", first.sha256, 20)
    # The reason is the normaliser's ("price not a number", "could not convert string to float"), once.
    assert held.error.startswith("records collapsed: 0 accepted vs 20 in the last good run (all 20 rejected: ")
    assert held.error.endswith("); new data held back") and len(held.drop_guard.metadata()["rejected_reasons"]) == 1
    assert fetch_log(served.archive) == [("fetched", 20, 20, 40, 0), ("held_back", 20, 0, 0, 20)]
    assert served.archive.last_good("openrouter").sha256 == first.sha256


def test_a_304_reuses_the_counts_without_normalising(served):
    served.fetch()
    assert served.module.calls == 1
    again = served.fetch()
    assert again.not_modified and again.status == "ok" and not again.drop_guard.findings
    assert served.module.calls == 1  # nothing normalised for an unchanged payload
    assert fetch_log(served.archive)[-1] == ("not_modified", 20, 20, 40, 0)
    assert served.archive.last_good("openrouter").profile["pricing.prompt"] == 1.0


def test_renamed_price_fields_are_a_shape_change(served):
    served.fetch()
    held = served.fetch(listing(20, rename={"pricing": "prices"}))
    assert held.status == "cached" and len(held.entries) == 20
    assert held.error == "shape change: field 'pricing' in 0 % of entries vs 100 % in the last good run; new data held back"
    assert [f.rule for f in held.drop_guard.findings] == ["shape_change", "prices_collapsed"]


def test_a_small_change_with_a_few_rejects_is_accepted(served):
    served.fetch()
    changed = served.fetch(listing(19, bad_prices=1))
    assert (changed.status, changed.error, len(changed.entries)) == ("ok", None, 19)
    assert fetch_log(served.archive)[-1] == ("fetched", 19, 18, 36, 1)


def test_a_payload_the_normaliser_cannot_digest_is_unparseable(served):
    first = served.fetch()
    served.module._normalise = lambda entries, provenance: (_ for _ in ()).throw(KeyError("price type"))
    failed = served.fetch(listing(21))
    assert (failed.status, failed.sha256) == ("cached", first.sha256)
    assert failed.error == "unusable payload: normalising it failed: KeyError: 'price type'"
    assert fetch_log(served.archive)[-1][0] == "unparseable"


def test_the_real_models_dev_file_is_measured_whole(reference):
    """The guard's measure of the real models.dev payload: every entry counted, its offerings,
    prices and field profile (the time it adds is printed; performance belongs to benchmarks)."""
    payload = (reference / "models.dev" / "api.json").read_bytes()
    started = time.perf_counter()
    entries = models_dev.parse(payload)
    parsed = time.perf_counter()
    measured = measure(models_dev, entries, Provenance("models_dev", "aggregator", "http://x", datetime.now(timezone.utc)))
    done = time.perf_counter()
    print(f"\nmodels.dev: {measured.entries} entries, {measured.accepted} offerings, {measured.prices} prices; "
          f"parse {parsed - started:.3f}s, measure {done - parsed:.3f}s, profile {len(json.dumps(measured.fields))} bytes")
    assert measured.entries == len(entries) and measured.accepted > 0.9 * measured.entries and measured.prices > measured.accepted
    assert measured.fields["cost"] > 0.9 and measured.fields["id"] == 1.0


# -- the whole graph -------------------------------------------------------------------------------


def guard_check(run_id: str, asset: str) -> Any:
    records = dg.DagsterInstance.get().get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        data = record.event_log_entry.dagster_event.event_specific_data
        if data.asset_key == dg.AssetKey(asset) and data.check_name == "payload_guard":
            return data
    raise AssertionError(f"no payload_guard result for {asset}")


def published(home: Path, run_id: str, source: str) -> tuple[tuple[Any, ...], set[tuple[Any, ...]], set[tuple[Any, ...]], int]:
    """The source's run row, the offerings and current prices of the latest snapshot (whichever
    source won each), and how many offerings the source contributed."""
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        run = con.execute("SELECT status, badge, error, rows FROM source_runs WHERE run_id = ? AND source = ?",
                          [run_id, source]).fetchone()
        offerings = set(con.execute("SELECT provider_id, provider_model_id, model_key FROM offerings").fetchall())
        prices = set(con.execute(
            "SELECT provider_id, provider_model_id, price_type, usd_per_mtok FROM prices WHERE valid_to IS NULL").fetchall())
    return run[:3], offerings, prices, run[3]


def models_dev_like(fixture: bytes, extra: int = 24) -> dict[str, Any]:
    """The models.dev fixture with ``extra`` more priced models (a payload large enough that one
    model fewer and one reject are a small change)."""
    document = json.loads(fixture)
    for i in range(extra):
        document["groq"]["models"][f"test-model-{i}"] = {
            "id": f"test-model-{i}", "name": f"Test Model {i}", "release_date": "2025-01-01",
            "cost": {"input": 0.1 + i / 100, "output": 0.2 + i / 100}, "limit": {"context": 32000, "output": 8000},
            "modalities": {"input": ["text"], "output": ["text"]},
        }
    return document


@pytest.mark.slow
def test_prices_turned_to_text_keep_the_last_good_models_and_prices(replay, home, refresh):
    route = replay.routes[OPENROUTER_PATH]
    document = json.loads(route.body)
    first = refresh()
    assert first.success, first.errors
    run, offerings, prices, rows = published(home, first.run_id, "openrouter")
    assert run == ("ok", "aggregator", None) and rows == 5

    for model in document["data"]:
        model["pricing"] = {key: "two dollars" for key in model.get("pricing") or {}}
    route.body = json.dumps(document).encode()
    second = refresh("openrouter")
    assert second.success, second.errors
    run, kept_offerings, kept_prices, rows = published(home, second.run_id, "openrouter")
    assert run[:2] == ("cached", "cached") and rows == 5
    assert run[2].startswith("records collapsed: 0 accepted vs 5 in the last good run (all 7 rejected: ")
    assert run[2].endswith("; new data held back") and "no model id" in run[2]
    assert kept_offerings == offerings and kept_prices == prices  # nothing disappeared, no price changed
    check = guard_check(second.run_id, "openrouter_records")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    numbers = {k: v.value for k, v in check.metadata.items()}
    assert (numbers["previous_accepted"], numbers["new_accepted"], numbers["new_rejected"], numbers["held_back"]) == (5, 0, 7, True)


@pytest.mark.slow
def test_renamed_cost_fields_are_held_back_and_a_small_change_is_accepted(replay, home, refresh):
    route = replay.routes[MODELS_DEV_PATH]
    document = models_dev_like(route.body)
    route.body = json.dumps(document).encode()
    first = refresh()
    assert first.success, first.errors
    run, offerings, prices, rows = published(home, first.run_id, "models_dev")
    assert run == ("ok", "aggregator", None) and rows == 29  # one of the fixture's models is priced "free": rejected

    renamed = json.loads(json.dumps(document))
    for provider in renamed.values():
        for model in provider["models"].values():
            model["pricing"] = model.pop("cost")
    route.body = json.dumps(renamed).encode()
    second = refresh("models_dev")
    assert second.success, second.errors
    run, kept_offerings, kept_prices, rows = published(home, second.run_id, "models_dev")
    assert run == ("cached", "cached",
                   "shape change: field 'cost' in 0 % of entries vs 100 % in the last good run; new data held back")
    assert kept_offerings == offerings and kept_prices == prices and rows == 29
    check = guard_check(second.run_id, "models_dev_records")
    assert not check.passed and "shape change: field 'cost'" in (check.description or "")
    assert check.metadata["lost_fields"].value == ["cost"]

    # A normal small change: one model gone, one price unreadable (a reject), the rest as before.
    small = json.loads(json.dumps(document))
    del small["groq"]["models"]["test-model-0"]
    small["groq"]["models"]["test-model-1"]["cost"]["input"] = "cheap"
    route.body = json.dumps(small).encode()
    third = refresh("models_dev")
    assert third.success, third.errors
    run, changed_offerings, changed_prices, rows = published(home, third.run_id, "models_dev")
    assert run == ("ok", "aggregator", None) and rows == 27
    gone = {o for o in offerings if o[1] in ("test-model-0", "test-model-1")}
    # No source lists those two now: they stay published, unlisted, until their removal is confirmed.
    assert len(gone) == 2 and changed_offerings == offerings
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        unlisted = set(con.execute("SELECT model_key FROM models WHERE NOT listed").fetchall())
    assert unlisted == {(key,) for _, _, key in gone}
    assert guard_check(third.run_id, "models_dev_records").passed
