"""Prices on the real reference data (../shared/reference/data): billing, price kinds, tiers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.catalog.billing_report import billing_counts
from core.catalog.merge import merge_catalog
from core.identity import default_rules
from core.records import DUPLICATE_KEPT_PRICED, Provenance
from core.sources import litellm, models_dev, openrouter
from tests.conftest import REFERENCE, unavailable

pytestmark = pytest.mark.reference

FILES = {
    "openrouter": (openrouter, "openrouter/openrouter_models.2026-08-01.token-tariff.json"),
    "models_dev": (models_dev, "models.dev/api.json"),
    "litellm": (litellm, "litellm/model_prices_and_context_window.2026-07-24.json"),
}
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def batches():
    """Each reference file normalised once for the module (the ``reference`` fixture's rule)."""
    if not REFERENCE.is_dir():
        unavailable(f"reference data not found at {REFERENCE}")
    reference = REFERENCE
    out = {}
    for name, (module, path) in FILES.items():
        entries = module.parse((reference / path).read_bytes())
        out[name] = module.normalise(entries, Provenance(name, "aggregator", "file:" + path, NOW))
    return out


def prices(batch, provider_id: str, provider_model_id: str) -> dict[tuple[str, int], float]:
    p = batch.prices[(batch.prices.provider_id == provider_id) & (batch.prices.provider_model_id == provider_model_id)]
    return {(r.price_type, int(r.above_tokens)): float(r.usd_per_mtok) for r in p.itertuples()}


def offering(batch, provider_id: str, provider_model_id: str):
    o = batch.offerings
    return o[(o.provider_id == provider_id) & (o.provider_model_id == provider_model_id)].iloc[0]


def test_github_models_gpt_4o_is_a_plan_offering_without_a_zero_price(batches):
    md = batches["models_dev"]
    gpt = offering(md, "github-models", "openai/gpt-4o")
    assert gpt.model_key == "openai/gpt-4o" and gpt.billing == "plan"
    assert prices(md, "github-models", "openai/gpt-4o") == {}
    assert (md.offerings.loc[md.offerings.provider_id == "github-models", "billing"] == "plan").all()


def test_no_zero_price_is_published_off_a_free_tier(batches):
    for batch in batches.values():
        zero = batch.prices[batch.prices.usd_per_mtok == 0].merge(batch.offerings, on=["provider_id", "provider_model_id"])
        assert (zero.billing == "free_tier").all()
    free = batches["openrouter"].offerings
    assert (free.loc[free.provider_model_id.str.endswith(":free"), "billing"] == "free_tier").all()


def test_gemini_1_5_flash_shows_no_output_0(batches):
    merged = merge_catalog(list(batches.values()), {"models_dev": 1, "litellm": 2, "openrouter": 3}, default_rules().first_party)
    p = merged.prices
    flash = p[(p.model_key == "google/gemini-1.5-flash") & (p.price_type == "output")]
    assert (flash.usd_per_mtok > 0).all()
    assert prices(batches["litellm"], "google", "gemini-1.5-flash").get(("output", 0)) is None  # an embedding entry


def test_gemini_exp_1206_keeps_its_prices_over_the_unpriced_duplicate(batches):
    ll = batches["litellm"]
    p = prices(ll, "google", "gemini-exp-1206")
    assert (p[("input", 0)], p[("output", 0)]) == (0.3, 2.5)
    dropped = ll.rejects[ll.rejects.reason == DUPLICATE_KEPT_PRICED].source_id
    assert "gemini/gemini-exp-1206 (kept gemini-exp-1206)" in set(dropped)


def test_gpt_image_prices_keep_text_and_image_apart(batches):
    md = prices(batches["models_dev"], "openai", "gpt-image-2")
    assert md == {("input", 0): 5.0, ("cached_input", 0): 1.25, ("image_output", 0): 30.0}
    ll = prices(batches["litellm"], "openai", "gpt-image-2")
    assert (ll[("input", 0)], ll[("image_input", 0)], ll[("image_output", 0)]) == (5.0, 8.0, 30.0)


def test_long_context_tiers_of_gemini_2_5_pro_and_claude_sonnet_4(batches):
    for source, provider, model_id in (("litellm", "google", "gemini-2.5-pro"), ("models_dev", "google", "gemini-2.5-pro")):
        p = prices(batches[source], provider, model_id)
        assert (p[("input", 0)], p[("output", 0)], p[("input", 200000)], p[("output", 200000)]) == (1.25, 10.0, 2.5, 15.0), source
    p = prices(batches["openrouter"], "openrouter", "google/gemini-2.5-pro")
    assert (p[("input", 200000)], p[("output", 200000)]) == (2.5, 15.0)
    for source, provider, model_id in (
        ("litellm", "anthropic", "claude-sonnet-4-20250514"),
        ("openrouter", "openrouter", "anthropic/claude-sonnet-4"),
        ("models_dev", "openrouter", "anthropic/claude-sonnet-4"),
    ):
        p = prices(batches[source], provider, model_id)
        assert (p[("input", 0)], p[("input", 200000)], p[("output", 200000)]) == (3.0, 6.0, 22.5), source


def test_offerings_by_billing_kind(batches):
    counts = billing_counts(batches)
    assert set(counts.columns) == {"metered", "free_tier", "plan"}
    assert counts.loc["models_dev", "plan"] > 250 and counts.loc["openrouter", "free_tier"] >= 10
    assert counts.loc["openrouter", "plan"] == 0
