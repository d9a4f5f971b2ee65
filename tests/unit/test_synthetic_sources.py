"""The scale benchmark's synthetic sources (``benchmarks.synthetic``): the same bytes for the same
seed, about 7.5k offerings at 1x in the three real formats, read by the real parsers, with free
and unknown prices as the real payloads have them, and ten times the entries at 10x."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from benchmarks import synthetic
from core.records import Provenance
from core.sources import litellm, models_dev, openrouter

PARSERS = {"models_dev": models_dev, "openrouter": openrouter, "litellm": litellm}


@pytest.fixture(scope="module")
def one() -> synthetic.Catalog:
    return synthetic.catalog(1)


def normalised(name: str, payload: bytes):
    module = PARSERS[name]
    provenance = Provenance(name, "aggregator", "http://127.0.0.1/", datetime(2026, 12, 6, tzinfo=timezone.utc))
    return module.normalise(module.parse(payload), provenance)


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(one: synthetic.Catalog):
    again = synthetic.catalog(1)
    assert again.payloads() == one.payloads()
    assert synthetic.catalog(1, seed=synthetic.SEED + 1).models_dev != one.models_dev


def test_the_real_parsers_read_every_format_with_few_rejects(one: synthetic.Catalog):
    offerings = 0
    for name, payload in (("models_dev", one.models_dev), ("openrouter", one.openrouter), ("litellm", one.litellm)):
        batch = normalised(name, payload)
        assert batch.entries == one.entries[name] + (1 if name == "litellm" else 0)  # + sample_spec
        assert len(batch.rejects) <= 0.01 * batch.entries, batch.reject_reasons
        offerings += len(batch.offerings)
    assert 7_000 <= offerings <= 9_500  # today's three sources: about 7.5k offerings (some listed twice)


def test_prices_look_like_the_real_payloads(one: synthetic.Catalog):
    router = json.loads(one.openrouter)["data"]
    prompts = [e["pricing"]["prompt"] for e in router]
    assert all(isinstance(p, str) for p in prompts)  # USD per token as strings
    assert "0" in prompts and "-1" in prompts  # free variants and a router of variable price
    assert any(e["id"].endswith(":free") for e in router)
    costs = [m.get("cost") for p in json.loads(one.models_dev).values() for m in p["models"].values()]
    unknown = sum(1 for c in costs if c is None)
    free = sum(1 for c in costs if c and c["input"] == 0)
    assert 0.02 < unknown / len(costs) < 0.15 and 0.02 < free / len(costs) < 0.12
    prices = normalised("models_dev", one.models_dev).prices["usd_per_mtok"]
    assert prices.notna().all() and 0 < prices.min() and 10 < prices.max() < 1000  # USD per 1M tokens, not per token
    free = normalised("openrouter", one.openrouter).prices
    assert (free["usd_per_mtok"] == 0).any()  # 0 kept where the source says free (the :free tier)
    per_token = [e["input_cost_per_token"] for e in json.loads(one.litellm).values() if "input_cost_per_token" in e]
    assert max(per_token) < 1e-3  # LiteLLM: USD per token


def test_ten_times_the_scale_is_ten_times_the_entries(one: synthetic.Catalog):
    ten = synthetic.catalog(10)
    for name, count in one.entries.items():
        assert 8 <= ten.entries[name] / count <= 12, name
