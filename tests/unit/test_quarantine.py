"""Quarantine: implausible source prices are held out of the merge, with their rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

from core.catalog.merge import PRICE_KEY, merge_catalog, price_history
from core.catalog.quarantine import hold_previous, quarantine_state
from core.records import BatchBuilder, Provenance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIORITY = {"models_dev": 1, "litellm": 2, "openrouter": 3}


def batch(source: str, *offerings: dict) -> object:
    builder = BatchBuilder(Provenance(source, "aggregator", f"https://{source}.example/x", T0))
    for o in offerings:
        builder.entries += 1
        builder.offering(**o)
    return builder.build()


def offering(provider: str, model_id: str, prices: dict, **extra) -> dict:
    return {"provider": provider, "provider_model_id": model_id, "prices": prices, **extra}


def rules(merged) -> dict[tuple[str, str, str], str]:
    return {(r.source, r.provider_model_id, r.price_type): r.rule for r in merged.quarantine.itertuples()}


def test_a_price_above_the_ceiling_is_quarantined_and_the_next_source_serves():
    # LiteLLM's wandb DeepSeek-R1 read per token as per 1M: 135,000 / 540,000.
    wrong = batch("models_dev", offering("wandb", "deepseek-ai/DeepSeek-R1-0528", {"input": 135000.0, "output": 540000.0}))
    right = batch("litellm", offering("wandb", "deepseek-ai/DeepSeek-R1-0528", {"input": 0.135, "output": 0.54}))
    merged = merge_catalog([wrong, right], PRIORITY, {}, ceiling=1000)
    assert rules(merged) == {
        ("models_dev", "deepseek-ai/DeepSeek-R1-0528", "input"): "above_ceiling",
        ("models_dev", "deepseek-ai/DeepSeek-R1-0528", "output"): "above_ceiling",
    }
    assert "above the ceiling of 1000" in merged.quarantine.iloc[0].detail
    published = {r.price_type: (r.usd_per_mtok, r.source) for r in merged.prices.itertuples()}
    assert published == {"input": (0.135, "litellm"), "output": (0.54, "litellm")}
    # Quarantined values are no disagreement between sources either.
    assert merged.disagreements.empty


def test_a_value_far_from_every_other_source_is_the_odd_one_out():
    three = [
        batch("models_dev", offering("groq", "llama-3.1-8b-instant", {"input": 0.05})),
        batch("litellm", offering("groq", "llama-3.1-8b-instant", {"input": 50.0})),
        batch("openrouter", offering("groq", "llama-3.1-8b-instant", {"input": 0.06})),
    ]
    merged = merge_catalog(three, PRIORITY, {}, ceiling=1000)
    assert rules(merged) == {("litellm", "llama-3.1-8b-instant", "input"): "far_from_other_sources"}
    assert "0.05, 0.06" in merged.quarantine.iloc[0].detail


def test_two_sources_100x_apart_are_decided_by_the_model_elsewhere_or_not_at_all():
    pair = [
        batch("models_dev", offering("groq", "llama-3.1-8b-instant", {"input": 8.0})),
        batch("litellm", offering("groq", "llama-3.1-8b-instant", {"input": 0.04})),
    ]
    # Nothing to compare with: neither is quarantined (the merge's priority decides).
    assert merge_catalog(pair, PRIORITY, {}, ceiling=1000).quarantine.empty
    elsewhere = batch("openrouter", offering("together", "meta-llama/Llama-3.1-8B-Instruct-Turbo", {"input": 0.05}))
    merged = merge_catalog([*pair, elsewhere], PRIORITY, {}, ceiling=1000)
    assert merged.models["model_key"].nunique() == 1  # one model, two providers
    assert rules(merged) == {("models_dev", "llama-3.1-8b-instant", "input"): "far_from_other_sources"}
    assert merged.prices.set_index("provider_id").loc["groq", "usd_per_mtok"] == 0.04


def zero_output_rows(batch_, *model_ids: str):
    """The batch with an output price of 0 on each of ``model_ids``, as a source that bypassed the
    parse-time rule would give it (BatchBuilder already drops a 0 on a metered offering)."""
    rows = batch_.prices[(batch_.prices["price_type"] == "input") & batch_.prices["provider_model_id"].isin(model_ids)]
    batch_.prices = pd.concat([batch_.prices, rows.assign(price_type="output", usd_per_mtok=0.0)], ignore_index=True)
    return batch_


def test_a_zero_on_a_metered_offering_is_no_price_and_a_free_tier_zero_is_kept():
    source = batch(
        "litellm",
        offering("openai", "gpt-4o", {"input": 2.5, "output": 0.0}),
        offering("openrouter", "meta-llama/llama-3.1-8b-instruct:free", {"input": 0.0, "output": 0.0}),
    )
    merged = merge_catalog([source], PRIORITY, {}, ceiling=1000)
    prices = {(r.provider_model_id, r.price_type): r.usd_per_mtok for r in merged.prices.itertuples()}
    assert ("gpt-4o", "output") not in prices and prices[("gpt-4o", "input")] == 2.5  # unknown, never 0
    assert prices[("meta-llama/llama-3.1-8b-instruct:free", "output")] == 0.0  # free says free
    assert merged.quarantine.empty


def test_output_zero_reaching_the_merge_on_a_metered_text_model_but_not_on_an_embedding_model():
    source = zero_output_rows(batch(
        "litellm",
        offering("openai", "gpt-4o", {"input": 2.5}),
        offering("openai", "text-embedding-3-small", {"input": 0.02}),
        offering("voyage", "voyage-3-large", {"input": 0.18}),
    ), "gpt-4o", "text-embedding-3-small", "voyage-3-large")
    merged = merge_catalog([source], PRIORITY, {}, ceiling=1000)
    assert rules(merged) == {("litellm", "gpt-4o", "output"): "zero_output_on_metered"}
    prices = {(r.provider_model_id, r.price_type): r.usd_per_mtok for r in merged.prices.itertuples()}
    assert ("gpt-4o", "output") not in prices and prices[("gpt-4o", "input")] == 2.5
    assert prices[("text-embedding-3-small", "output")] == 0.0 and prices[("voyage-3-large", "output")] == 0.0


def test_the_previous_value_stays_current_and_the_state_remembers_when_it_began():
    good = merge_catalog([batch("litellm", offering("openai", "gpt-4o", {"input": 2.5, "output": 10.0}))], PRIORITY, {}, ceiling=1000)
    history = price_history(None, good.prices, T0)
    slipped = merge_catalog([batch("litellm", offering("openai", "gpt-4o", {"input": 2.5, "output": 10_000_000.0}))], PRIORITY, {}, ceiling=1000)
    assert list(slipped.prices["price_type"]) == ["input"]
    t1 = T0 + timedelta(hours=1)
    current = hold_previous(slipped.prices, slipped.quarantine, history, PRICE_KEY)
    after = price_history(history, current, t1)
    assert after["valid_to"].isna().all() and len(after) == 2  # nothing closed: output 10 stays
    assert after.set_index("price_type").loc["output", "usd_per_mtok"] == 10.0
    state = quarantine_state(slipped.quarantine, current, None, PRICE_KEY, t1)
    row = state.iloc[0]
    assert (row.rule, row.usd_per_mtok, row.held_usd_per_mtok, row.detected_at) == ("above_ceiling", 10_000_000.0, 10.0, pd.Timestamp(t1))
    later = quarantine_state(slipped.quarantine, current, state, PRICE_KEY, t1 + timedelta(hours=1))
    assert later.iloc[0].detected_at == pd.Timestamp(t1)  # first seen, carried
    # No previous value: nothing is held, the quarantined value is simply not published.
    fresh = quarantine_state(slipped.quarantine, slipped.prices, None, PRICE_KEY, t1)
    assert pd.isna(fresh.iloc[0].held_usd_per_mtok)


def test_a_bad_copy_ranked_below_the_winner_does_not_freeze_a_real_change():
    """The official page cuts input 2.5 -> 2.0 while LiteLLM slips to 2000: LiteLLM is
    quarantined, and the page's new price is published (not the previous 2.5)."""
    page = lambda value: batch("openai_pricing", offering("openai", "gpt-4o", {"input": value}))  # noqa: E731
    before = merge_catalog([page(2.5), batch("litellm", offering("openai", "gpt-4o", {"input": 2.5}))], {**PRIORITY, "openai_pricing": 0}, {}, ceiling=1000)
    history = price_history(None, before.prices, T0)
    after = merge_catalog([page(2.0), batch("litellm", offering("openai", "gpt-4o", {"input": 2000.0}))], {**PRIORITY, "openai_pricing": 0}, {}, ceiling=1000)
    assert list(after.quarantine["would_win"]) == [False]
    current = hold_previous(after.prices, after.quarantine, history, PRICE_KEY)
    assert list(current["usd_per_mtok"]) == [2.0] and list(current["source"]) == ["openai_pricing"]
