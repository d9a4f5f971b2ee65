"""The trust figures on the real reference data (python -m core.catalog.trust_report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.catalog.trust_report import main, trust_figures

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def figures():
    from tests.conftest import REFERENCE, unavailable

    if not REFERENCE.is_dir():
        unavailable(f"reference data not found at {REFERENCE}")
    return trust_figures(REFERENCE)


def test_duplicate_share_is_under_two_percent(figures):
    assert figures.duplicates.share < 0.02


def test_the_absurd_and_the_zero_are_quarantined_not_published(figures):
    catalog = figures.catalog
    q = catalog.quarantine.set_index(["provider_id", "provider_model_id", "price_type"])
    wandb = q.loc[("wandb", "deepseek-ai/DeepSeek-R1-0528", "output")]
    assert wandb["rule"] == "above_ceiling" and wandb["usd_per_mtok"] == 540000.0
    prices = catalog.prices
    assert not ((prices["provider_model_id"] == "deepseek-ai/DeepSeek-R1-0528") & (prices["provider_id"] == "wandb")
                & (prices["usd_per_mtok"] > 1000)).any()
    gemini = prices[(prices["model_key"] == "google/gemini-1.5-flash") & (prices["price_type"] == "output")]
    assert (gemini["usd_per_mtok"] > 0).all()
    text = prices["price_type"].isin(["input", "output", "cached_input", "cache_write", "batch_input", "batch_output", "reasoning"])
    assert (prices.loc[text, "usd_per_mtok"] <= 1000).all()  # no text token price above the ceiling is published
    # Embedding models' output of 0 is no finding.
    assert not catalog.quarantine["provider_model_id"].str.contains("bge|embedding|voyage").any()


def test_reference_prices_come_from_the_creators_own_offering(figures):
    reference = figures.catalog.reference_prices.set_index(["model_key", "price_type"])
    gpt = reference.loc[("openai/gpt-4o", "input")]
    assert gpt["provider_id"] == "openai" and gpt["usd_per_mtok"] == 2.5 and gpt["basis"] in ("consensus", "single_aggregator")
    basis = figures.reference_basis
    assert basis["consensus"] > 50 and basis["none"] > 0
    assert sum(basis.values()) == len(figures.catalog.models)


def test_the_command_prints_every_figure(capsys):
    from tests.conftest import REFERENCE

    if not Path(REFERENCE).is_dir():
        pytest.skip("reference data not found")
    assert main([str(REFERENCE)]) == 0
    out = capsys.readouterr().out
    for heading in ("duplicate share:", "quarantined source prices:", "offerings by billing kind:", "models with a reference input price:"):
        assert heading in out
