"""The reference price: the creator's own offering, from the most authoritative source."""

from __future__ import annotations

from datetime import datetime, timezone

from core.catalog.merge import merge_catalog
from core.catalog.reference import basis_counts
from core.records import BatchBuilder, Provenance

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
PRIORITY = {"models_dev": 1, "litellm": 2, "openrouter": 3, "openai_pricing": 1, "model_defaults": 9}
FIRST_PARTY = {"openai": "openai", "anthropic": "anthropic"}


def batch(source: str, kind: str, *offerings: dict) -> object:
    builder = BatchBuilder(Provenance(source, kind, f"https://{source}.example/x", T0))
    for o in offerings:
        builder.entries += 1
        builder.offering(**o)
    return builder.build()


def own(prices: dict, model_id: str = "gpt-4o") -> dict:
    return {"provider": "openai", "provider_model_id": model_id, "prices": prices}


def reference(*batches) -> dict[tuple[str, str], tuple]:
    merged = merge_catalog(list(batches), PRIORITY, FIRST_PARTY, ceiling=1000)
    return {(r.model_key, r.price_type): (r.usd_per_mtok, r.basis, r.source, r.sources, r.spread) for r in merged.reference_prices.itertuples()}


def test_the_official_page_wins_and_the_spread_covers_every_source():
    got = reference(
        batch("litellm", "aggregator", own({"input": 2.5, "output": 10.0})),
        batch("openai_pricing", "scraped", own({"input": 2.5, "output": 10.0})),
        batch("models_dev", "aggregator", own({"input": 2.0})),
    )
    assert got[("openai/gpt-4o", "input")] == (2.5, "official_page", "openai_pricing", 3, 0.2)
    assert got[("openai/gpt-4o", "output")] == (10.0, "official_page", "openai_pricing", 2, 0.0)


def test_aggregators_agreeing_beat_the_higher_priority_one_alone():
    got = reference(
        batch("models_dev", "aggregator", own({"input": 3.0})),
        batch("litellm", "aggregator", own({"input": 2.5})),
        batch("openrouter", "aggregator", own({"input": 2.501}, "openai/gpt-4o")),
    )
    # All three price OpenAI's own offering (provider openai); two agree within 1 %.
    value, basis, source, sources, _ = got[("openai/gpt-4o", "input")]
    assert (value, basis, source, sources) == (2.5, "consensus", "litellm", 3)
    alone = reference(batch("models_dev", "aggregator", own({"input": 3.0})), batch("litellm", "aggregator", own({"input": 2.5})))
    assert alone[("openai/gpt-4o", "input")][:3] == (3.0, "single_aggregator", "models_dev")


def test_only_the_creators_own_offering_counts_and_a_cached_source_keeps_its_badge():
    reseller = batch("litellm", "aggregator", {"provider": "azure", "provider_model_id": "gpt-4o", "prices": {"input": 5.0}})
    assert reference(reseller) == {}  # OpenAI does not price it here: no reference, never a guess
    cached_page = batch("openai_pricing", "cached", own({"input": 2.5}))
    fresh = batch("litellm", "aggregator", own({"input": 2.4}))
    assert reference(cached_page, fresh)[("openai/gpt-4o", "input")][:3] == (2.5, "official_page", "openai_pricing")


def test_basis_counts_name_models_without_a_reference_price():
    merged = merge_catalog(
        [batch("litellm", "aggregator", own({"input": 2.5}), {"provider": "together", "provider_model_id": "meta-llama/Llama-3-70b", "prices": {"input": 0.9}})],
        PRIORITY, FIRST_PARTY, ceiling=1000,
    )
    counts = basis_counts(merged.reference_prices, merged.models)
    assert counts["single_aggregator"] == 1 and counts["none"] == 1


def test_openrouters_own_listing_wins_over_a_copy_of_it():
    copy = batch("models_dev", "aggregator", {"provider": "openrouter", "provider_model_id": "openai/gpt-4o", "prices": {"input": 2.0}})
    listing = batch("openrouter", "aggregator", {"provider": "openrouter", "provider_model_id": "openai/gpt-4o", "prices": {"input": 2.5}})
    merged = merge_catalog([copy, listing], PRIORITY, FIRST_PARTY, ceiling=1000)
    row = merged.prices.iloc[0]
    assert (row.source, row.usd_per_mtok) == ("openrouter", 2.5)
