"""The real public data in ../shared/reference: every record parsed or reported with its reason."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.catalog.merge import merge_catalog
from core.identity import UNMATCHED, default_rules
from core.records import Provenance
from core.sources import litellm, model_defaults, models_dev, openrouter

pytestmark = pytest.mark.reference

FILES = {
    "openrouter": (openrouter, "openrouter/openrouter_models.2026-08-01.token-tariff.json"),
    "models_dev": (models_dev, "models.dev/api.json"),
    "litellm": (litellm, "litellm/model_prices_and_context_window.2026-07-24.json"),
}
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def normalise(reference, name):
    module, path = FILES[name]
    entries = module.parse((reference / path).read_bytes())
    return module.normalise(entries, Provenance(name, "aggregator", "file:" + path, NOW))


def current(batch, provider_id, provider_model_id, price_type):
    p = batch.prices
    rows = p[(p.provider_id == provider_id) & (p.provider_model_id == provider_model_id) & (p.price_type == price_type)]
    return float(rows.usd_per_mtok.iloc[0])


@pytest.mark.parametrize(
    "name, entries, offerings, rejected",
    [
        ("openrouter", 336, 336, 0),
        ("models_dev", 5276, 5276, 0),
        # 2983 entries + sample_spec; rejected: 53 duplicate ids (same id with and without
        # the provider prefix), 18 search tools, 1 vector store, sample_spec, one without provider,
        # one path without a model name (`fireworks_ai/accounts/fireworks/models/`).
        ("litellm", 2984, 2909, 75),
    ],
)
def test_every_record_is_parsed_or_reported(reference, name, entries, offerings, rejected):
    batch = normalise(reference, name)
    assert batch.entries == entries
    assert len(batch.offerings) == offerings
    assert len(batch.rejects) == rejected
    assert len(batch.offerings) + len(batch.rejects) == batch.entries
    assert batch.rejects.reason.str.len().min() > 0 if rejected else True
    # Unknown prices are absent, never 0 by default: every price row has a number.
    assert batch.prices.usd_per_mtok.notna().all()


def test_gpt_4o_costs_2_50_and_10_00_per_million_in_each_source(reference):
    assert current(normalise(reference, "openrouter"), "openrouter", "openai/gpt-4o", "input") == 2.5
    assert current(normalise(reference, "openrouter"), "openrouter", "openai/gpt-4o", "output") == 10.0
    md = normalise(reference, "models_dev")
    assert current(md, "openai", "gpt-4o", "input") == 2.5 and current(md, "openai", "gpt-4o", "output") == 10.0
    ll = normalise(reference, "litellm")
    assert current(ll, "openai", "gpt-4o", "input") == 2.5 and current(ll, "openai", "gpt-4o", "output") == 10.0
    for batch in (md, ll):
        assert set(batch.offerings[batch.offerings.provider_model_id == "gpt-4o"].model_key) == {"openai/gpt-4o"}


def test_merged_reference_catalog_has_thousands_of_offerings(reference):
    batches = [normalise(reference, n) for n in FILES]
    batches.append(model_defaults.normalise(model_defaults.parse(model_defaults.read()), Provenance("model_defaults", "config", "", NOW)))
    priority = {"models_dev": 1, "litellm": 2, "openrouter": 3, "model_defaults": 9}
    catalog = merge_catalog(batches, priority, default_rules().first_party)
    assert len(catalog.offerings) > 7000
    # ~2,140 models: identity merges the keys that named one model several ways (2,920 before),
    # folding the pointers and serving suffixes that named another key's model (~2,260 before).
    assert len(catalog.models) > 2100
    gpt = catalog.prices[(catalog.prices.provider_id == "openai") & (catalog.prices.provider_model_id == "gpt-4o")]
    assert dict(zip(gpt.price_type, gpt.usd_per_mtok))["input"] == 2.5
    # The creator's own offering describes the model.
    model = catalog.models.set_index("model_key").loc["openai/gpt-4o"]
    assert model.context_window == 128000 and model.providers_count > 10
    unmatched = (catalog.offerings.identity_method == UNMATCHED).mean()
    print(f"\nreference catalog: {len(catalog.models)} models, {len(catalog.offerings)} offerings, "
          f"{len(catalog.prices)} prices; creator unmatched share {unmatched:.1%}")
