"""The Great Expectations layer: suites built in code, validated on crafted frames."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from core.quality import expectations as gxe
from core.quality.tables import table_contract
from tests.conftest import REPO


def prices_frame(n: int = 6) -> pd.DataFrame:
    """Price history rows shaped like the merged ``prices`` table (pandas 3 dtypes: ``str``, tz-aware)."""
    when = pd.Timestamp("2026-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "provider_id": pd.Series(["openrouter"] * n, dtype="str"),
            "provider_model_id": pd.Series([f"vendor/model-{i}" for i in range(n)], dtype="str"),
            "model_key": pd.Series([f"vendor/model-{i}" for i in range(n)], dtype="str"),
            "price_type": pd.Series(["input"] * n, dtype="str"),
            "usd_per_mtok": np.linspace(0.1, 20, n),
            "source": pd.Series(["openrouter"] * n, dtype="str"),
            "source_kind": pd.Series(["aggregator"] * n, dtype="str"),
            "source_url": pd.Series(["https://openrouter.ai/api/v1/models"] * n, dtype="str"),
            "fetched_at": pd.Series([when] * n).astype("datetime64[us, UTC]"),
            "valid_from": pd.Series([when] * n).astype("datetime64[us, UTC]"),
            "valid_to": pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
        }
    )


KEY = ["provider_id", "provider_model_id", "price_type", "valid_from"]
SUITE = [
    gxe.columns_exist(prices_frame().columns),
    *(gxe.not_null(c) for c in KEY),
    gxe.unique(*KEY),
    gxe.between("usd_per_mtok", 0),
    gxe.of_kind("usd_per_mtok", gxe.NUMBER),
    gxe.of_kind("model_key", gxe.STRING),
    gxe.of_kind("valid_from", gxe.TIMESTAMP),
    gxe.of_kind("valid_to", gxe.TIMESTAMP),
]


def labels(outcome: gxe.ValidationOutcome) -> list[str]:
    return [f.expectation for f in outcome.failed]


def test_a_clean_frame_meets_every_expectation():
    outcome = gxe.validate(prices_frame(), "prices_test", SUITE, sample_columns=KEY)
    assert outcome.success, [f.summary() for f in outcome.failed]
    assert outcome.rows == 6 and outcome.evaluated == len(SUITE)


def test_a_negative_price_fails_with_its_row_in_the_sample():
    frame = prices_frame()
    frame.loc[2, "usd_per_mtok"] = -1.5
    outcome = gxe.validate(frame, "prices_test", SUITE, sample_columns=KEY)
    assert labels(outcome) == ["usd_per_mtok >= 0"]
    failure = outcome.failed[0]
    assert failure.unexpected_count == 1
    assert failure.sample["provider_model_id"].tolist() == ["vendor/model-2"]
    assert failure.sample["usd_per_mtok"].tolist() == [-1.5]
    assert list(failure.sample.columns) == [*KEY, "usd_per_mtok"]
    assert "vendor/model-2" in gxe.failures_markdown(outcome.failed)


def test_a_null_key_and_a_duplicate_key_fail():
    frame = prices_frame()
    frame.loc[1, "provider_model_id"] = None
    frame.loc[4, "provider_model_id"] = "vendor/model-3"  # the same key as row 3
    outcome = gxe.validate(frame, "prices_test", SUITE, sample_columns=KEY)
    assert labels(outcome) == ["provider_model_id is not null", "(provider_id, provider_model_id, price_type, valid_from) is unique"]
    null, duplicate = outcome.failed
    assert null.unexpected_count == 1
    assert duplicate.unexpected_count == 2
    assert sorted(duplicate.sample["provider_model_id"]) == ["vendor/model-3", "vendor/model-3"]


def test_types_are_checked_by_value_for_pandas_string_and_tz_aware_columns():
    frame = prices_frame()
    frame["usd_per_mtok"] = frame["usd_per_mtok"].astype(str)  # "2.5": schema drift
    frame["model_key"] = pd.Series([1, 2, 3, 4, 5, "x"], dtype=object)
    frame["valid_from"] = "2026-01-01"
    outcome = gxe.validate(frame, "prices_test", [gxe.of_kind(c, k) for c, k in
                                                  [("usd_per_mtok", gxe.NUMBER), ("model_key", gxe.STRING), ("valid_from", gxe.TIMESTAMP)]])
    assert labels(outcome) == ["usd_per_mtok is a number", "model_key is a string", "valid_from is a timestamp"]
    assert outcome.failed[1].unexpected_count == 5


def test_nullable_and_all_null_columns_pass_their_type():
    frame = pd.DataFrame(
        {
            "context_window": pd.Series([128000, None, 4096], dtype="Int64"),
            "max_output": [np.nan, np.nan, np.nan],  # an all-null numeric column
            "name": pd.Series([None, None, None], dtype=object),
            "closed": pd.Series([pd.Timestamp("2026-01-01", tz="UTC"), pd.NaT, pd.NaT]),
        }
    )
    kinds = [("context_window", gxe.NUMBER), ("max_output", gxe.NUMBER), ("name", gxe.STRING), ("closed", gxe.TIMESTAMP)]
    outcome = gxe.validate(frame, "types_test", [gxe.of_kind(c, k) for c, k in kinds] + [gxe.between("context_window", 0, strict_min=True)])
    assert outcome.success, [f.summary() for f in outcome.failed]
    frame.loc[1, "context_window"] = 0
    outcome = gxe.validate(frame, "types_test", [gxe.between("context_window", 0, strict_min=True)])
    assert labels(outcome) == ["context_window > 0"]


def test_a_missing_column_is_reported_not_raised():
    frame = prices_frame().drop(columns=["price_type"])
    outcome = gxe.validate(frame, "prices_test", SUITE, sample_columns=KEY)
    missing = {f.expectation: f for f in outcome.failed}
    assert "price_type is not null" in missing and missing["price_type is not null"].error == "column missing: price_type"
    columns = missing[SUITE[0].label]
    assert columns.observed["mismatched"] == {"missing": ["price_type"]}


def test_a_row_condition_limits_the_rows_checked():
    frame = prices_frame()
    frame.loc[0, "usd_per_mtok"] = 5000.0
    frame.loc[1, "usd_per_mtok"] = 7000.0
    frame["valid_to"] = pd.Series([pd.Timestamp("2026-02-01", tz="UTC")] + [pd.NaT] * 5)  # row 0 is history
    outcome = gxe.validate(frame, "prices_test", [gxe.between("usd_per_mtok", max_value=1000, where_null="valid_to")], KEY)
    assert outcome.failed[0].unexpected_count == 1
    assert outcome.failed[0].sample["usd_per_mtok"].tolist() == [7000.0]


def test_two_passes_report_what_one_summary_validation_reports(monkeypatch):
    """Pass 1 (BOOLEAN_ONLY, every expectation) decides; pass 2 (SUMMARY) runs only the failed
    ones. Together they report what a single SUMMARY validation of the whole suite reports."""
    frame = prices_frame(8)
    frame.loc[2, "usd_per_mtok"] = -1.5
    frame.loc[5, "provider_model_id"] = None
    frame.loc[7, "provider_model_id"] = "vendor/model-6"  # the same key as row 6
    frame["model_key"] = pd.Series([1, "a", "b", "c", "d", "e", "f", "g"], dtype=object)
    suite = [*SUITE, gxe.between("usd_per_mtok", max_value=10, where_null="valid_to")]

    passes: list[tuple[str, int]] = []
    run = gxe._run

    def counted(view, name, expectations, result_format):
        passes.append((result_format["result_format"], len(expectations)))
        return run(view, name, expectations, result_format)

    monkeypatch.setattr(gxe, "_run", counted)
    outcome = gxe.validate(frame, "prices_equivalence", suite, sample_columns=KEY)

    runtime = gxe._gx()
    batch = runtime.batch_definition.get_batch(batch_parameters={"dataframe": gxe._typed_view(frame)})
    reference = batch.validate(gxe._suite("prices_equivalence_reference", tuple(suite)),
                               result_format={"result_format": "SUMMARY", "partial_unexpected_count": gxe.SAMPLE_ROWS})
    failed_there = {suite[int(r.expectation_config.meta["aisi_index"])]: r.result for r in reference.results if not r.success}

    assert passes == [("BOOLEAN_ONLY", len(suite)), ("SUMMARY", len(failed_there))]
    assert [f.expect for f in outcome.failed] == [e for e in suite if e in failed_there]
    assert len(outcome.failed) == 5
    for failure in outcome.failed:
        there = failed_there[failure.expect]
        assert failure.unexpected_count == there.get("unexpected_count")
        assert failure.unexpected_percent == there.get("unexpected_percent")
        rows = list(failure.sample.index)
        assert rows == list(there.get("partial_unexpected_index_list") or [])[: gxe.SAMPLE_ROWS]

    passes.clear()
    assert gxe.validate(prices_frame(), "prices_equivalence", SUITE, sample_columns=KEY).success
    assert passes == [("BOOLEAN_ONLY", len(SUITE))]  # nothing failed: no second pass


def test_the_prices_table_key_comes_from_the_migrations():
    contract = table_contract("prices")
    assert contract.primary_key == ("provider_id", "provider_model_id", "price_type", "above_tokens", "valid_from")
    assert {"usd_per_mtok", "above_tokens", "source", "source_kind"} <= set(contract.not_null)
    assert contract.kind("above_tokens") == gxe.NUMBER
    assert "billing" in table_contract("offerings").not_null
    assert contract.kind("usd_per_mtok") == gxe.NUMBER and contract.kind("valid_from") == gxe.TIMESTAMP
    assert table_contract("offerings").primary_key == ("provider_id", "provider_model_id")
    assert table_contract("models").primary_key == ("model_key",)


def test_validating_twenty_thousand_price_rows_takes_well_under_a_second_once_loaded():
    n = 20_000
    frame = prices_frame(n)
    frame["provider_model_id"] = pd.Series([f"vendor/model-{i}" for i in range(n)], dtype="str")
    gxe.validate(frame.head(5), "warm_up", SUITE)  # GX import and context: once per process
    started = time.perf_counter()
    outcome = gxe.validate(frame, "prices_20k", SUITE, sample_columns=KEY)
    elapsed = time.perf_counter() - started
    assert outcome.success
    print(f"\nGX validation of {n} price rows, {len(SUITE)} expectations: {elapsed:.2f}s")
    assert elapsed < 5  # ~0.3 s on a quiet machine; generous for a loaded CI box


@pytest.mark.parametrize("module", ["pipelines.catalog.checks", "core.quality.expectations", "core.fetch.engine"])
def test_importing_the_quality_code_does_not_import_great_expectations(module):
    code = f"import json, sys\nimport {module}\nprint(json.dumps('great_expectations' in sys.modules))\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) is False
