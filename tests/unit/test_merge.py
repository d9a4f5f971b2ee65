"""The merge: field-wise priority by badge then source, and the price history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pandas as pd

from core.catalog.merge import merge_catalog, price_history
from core.records import BatchBuilder, Provenance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIORITY = {"models_dev": 1, "litellm": 2, "openrouter": 3, "model_defaults": 9}


def batch(source: str, kind: str, *offerings: dict) -> object:
    builder = BatchBuilder(Provenance(source, kind, f"https://{source}.example/x", T0))
    for o in offerings:
        builder.entries += 1
        builder.offering(**o)
    return builder.build()


def gpt(prices: dict, **extra) -> dict:
    return {"provider": "openai", "provider_model_id": "gpt-4o", "prices": prices, **extra}


def test_each_field_comes_from_the_highest_priority_source_that_has_it():
    config = batch("model_defaults", "config", gpt({"input": 2.0, "output": 8.0, "cached_input": 1.0}, name="GPT-4o (config)", max_output=4096))
    aggregator = batch("litellm", "aggregator", gpt({"input": 2.5}, context_window=128000))
    cached = batch("openrouter", "cached", gpt({"input": 2.4, "output": 10.0}, name="GPT-4o", max_output=16384))
    merged = merge_catalog([config, aggregator, cached], PRIORITY, {"openai": "openai"})
    prices = {r.price_type: (r.usd_per_mtok, r.source_kind) for r in merged.prices.itertuples()}
    # openrouter (an aggregator ranked after litellm) serves its cached payload: it keeps that rank.
    assert prices == {"input": (2.5, "aggregator"), "output": (10.0, "cached"), "cached_input": (1.0, "config")}
    offering = merged.offerings.iloc[0]
    assert offering.context_window == 128000  # only the aggregator has it
    assert offering["name"] == "GPT-4o"  # cached outranks config
    assert offering.max_output == 16384
    assert offering.source == "litellm" and offering.source_kind == "aggregator"  # the top row's provenance
    # input 2.4 / 2.5 / 2.0 and output 10.0 / 8.0 are more than 1 % apart; cached_input has one source.
    assert list(merged.disagreements.price_type) == ["input", "output"]


def test_a_cached_source_keeps_its_rank_so_an_outage_is_not_a_change():
    """models.dev (the top aggregator) down and served from its last good payload: its values
    still win over LiteLLM's, so the merged price does not move and the history stays open."""
    fresh = batch("models_dev", "aggregator", gpt({"input": 2.5, "output": 10.0}))
    litellm = batch("litellm", "aggregator", gpt({"input": 3.0, "output": 12.0}))
    before = merge_catalog([fresh, litellm], PRIORITY, {"openai": "openai"})
    outage = batch("models_dev", "cached", gpt({"input": 2.5, "output": 10.0}))
    during = merge_catalog([outage, litellm], PRIORITY, {"openai": "openai"})
    values = {r.price_type: (r.usd_per_mtok, r.source, r.source_kind) for r in during.prices.itertuples()}
    assert values == {"input": (2.5, "models_dev", "cached"), "output": (10.0, "models_dev", "cached")}
    history = price_history(price_history(None, before.prices, T0), during.prices, T0 + timedelta(hours=1))
    assert history["valid_to"].isna().all() and len(history) == 2  # nothing closed, nothing opened
    # A source with no fresh badge known to the registry still ranks as cached.
    unknown = batch("someone", "cached", gpt({"input": 9.0}))
    config = batch("model_defaults", "config", gpt({"input": 1.0}))
    assert merge_catalog([unknown, config], PRIORITY, {}).prices.iloc[0].source == "someone"


def test_same_badge_ties_are_broken_by_source_priority():
    a = batch("openrouter", "aggregator", gpt({"input": 3.0}))
    b = batch("models_dev", "aggregator", gpt({"input": 2.5}))
    merged = merge_catalog([a, b], PRIORITY, {})
    assert merged.prices.iloc[0].usd_per_mtok == 2.5 and merged.prices.iloc[0].source == "models_dev"


def test_model_is_described_by_the_creators_own_offering():
    reseller = batch("litellm", "aggregator", {"provider": "azure", "provider_model_id": "gpt-4o", "prices": {}, "context_window": 64000})
    first_party = batch("models_dev", "aggregator", gpt({}, context_window=128000))
    merged = merge_catalog([reseller, first_party], {"litellm": 1, "models_dev": 2}, {"openai": "openai"})
    model = merged.models.iloc[0]
    assert model.model_key == "openai/gpt-4o" and model.context_window == 128000
    assert model.offerings_count == 2 and model.providers_count == 2


def history_frame(value: float) -> pd.DataFrame:
    merged = merge_catalog([batch("litellm", "aggregator", gpt({"input": value, "output": 10.0}))], PRIORITY, {})
    return merged.prices


def test_price_history_keeps_unchanged_rows_and_versions_changes():
    first = price_history(None, history_frame(2.5), T0)
    assert len(first) == 2 and first.valid_to.isna().all()

    same = price_history(first, history_frame(2.5), T0 + timedelta(hours=1))
    pd.testing.assert_frame_equal(same.reset_index(drop=True), first.reset_index(drop=True), check_dtype=False)

    changed = price_history(same, history_frame(2.0), T0 + timedelta(hours=2))
    inputs = changed[changed.price_type == "input"].sort_values("valid_from")
    assert list(inputs.usd_per_mtok) == [2.5, 2.0]
    assert inputs.valid_to.iloc[0] == pd.Timestamp(T0 + timedelta(hours=2)) and pd.isna(inputs.valid_to.iloc[1])
    assert len(changed[changed.price_type == "output"]) == 1

    gone = price_history(changed, history_frame(2.0)[lambda f: f.price_type == "output"], T0 + timedelta(hours=3))
    inputs = gone[gone.price_type == "input"]
    assert inputs.valid_to.notna().all()  # withdrawn: closed, kept as history
    assert len(gone) == 3


def test_lifecycle_comes_from_the_creators_own_offering():
    today = date(2026, 11, 1)
    first_party = batch(
        "litellm", "aggregator",
        gpt({}, deprecation_date=date(2026, 5, 14)),  # passed: retired
        {"provider": "openai", "provider_model_id": "o1-preview", "prices": {}, "deprecation_date": date(2027, 1, 1)},
    )
    reseller = batch("litellm", "aggregator", {"provider": "azure", "provider_model_id": "gpt-4o", "prices": {}})
    flagged = batch("models_dev", "api", {"provider": "cohere", "provider_model_id": "command-r", "prices": {}, "deprecated": True})
    merged = merge_catalog([first_party, reseller, flagged], PRIORITY, {"openai": "openai", "cohere": "cohere"}, today=today)
    status = merged.models.set_index("model_key")[["status", "status_date", "status_source"]]
    assert tuple(status.loc["openai/gpt-4o"]) == ("retired", date(2026, 5, 14), "litellm")  # azure's offering does not decide
    assert tuple(status.loc["openai/o1-preview"]) == ("deprecated", date(2027, 1, 1), "litellm")
    assert status.loc["cohere/command-r", "status"] == "deprecated"
    offerings = merged.offerings.set_index(["provider_id", "provider_model_id"])["status"]
    assert offerings[("azure", "gpt-4o")] == "active" and offerings[("openai", "gpt-4o")] == "retired"


def test_model_aliases_list_every_source_id():
    a = batch("openrouter", "aggregator", {"provider": "openrouter", "provider_model_id": "openai/gpt-4o", "prices": {}})
    b = batch("litellm", "aggregator", gpt({}))
    aliases = merge_catalog([a, b], PRIORITY, {}).model_aliases
    assert set(zip(aliases.source, aliases.source_id, aliases.model_key)) == {
        ("openrouter", "openai/gpt-4o", "openai/gpt-4o"),
        ("litellm", "gpt-4o", "openai/gpt-4o"),
    }


def test_dated_snapshots_are_distinct_models_with_their_family_alias():
    listing = batch(
        "litellm", "aggregator",
        gpt({}),
        {"provider": "openai", "provider_model_id": "gpt-4o-2024-08-06", "prices": {}},
        {"provider": "openai", "provider_model_id": "gpt-4.1-2025-04-14", "prices": {}},  # family not listed
    )
    models = merge_catalog([listing], PRIORITY, {"openai": "openai"}).models.set_index("model_key")
    assert models.loc["openai/gpt-4o-2024-08-06", "alias_of"] == "openai/gpt-4o"
    assert pd.isna(models.loc["openai/gpt-4o", "alias_of"])
    assert pd.isna(models.loc["openai/gpt-4.1-2025-04-14", "alias_of"])


def test_benchmark_history_adds_new_dates_and_skips_unchanged_scores():
    from core.catalog.merge import benchmark_history

    def scores(*points):
        builder = BatchBuilder(Provenance("lmarena_history", "aggregator", "u", T0))
        for day, score in points:
            builder.benchmark(provider="lmarena", model_id="gpt-4o-2024-05-13", benchmark="lmarena_elo_full",
                              score=score, unit="elo", as_of=date(2025, 1, day))
        return builder.build().benchmarks

    first = benchmark_history(None, scores((1, 1280.0), (2, 1280.0), (3, 1290.0)))
    assert list(first.score) == [1280.0, 1290.0]  # day 2 repeats day 1
    again = benchmark_history(first, scores((1, 1280.0), (2, 1280.0), (3, 1290.0)))
    assert len(again) == 2
    later = benchmark_history(again, scores((4, 1290.0), (5, 1301.5)))
    assert list(later.as_of) == [date(2025, 1, 1), date(2025, 1, 3), date(2025, 1, 5)]
