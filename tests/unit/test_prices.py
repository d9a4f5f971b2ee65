"""Prices mean what they say: billing kinds, 0 only where a source says free, price kinds kept
apart, long-context tiers, and duplicate ids in one payload (small fixtures in tests/fixtures/prices)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.billing import billing_kind, plan_providers
from core.catalog.changes import price_changes
from core.catalog.merge import PRICE_KEY, merge_catalog, price_history
from core.paths import read_sql
from core.records import DUPLICATE_KEPT_PRICED, PRICE_COLUMNS, BatchBuilder, Provenance
from core.sources import litellm, models_dev, openrouter
from core.stores.warehouse import migration_files
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def batch_of(module, fixture: str):
    entries = module.parse((FIXTURES / "prices" / fixture).read_bytes())
    return module.normalise(entries, Provenance(module.SPEC.name, module.SPEC.kind, "http://replay/x", NOW))


def prices_of(batch, provider_model_id: str, provider_id: str | None = None) -> dict[tuple[str, int], float]:
    p = batch.prices[batch.prices.provider_model_id == provider_model_id]
    if provider_id:
        p = p[p.provider_id == provider_id]
    return {(r.price_type, int(r.above_tokens)): float(r.usd_per_mtok) for r in p.itertuples()}


def billing_of(batch, provider_model_id: str, provider_id: str | None = None) -> str:
    o = batch.offerings[batch.offerings.provider_model_id == provider_model_id]
    if provider_id:
        o = o[o.provider_id == provider_id]
    assert len(o) == 1
    return str(o.billing.iloc[0])


# -- billing ----------------------------------------------------------------------------------

def test_billing_kinds_come_from_the_config_file_and_free_variants():
    assert {"github-models", "nvidia", "gitlab", "ollama"} <= plan_providers()
    assert billing_kind("github-models", "openai/gpt-4o", [0.0, 0.0]) == "plan"
    assert billing_kind("openrouter", "openai/gpt-oss-20b:free", [0.0, 0.0]) == "free_tier"
    assert billing_kind("openrouter", "openai/gpt-oss-20b:free", []) == "free_tier"  # the id says free
    assert billing_kind("zenmux", "z-ai/glm-4.7-flash-free", [0.0, 0.0]) == "free_tier"
    assert billing_kind("zenmux", "z-ai/glm-4.7-flash-free", []) == "metered"  # no price: the source says nothing
    assert billing_kind("zenmux", "x/cost-free", [0.0, 1.0]) == "metered"  # a price that is not 0 is no free tier
    assert billing_kind("openai", "gpt-4o", [2.5, 10.0]) == "metered"


def test_every_plan_provider_in_the_config_file_says_why():
    import yaml

    from core.billing import BILLING_FILE

    plan = yaml.safe_load(BILLING_FILE.read_text(encoding="utf-8"))["plan"]
    assert all(isinstance(reason, str) and len(reason) > 10 for reason in plan.values())


def test_a_plan_providers_zero_is_not_metered_so_no_price_row():
    batch = batch_of(models_dev, "models_dev.json")
    assert billing_of(batch, "openai/gpt-4o", "github-models") == "plan"
    assert prices_of(batch, "openai/gpt-4o", "github-models") == {}
    assert billing_of(batch, "gpt-4o", "openai") == "metered"
    ollama = batch_of(litellm, "litellm.json")
    assert billing_of(ollama, "llama3.1") == "plan" and prices_of(ollama, "llama3.1") == {}


def test_a_zero_is_kept_only_where_the_source_says_free():
    md = batch_of(models_dev, "models_dev.json")
    assert billing_of(md, "z-ai/glm-4.7-flash-free") == "free_tier"
    assert prices_of(md, "z-ai/glm-4.7-flash-free") == {("input", 0): 0.0, ("output", 0): 0.0}
    # A metered model's output 0 is no claim: unknown, not free.
    assert billing_of(md, "z-ai/glm-4.7") == "metered"
    assert prices_of(md, "z-ai/glm-4.7") == {("input", 0): 0.6}
    orr = batch_of(openrouter, "openrouter.json")
    assert billing_of(orr, "openai/gpt-oss-20b:free") == "free_tier"
    assert prices_of(orr, "openai/gpt-oss-20b:free") == {("input", 0): 0.0, ("output", 0): 0.0}
    assert prices_of(orr, "openai/gpt-oss-20b") == {("input", 0): 0.03}


# -- price kinds ------------------------------------------------------------------------------

def test_an_embedding_entry_gives_no_text_output_price():
    batch = batch_of(litellm, "litellm.json")
    flash = prices_of(batch, "gemini-1.5-flash")
    assert ("output", 0) not in flash
    assert flash == {("input", 0): 0.075, ("input", 128000): 0.15}


def test_an_image_models_image_prices_are_not_text_prices():
    md = batch_of(models_dev, "models_dev.json")
    # models.dev's `output` of a model that only outputs images is its image-output price.
    assert prices_of(md, "gpt-image-2") == {("input", 0): 5.0, ("cached_input", 0): 1.25, ("image_output", 0): 30.0}
    assert prices_of(md, "gpt-4o-mini-tts") == {("input", 0): 0.6, ("audio_output", 0): 12.0}
    # A model with text and image output keeps its text output; `image` is the image-output price.
    assert prices_of(md, "google/nano-banana") == {("input", 0): 0.21, ("output", 0): 1.8, ("image_output", 0): 21.0}
    ll = batch_of(litellm, "litellm.json")
    assert prices_of(ll, "gpt-image-1") == {("input", 0): 5.0, ("image_input", 0): 10.0, ("image_output", 0): 40.0}
    # Per-image prices are another unit: not published, and the offering stays.
    assert prices_of(ll, "dall-e-3") == {} and billing_of(ll, "dall-e-3") == "metered"


# -- long-context tiers -----------------------------------------------------------------------

def test_litellm_long_context_tiers_are_prices_with_a_threshold():
    batch = batch_of(litellm, "litellm.json")
    assert prices_of(batch, "gemini-2.5-pro") == {
        ("input", 0): 1.25, ("output", 0): 10.0, ("cached_input", 0): 0.125,
        ("input", 200000): 2.5, ("output", 200000): 15.0, ("cached_input", 200000): 0.25,
    }  # `_priority` (a service tier) and `_above_1hr` (a cache duration) are not context tiers
    assert prices_of(batch, "qwen-flash") == {("input", 0): 0.05, ("output", 0): 0.4, ("input", 256000): 0.25, ("output", 256000): 2.0}


def test_models_dev_tiers_and_context_over_200k():
    batch = batch_of(models_dev, "models_dev.json")
    pro = prices_of(batch, "gemini-2.5-pro")
    assert (pro[("input", 0)], pro[("input", 200000)], pro[("output", 200000)], pro[("cached_input", 200000)]) == (1.25, 2.5, 15.0, 0.25)
    sonnet = prices_of(batch, "claude-sonnet-4-20250514")
    assert sonnet[("input", 200000)] == 6.0 and sonnet[("cache_write", 200000)] == 7.5 and sonnet[("input", 0)] == 3.0


def test_openrouter_overrides_are_long_context_tiers():
    batch = batch_of(openrouter, "openrouter.json")
    assert prices_of(batch, "anthropic/claude-sonnet-4") == {
        ("input", 0): 3.0, ("output", 0): 15.0, ("cached_input", 0): 0.3,
        ("input", 200000): 6.0, ("output", 200000): 22.5, ("cached_input", 200000): 0.6,
    }


def test_tiers_are_part_of_the_price_key_through_merge_history_and_changes():
    assert PRICE_KEY == ["provider_id", "provider_model_id", "price_type", "above_tokens"]
    batch = batch_of(openrouter, "openrouter.json")
    catalog = merge_catalog([batch], {"openrouter": 1}, {})
    sonnet = catalog.prices[catalog.prices.provider_model_id == "anthropic/claude-sonnet-4"]
    assert sorted(zip(sonnet.price_type, sonnet.above_tokens))[:2] == [("cached_input", 0), ("cached_input", 200000)]
    first = price_history(None, catalog.prices, NOW)
    later = NOW + timedelta(hours=1)
    changed = catalog.prices.copy()
    tier = (changed.provider_model_id == "anthropic/claude-sonnet-4") & (changed.price_type == "input") & (changed.above_tokens == 200000)
    changed.loc[tier, "usd_per_mtok"] = 5.0
    second = price_history(first, changed, later)
    base = second[(second.provider_model_id == "anthropic/claude-sonnet-4") & (second.price_type == "input")]
    assert sorted(zip(base.above_tokens, base.usd_per_mtok, base.valid_to.isna())) == [(0, 3.0, True), (200000, 5.0, True), (200000, 6.0, False)]
    feed = price_changes(second, later)
    assert feed[["field", "old", "new"]].values.tolist() == [["input above 200000 tokens", "6", "5"]]


def test_history_written_before_tiers_reads_as_base_prices():
    batch = batch_of(openrouter, "openrouter.json")
    catalog = merge_catalog([batch], {"openrouter": 1}, {})
    old = price_history(None, catalog.prices[catalog.prices.above_tokens == 0], NOW).drop(columns="above_tokens")
    history = price_history(old, catalog.prices, NOW + timedelta(hours=1))
    # Base prices kept their rows; only the tiers opened new ones.
    assert int((history.valid_from == pd.Timestamp(NOW)).sum()) == len(old)
    assert set(history.loc[history.valid_from > pd.Timestamp(NOW), "above_tokens"]) == {200000}


# -- duplicates -------------------------------------------------------------------------------

def test_a_duplicate_id_keeps_the_priced_entry_and_names_the_dropped_one():
    batch = batch_of(litellm, "litellm.json")
    assert prices_of(batch, "gemini-exp-1206") == {("input", 0): 0.3, ("output", 0): 2.5, ("cached_input", 0): 0.03}
    rejected = batch.rejects[batch.rejects.reason == DUPLICATE_KEPT_PRICED]
    assert rejected.source_id.tolist() == ["gemini/gemini-exp-1206 (kept gemini-exp-1206)"]
    assert len(batch.offerings) + len(batch.rejects) == batch.entries


def test_a_later_priced_duplicate_wins_and_neither_entry_mixes_prices():
    builder = BatchBuilder(Provenance("t", "aggregator", "http://x", NOW))
    builder.offering(provider="openai", provider_model_id="gpt-x", prices={"input": None, "output": 0.0}, source_id="a")
    builder.offering(provider="openai", provider_model_id="gpt-x", prices={"input": 1.0}, source_id="b")
    builder.offering(provider="openai", provider_model_id="gpt-x", prices={"output": 9.0}, source_id="c")
    batch = builder.build()
    assert list(batch.prices.columns) == PRICE_COLUMNS
    assert prices_of(batch, "gpt-x") == {("input", 0): 1.0}  # b wins; c's output is not mixed in
    assert dict(zip(batch.rejects.source_id, batch.rejects.reason)) == {
        "a (kept b)": DUPLICATE_KEPT_PRICED,
        "c (kept b)": "duplicate id within the payload: kept the first entry",
    }


# -- the tables ------------------------------------------------------------------------------

def _duckdb_with(migrations: list[Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for migration in migrations:
        con.execute(migration.read_text(encoding="utf-8"))
    return con


def test_migration_0005_keeps_stored_prices_as_base_prices_and_old_snapshots_still_load():
    files = migration_files()
    before = [f for f in files if f.name < "0005"]
    con = _duckdb_with(before)
    con.execute(
        "INSERT INTO prices VALUES ('openai', 'gpt-4o', 'openai/gpt-4o', 'input', 2.5, 'litellm', 'aggregator', NULL, NULL, "
        "TIMESTAMPTZ '2026-01-01 00:00:00+00', NULL)"
    )
    # A snapshot from before the migration: above_tokens reads as 0.
    old = con.execute(read_sql("snapshot/previous_prices.sql")).df()
    assert old[["price_type", "above_tokens"]].values.tolist() == [["input", 0]]
    assert con.execute(read_sql("snapshot/previous_price_disagreements.sql")).df().columns.tolist()[4] == "above_tokens"
    for migration in [f for f in files if f.name >= "0005"]:
        con.execute(migration.read_text(encoding="utf-8"))
    assert con.execute("SELECT price_type, above_tokens, usd_per_mtok FROM prices").fetchall() == [("input", 0, 2.5)]
    assert con.execute(read_sql("snapshot/previous_prices.sql")).df()["above_tokens"].tolist() == [0]


def test_cheapest_counts_metered_base_prices_only():
    con = _duckdb_with(migration_files())
    con.execute("INSERT INTO models (model_key, creator, offerings_count, providers_count, source, source_kind) "
                "VALUES ('openai/gpt-4o', 'openai', 3, 3, 't', 'aggregator')")
    for provider, billing in (("openai", "metered"), ("github-models", "plan"), ("openrouter", "free_tier")):
        con.execute("INSERT INTO offerings (provider_id, provider_model_id, model_key, creator, identity_method, source, source_kind, billing) "
                    "VALUES (?, 'gpt-4o', 'openai/gpt-4o', 'openai', 'rule', 't', 'aggregator', ?)", [provider, billing])
    rows = [("openai", "input", 0, 2.5), ("openai", "output", 0, 10.0), ("openai", "input", 200000, 1.0),
            ("github-models", "input", 0, 0.5), ("github-models", "output", 0, 0.5),
            ("openrouter", "input", 0, 0.1), ("openrouter", "output", 0, 0.1)]
    for provider, kind, above, value in rows:
        con.execute("INSERT INTO prices (provider_id, provider_model_id, model_key, price_type, above_tokens, usd_per_mtok, source, source_kind, valid_from) "
                    "VALUES (?, 'gpt-4o', 'openai/gpt-4o', ?, ?, ?, 't', 'aggregator', TIMESTAMPTZ '2026-01-01 00:00:00+00')", [provider, kind, above, value])
    con.execute("INSERT INTO benchmarks VALUES ('openai/gpt-4o', 'gpqa', '', 0.5, 'fraction', 'aa', 'scraped', NULL, DATE '2026-01-01')")
    assert con.execute("SELECT blended_usd_per_mtok FROM leaderboard").fetchone() == ((3 * 2.5 + 10.0) / 4,)
    query = read_sql("api/models.sql")
    params = dict(creator=None, provider=None, search=None, modality=None, input_modality=None, output_modality=None, min_context=None,
                  max_input_price=None, max_output_price=None, benchmark=None, sort="key", limit=10, offset=0)
    lowest = con.execute(query, params).df()
    assert lowest[["min_input_usd_per_mtok", "min_output_usd_per_mtok"]].values.tolist() == [[2.5, 10.0]]
    tiers = con.execute("SELECT provider_id, above_tokens, billing FROM current_prices WHERE above_tokens > 0").fetchall()
    assert tiers == [("openai", 200000, "metered")]


@pytest.mark.parametrize("fixture, module", [("litellm.json", litellm), ("models_dev.json", models_dev), ("openrouter.json", openrouter)])
def test_every_price_row_is_a_known_kind_with_an_integer_threshold(fixture, module):
    batch = batch_of(module, fixture)
    assert batch.prices.above_tokens.dtype == "int64" and (batch.prices.above_tokens >= 0).all()
    assert batch.offerings.billing.isin(["metered", "free_tier", "plan"]).all()
    # No 0 anywhere but on a free tier.
    zero = batch.prices[batch.prices.usd_per_mtok == 0].merge(batch.offerings, on=["provider_id", "provider_model_id"])
    assert (zero.billing == "free_tier").all()
