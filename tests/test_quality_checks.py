"""Asset checks on the merged tables (blocking publish) and on each source's records (warnings,
check specs of the records asset: evaluated in its own step).

Each blocking check fails on a crafted bad frame, materialised as the table's asset with a
stand-in for publish downstream: the check fails with ERROR and publish does not run. The whole
graph: a parser that lets a negative price through makes the run hold publish back while the last
snapshot keeps serving, through the read API too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import dagster as dg
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import pipelines.catalog.definitions as catalog_definitions
from api.app import create_app
from core.fetch.engine import FetchOutcome
from core.quality import expectations as gxe
from core.quality.tables import table_contract
from core.records import BatchBuilder, Provenance
from core.sources import model_defaults, openrouter
from core.settings import settings
from pipelines.catalog.checks import quality_checks, table_check

DEFAULT_CEILING = settings({}).price_ceiling
from pipelines.catalog import record_checks as records_checks
from pipelines.catalog.normalise import build_records_asset, records_assets
from pipelines.resources.archive import RawArchiveResource
from tests.conftest import REPO

WHEN = pd.Timestamp("2026-01-01", tz="UTC")


def good_frame(table: str, n: int = 4) -> pd.DataFrame:
    """A frame with every column of the published table, values of each column's type, unique keys."""
    contract = table_contract(table)
    data: dict[str, Any] = {}
    for column in contract.column_names:
        kind = contract.kind(column)
        if column == "valid_to":
            data[column] = pd.Series([pd.NaT] * n, dtype="datetime64[ns]")
        elif kind == gxe.STRING:
            data[column] = pd.Series([f"vendor/{column}-{i}" for i in range(n)], dtype="str")
        elif kind == gxe.NUMBER:
            data[column] = [float(i + 1) if column == "usd_per_mtok" else 1000 * (i + 1) for i in range(n)]
        elif kind == gxe.TIMESTAMP:
            data[column] = pd.Series([WHEN] * n).astype("datetime64[us, UTC]")
        else:
            data[column] = [None] * n
    return pd.DataFrame(data)


def materialise_with_check(table: str, frame: pd.DataFrame, tmp_path: Path) -> dg.ExecuteInProcessResult:
    """``table`` (a stand-in returning ``frame``), its checks, and a stand-in publish after it."""

    @dg.asset(name=table)
    def stand_in() -> pd.DataFrame:
        return frame

    @dg.asset(name="publish_stand_in", deps=[table])
    def publish() -> int:
        return 1

    return dg.materialize(
        [stand_in, table_check(table), publish],
        resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "storage"))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], Any]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def materialised_keys(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _drop(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda f: f.drop(columns=[column])


def _set(column: str, value: Any, row: int = 1) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def breaker(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({column: object}) if value is None or isinstance(value, str) else frame
        frame.loc[row, column] = value
        return frame

    return breaker


def _duplicate_key(table: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def breaker(frame: pd.DataFrame) -> pd.DataFrame:
        for column in table_contract(table).primary_key:
            frame.loc[2, column] = frame.loc[1, column]
        return frame

    return breaker


def _as_text(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def breaker(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(str)  # "2.0": a number read as text
        return frame

    return breaker


BLOCKING_CASES = [
    # (table, check, how the frame is broken, the failing expectation's label (a prefix))
    ("prices", "schema", _drop("source_kind"), "columns "),
    ("prices", "schema", _as_text("usd_per_mtok"), "usd_per_mtok is a number"),
    ("prices", "schema", _set("source", None), "source is not null"),
    ("prices", "keys", _set("model_key", None), "model_key is not null"),
    ("prices", "keys", _set("provider_model_id", None), "provider_model_id is not null"),
    ("prices", "keys", _duplicate_key("prices"), "(provider_id, provider_model_id, price_type, above_tokens, valid_from) is unique"),
    ("prices", "non_negative_prices", _set("usd_per_mtok", -0.5), "usd_per_mtok >= 0"),
    ("models", "schema", _drop("offerings_count"), "columns "),
    ("models", "keys", _set("model_key", None), "model_key is not null"),
    ("models", "keys", _duplicate_key("models"), "model_key is unique"),
    ("models", "context_window_positive", _set("context_window", 0), "context_window > 0"),
    ("offerings", "schema", _as_text("context_window"), "context_window is a number"),
    ("offerings", "keys", _set("model_key", None), "model_key is not null"),
    ("offerings", "keys", _duplicate_key("offerings"), "(provider_id, provider_model_id) is unique"),
    ("offerings", "context_window_positive", _set("context_window", -1), "context_window > 0"),
]


@pytest.mark.parametrize("table", ["prices", "models", "offerings"])
def test_a_clean_table_passes_every_check_and_publish_runs(table, tmp_path):
    result = materialise_with_check(table, good_frame(table), tmp_path)
    assert result.success
    found = evaluations(result)
    assert found and all(e.passed for e in found.values()), {k: e.description for k, e in found.items() if not e.passed}
    assert "publish_stand_in" in materialised_keys(result)


@pytest.mark.parametrize(("table", "check", "breaker", "label"), BLOCKING_CASES, ids=[f"{t}-{c}-{i}" for i, (t, c, _, _) in enumerate(BLOCKING_CASES)])
def test_each_blocking_check_fails_on_a_bad_frame_and_holds_publish(table, check, breaker, label, tmp_path):
    frame = breaker(good_frame(table))
    result = materialise_with_check(table, frame, tmp_path)

    assert not result.success
    evaluation = evaluations(result)[(table, check)]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR and evaluation.blocking
    failed = evaluation.metadata["failed_expectations"].value
    assert any(f["expectation"].startswith(label) for f in failed), failed
    assert evaluation.metadata["sample"].value.startswith("**")
    assert table in materialised_keys(result)
    assert "publish_stand_in" not in materialised_keys(result)  # held: downstream of a failed blocking check


def test_failing_rows_are_sampled_with_their_key(tmp_path):
    frame = good_frame("prices")
    frame.loc[3, "usd_per_mtok"] = -2.0
    evaluation = evaluations(materialise_with_check("prices", frame, tmp_path))[("prices", "non_negative_prices")]
    failed = evaluation.metadata["failed_expectations"].value
    assert failed == [{"expectation": "usd_per_mtok >= 0", "gx": "ExpectColumnValuesToBeBetween", "columns": ["usd_per_mtok"],
                       "unexpected_count": 1, "unexpected_percent": 25.0}]
    sample = evaluation.metadata["sample"].value
    assert "vendor/provider_model_id-3" in sample and "-2" in sample
    assert evaluation.metadata["unexpected_rows"].value == 1


def test_an_implausible_price_warns_but_does_not_hold_publish(tmp_path, monkeypatch):
    frame = good_frame("prices")
    frame.loc[0, "usd_per_mtok"] = DEFAULT_CEILING * 540  # a per-token price read as per 1M tokens
    frame.loc[1, "usd_per_mtok"] = 2500.0
    frame["valid_to"] = pd.Series([pd.NaT, WHEN, pd.NaT, pd.NaT])  # row 1 is history: not a current price
    result = materialise_with_check("prices", frame, tmp_path)
    assert result.success
    evaluation = evaluations(result)[("prices", "plausible_prices")]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN and not evaluation.blocking
    assert evaluation.metadata["unexpected_rows"].value == 1
    assert evaluation.metadata["ceiling_usd_per_mtok"].value == DEFAULT_CEILING
    assert "540000" in evaluation.metadata["sample"].value
    assert "publish_stand_in" in materialised_keys(result)

    monkeypatch.setenv("AISI_PRICE_CEILING_USD_PER_MTOK", "1000000")
    assert evaluations(materialise_with_check("prices", frame, tmp_path))[("prices", "plausible_prices")].passed


def bad_records(source: str = "openrouter") -> Any:
    provenance = Provenance(source, "aggregator", "https://openrouter.ai/api/v1/models", WHEN.to_pydatetime())
    builder = BatchBuilder(provenance)
    builder.offering(provider="openrouter", provider_model_id="openai/gpt-4o", prices={"input": 2.5}, context_window=128000)
    builder.offering(provider="openrouter", provider_model_id="openai/gpt-4o-mini", prices={"input": 0.15}, context_window=0)
    batch = builder.build()
    batch.prices.loc[0, "usd_per_mtok"] = -1.0  # a parser bug: to_number never lets one through
    batch.offerings.loc[1, "context_window"] = 0
    return batch


def materialise_records(
    tmp_path: Path, batch: Any, module: Any = openrouter, selection: dg.AssetSelection | None = None
) -> dg.ExecuteInProcessResult:
    """``<source>_records`` (the real asset, normalising to ``batch``) with a stand-in raw asset
    upstream and a stand-in catalog downstream."""
    name = module.SPEC.name

    @dg.asset(name=f"{name}_raw")
    def raw() -> FetchOutcome:
        when = WHEN.to_pydatetime()
        return FetchOutcome(source=name, status="ok", badge="aggregator", url="http://x", entries=[], fetched_at=when, attempted_at=when)

    @dg.asset(name="catalog_stand_in", deps=[f"{name}_records"])
    def catalog() -> int:
        return 1

    stub = SimpleNamespace(SPEC=module.SPEC, normalise=lambda entries, provenance: batch)
    return dg.materialize(
        [raw, build_records_asset(stub), catalog],
        resources={"io_manager": dg.FilesystemIOManager(base_dir=str(tmp_path / "storage")),
                   "archive": RawArchiveResource(root=str(tmp_path / "raw"))},
        instance=dg.DagsterInstance.ephemeral(),
        selection=selection,
        raise_on_error=False,
    )


def step_keys(result: dg.ExecuteInProcessResult) -> list[str]:
    return sorted(e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START)


def test_records_checks_warn_on_a_bad_source_without_stopping_anything(tmp_path):
    result = materialise_records(tmp_path, bad_records())
    assert result.success and "catalog_stand_in" in materialised_keys(result)
    # The checks ran inside the records asset's own step: no step of their own.
    assert step_keys(result) == ["catalog_stand_in", "openrouter_raw", "openrouter_records"]
    evaluation = evaluations(result)[("openrouter_records", "records_valid")]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    failed = {(f["frame"], f["expectation"]) for f in evaluation.metadata["failed_expectations"].value}
    assert failed == {("prices", "usd_per_mtok >= 0"), ("offerings", "context_window > 0 where known")}
    assert "openai/gpt-4o" in evaluation.metadata["sample"].value
    # No drop guard on a batch that was not fetched: nothing to compare.
    assert evaluations(result)[("openrouter_records", "payload_guard")].passed


def test_a_clean_source_passes_and_only_fetched_sources_have_a_payload_guard(tmp_path):
    provenance = Provenance("model_defaults", "config", "file:config/model-defaults.json", WHEN.to_pydatetime())
    builder = BatchBuilder(provenance)
    builder.offering(provider="openai", provider_model_id="gpt-4o", prices={"input": 2.5, "output": 10.0}, context_window=128000)
    result = materialise_records(tmp_path, builder.build(), module=model_defaults)
    assert result.success
    found = evaluations(result)
    assert set(found) == {("model_defaults_records", "records_valid")}
    evaluation = found[("model_defaults_records", "records_valid")]
    assert evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description == "All expectations met."
    assert evaluation.metadata["rows"].value == {"offerings": 1, "prices": 2}


def test_only_the_selected_records_checks_are_evaluated(tmp_path):
    assets = dg.AssetSelection.assets("openrouter_raw", "openrouter_records").without_checks()
    guard = dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("openrouter_records"), "payload_guard"))
    result = materialise_records(tmp_path, bad_records(), selection=assets | guard)
    assert result.success
    assert set(evaluations(result)) == {("openrouter_records", "payload_guard")}

    unchecked = materialise_records(tmp_path, bad_records(), selection=assets)
    assert unchecked.success and "openrouter_records" in materialised_keys(unchecked)
    assert evaluations(unchecked) == {}

    # A check alone (the UI's "execute check"): the batch is checked, nothing is materialised.
    alone = dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("openrouter_records"), "records_valid"))
    checked = materialise_records(tmp_path, bad_records(), selection=alone)
    assert checked.success and materialised_keys(checked) == set()
    assert set(evaluations(checked)) == {("openrouter_records", "records_valid")}
    assert not evaluations(checked)[("openrouter_records", "records_valid")].passed


def test_a_records_check_that_raises_warns_and_the_step_succeeds(tmp_path, monkeypatch):
    def broken(batch):
        raise RuntimeError("validator unavailable")

    monkeypatch.setattr(records_checks, "validate_records", broken)
    result = materialise_records(tmp_path, bad_records())
    assert result.success and "catalog_stand_in" in materialised_keys(result)
    evaluation = evaluations(result)[("openrouter_records", "records_valid")]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description == "could not validate the records: RuntimeError: validator unavailable"


def test_quality_checks_cover_the_merged_tables_and_every_source():
    from core.sources.registry import ALL_SOURCES, HTTP_SOURCES

    definitions = [*quality_checks(), *records_assets()]
    keys = {key for checks in definitions for key in checks.check_keys}
    names = {(k.asset_key.to_user_string(), k.name) for k in keys}
    assert {("prices", "schema"), ("prices", "keys"), ("prices", "non_negative_prices"), ("prices", "plausible_prices"),
            ("models", "schema"), ("models", "keys"), ("models", "context_window_positive"),
            ("offerings", "schema"), ("offerings", "keys"), ("offerings", "context_window_positive"),
            ("quarantine", "nothing_quarantined")} <= names
    for module in ALL_SOURCES:
        assert (f"{module.SPEC.name}_records", "records_valid") in names
    for module in HTTP_SOURCES:
        assert (f"{module.SPEC.name}_records", "payload_guard") in names
    assert ("model_defaults_records", "payload_guard") not in names
    # The records checks are check specs of their asset (its step), no separate definitions.
    assert not any(k.asset_key.to_user_string().endswith("_records") for checks in quality_checks() for k in checks.check_keys)
    blocking = {(k.asset_key.to_user_string(), k.name) for checks in definitions for k in checks.check_keys
                if checks.get_spec_for_check_key(k).blocking}
    assert ("prices", "plausible_prices") not in blocking and ("prices", "non_negative_prices") in blocking
    assert not any(asset.endswith("_records") for asset, _ in blocking)


def test_building_definitions_with_the_checks_does_not_import_great_expectations():
    code = (
        "import json, sys, time\n"
        "started = time.perf_counter()\n"
        "import dagster as dg\n"
        "from pipelines.definitions import build_definitions\n"
        "defs = build_definitions()\n"
        "job = defs.resolve_job_def('catalog_job')\n"
        "assert any(k.name == 'non_negative_prices' for k in defs.resolve_asset_graph().asset_check_keys)\n"
        "print(json.dumps({'gx': any(m.split('.')[0] == 'great_expectations' for m in sys.modules),\n"
        "                  'seconds': time.perf_counter() - started}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISI_")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["gx"] is False
    assert found["seconds"] < 30


# -- the whole graph -------------------------------------------------------------------------------


def run_checks(run_id: str) -> dict[tuple[str, str], Any]:
    instance = dg.DagsterInstance.get()
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    found = {}
    for record in records:
        data = record.event_log_entry.dagster_event.event_specific_data
        found[(data.asset_key.to_user_string(), data.check_name)] = data
    return found


def gpt4o_input(client: TestClient) -> float:
    response = client.get("/api/v1/pricing", params={"model": "openai/gpt-4o", "provider": "openrouter"})
    assert response.status_code == 200, response.text
    prices = {(p["provider_model_id"], p["price_type"]): p["usd_per_mtok"] for p in response.json()["items"]}
    return prices[("openai/gpt-4o", "input")]


@pytest.mark.slow
def test_a_negative_price_holds_publish_and_the_last_snapshot_keeps_serving(replay, home, refresh, monkeypatch):
    first = refresh()
    assert first.success, first.errors
    # Each source's records checks run in its records step: no step of their own.
    steps = {r.event_log_entry.step_key for r in dg.DagsterInstance.get().get_records_for_run(
        first.run_id, of_type=dg.DagsterEventType.STEP_START).records}
    assert {"openrouter_records", "prices_quality"} <= steps and not any(s.endswith("_records_quality") for s in steps)
    assert ("openrouter_records", "records_valid") in run_checks(first.run_id)
    # The merged tables' checks pass (sources the replay does not serve fail their own WARN checks).
    assert all(e.passed for (asset, _), e in run_checks(first.run_id).items() if not asset.endswith(("_records", "_raw")))
    latest = home / "snapshots" / "latest.duckdb"
    served = latest.resolve()
    with TestClient(create_app(home=home)) as client:
        assert gpt4o_input(client) == 2.5

        # A parser bug lets a negative price through normalise; the merge keeps it.
        parse = openrouter.normalise

        def buggy(entries, provenance):
            batch = parse(entries, provenance)
            batch.prices.loc[batch.prices["provider_model_id"] == "openai/gpt-4o", "usd_per_mtok"] = -2.5
            return batch

        # A parser change is a code change: a new code version makes the derived assets stale.
        monkeypatch.setattr(openrouter, "normalise", buggy)
        monkeypatch.setattr(catalog_definitions, "derivation_version", lambda: "buggy-parser")
        held = refresh()
        assert not held.success
        assert any("non_negative_prices" in e for e in held.errors), held.errors
        checks = run_checks(held.run_id)
        negative = checks[("prices", "non_negative_prices")]
        assert not negative.passed and negative.severity == dg.AssetCheckSeverity.ERROR
        assert "openai/gpt-4o" in negative.metadata["sample"].value
        assert not checks[("openrouter_records", "records_valid")].passed  # the source shows it too (WARN)
        assert checks[("prices", "schema")].passed and checks[("prices", "keys")].passed

        # Refreshing again with no new data does not commit what the check held back: the merge
        # and its checks run again (only the commit and export were stale) and hold it again.
        again = refresh()
        assert not again.success and "prices" in again.recomputed and "warehouse" in again.recomputed
        assert any("non_negative_prices" in e for e in again.errors), again.errors

        # Nothing was published: the same snapshot is served, by the file and by the API.
        assert latest.resolve() == served
        assert sorted(p.name for p in (home / "snapshots").glob("*.duckdb") if p.name != "latest.duckdb") == [served.name]
        assert gpt4o_input(client) == 2.5

        monkeypatch.setattr(openrouter, "normalise", parse)
        monkeypatch.setattr(catalog_definitions, "derivation_version", lambda: "fixed-parser")
        fixed = refresh()
        assert fixed.success, fixed.errors
        assert latest.resolve() != served
        assert gpt4o_input(client) == 2.5
