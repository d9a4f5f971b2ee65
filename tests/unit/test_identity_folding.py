"""Folding: one key per model once every source's keys are known (``-latest`` pointers,
OpenRouter router aliases and canonical slugs, serving suffixes, free tiers), and the
parsers' part in it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd

from core.catalog.merge import merge_catalog
from core.folding import (
    CANONICAL_SLUG,
    FOLDED,
    POINTER,
    ROUTER_ALIAS,
    SERVING_SUFFIX,
    Fold,
    fold_batches,
    fold_map,
)
from core.identity import default_rules
from core.records import LINK_COLUMNS, BatchBuilder, Provenance
from core.sources import litellm, openrouter

T0 = datetime(2026, 8, 1, tzinfo=timezone.utc)
PRIORITY = {"models_dev": 1, "litellm": 2, "openrouter": 3}


def batch(source: str, *offerings: dict, scores: tuple[dict, ...] = (), measures: tuple[dict, ...] = ()):
    builder = BatchBuilder(Provenance(source, "aggregator", f"https://{source}.example/x", T0))
    for o in offerings:
        builder.entries += 1
        builder.offering(**o)
    for s in scores:
        builder.benchmark(**s)
    for m in measures:
        builder.measure(**m)
    return builder.build()


def offer(provider: str, model_id: str, **prices: float) -> dict:
    return {"provider": provider, "provider_model_id": model_id, "prices": prices}


def links(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """(offering key, relation, target key) rows as batch_links gives them."""
    frame = pd.DataFrame(
        [{"provider_id": "openrouter", "provider_model_id": "x", "relation": r, "target_id": t, "target_key": t, "model_key": k}
         for k, r, t in rows],
        columns=LINK_COLUMNS + ["model_key"],
    )
    return frame


def test_a_latest_pointer_folds_onto_its_published_family_and_stays_alone_otherwise():
    folds = fold_map({"xai/grok-4", "xai/grok-4-latest", "openai/chatgpt-4o-latest"})
    assert folds == {"xai/grok-4-latest": Fold("xai/grok-4-latest", "xai/grok-4", POINTER)}


def test_serving_suffixes_fold_even_before_the_base_is_listed():
    folds = fold_map({"meta/llama-3.3-70b-instruct-maas", "zhipuai/glm-5-tee", "zhipuai/glm-5.2-free",
                      "anthropic/claude-opus-4-6-default", "openai/gpt-oss-20b-cloud", "fireworks-ai/fireworks-ai-default"})
    assert {k: f.target for k, f in folds.items()} == {
        "meta/llama-3.3-70b-instruct-maas": "meta/llama-3.3-70b-instruct",
        "zhipuai/glm-5-tee": "zhipuai/glm-5",
        "zhipuai/glm-5.2-free": "zhipuai/glm-5.2",
        "anthropic/claude-opus-4-6-default": "anthropic/claude-opus-4-6",
        "openai/gpt-oss-20b-cloud": "openai/gpt-oss-20b",
    }  # `fireworks-ai-default` would leave only the creator's name: a tariff, not a model
    assert {f.kind for f in folds.values()} == {SERVING_SUFFIX}
    # Quantised builds and dated snapshots are other models.
    assert fold_map({"alibaba/qwen3-32b", "alibaba/qwen3-32b-fp8", "openai/gpt-4o", "openai/gpt-4o-2024-08-06"}) == {}


def test_a_pointer_lands_on_a_family_a_serving_suffix_made():
    folds = fold_map({"mistral/mistral-nemo-maas", "mistral/mistral-nemo-latest"})
    assert folds["mistral/mistral-nemo-latest"].target == "mistral/mistral-nemo"


def test_what_the_source_says_comes_first_and_chains_are_followed():
    published = {"anthropic/claude-opus-latest", "anthropic/claude-opus-5-maas", "meta/llama-4-maverick",
                 "meta/llama-4-maverick-17b-128e-instruct", "openai/gpt-5", "anthropic/claude-opus-5"}
    said = links(
        ("anthropic/claude-opus-latest", "alias_target", "anthropic/claude-opus-5-maas"),
        ("meta/llama-4-maverick", "canonical_slug", "meta/llama-4-maverick-17b-128e-instruct"),
        ("openai/gpt-5", "canonical_slug", "openai/gpt-5-2025-08-07"),  # a dated snapshot: its own model
    )
    folds = fold_map(published, said)
    assert folds["anthropic/claude-opus-latest"] == Fold("anthropic/claude-opus-latest", "anthropic/claude-opus-5", ROUTER_ALIAS)
    assert folds["meta/llama-4-maverick"].kind == CANONICAL_SLUG
    assert "openai/gpt-5" not in folds


def test_fold_batches_moves_offerings_prices_measurements_and_scores_and_keeps_the_ids():
    listing = batch(
        "models_dev",
        offer("xai", "grok-4", input=3.0),
        offer("xai", "grok-4-latest", input=3.0),
        offer("chutes", "zai-org/GLM-5-TEE", input=1.0),
        scores=({"provider": "lmarena", "model_id": "grok-4-latest", "benchmark": "elo", "score": 1400, "unit": "elo"},),
        measures=({"provider": "chutes", "provider_model_id": "zai-org/GLM-5-TEE", "metric": "throughput", "value": 80, "unit": "tok/s"},),
    )
    original = listing.offerings.copy()
    [folded] = fold_batches([listing])
    pd.testing.assert_frame_equal(listing.offerings, original)  # the given batch is not changed
    keys = dict(zip(folded.offerings.provider_model_id, zip(folded.offerings.model_key, folded.offerings.identity_method)))
    assert keys == {"grok-4": ("xai/grok-4", "rule"), "grok-4-latest": ("xai/grok-4", FOLDED),
                    "zai-org/GLM-5-TEE": ("zhipuai/glm-5", FOLDED)}
    assert set(folded.offerings.creator) == {"xai", "zhipuai"}
    assert set(folded.prices.model_key) == {"xai/grok-4", "zhipuai/glm-5"} and len(folded.prices) == 3
    assert list(folded.performance.model_key) == ["zhipuai/glm-5"]
    assert list(zip(folded.benchmarks.model_key, folded.benchmarks.identity_method)) == [("xai/grok-4", FOLDED)]
    again = fold_batches([folded])[0]
    pd.testing.assert_frame_equal(again.offerings, folded.offerings)


def test_a_batch_stored_before_links_existed_still_folds():
    stored = batch("models_dev", offer("xai", "grok-4"), offer("xai", "grok-4-latest"))
    del stored.__dict__["links"]  # as unpickled from an older run
    [folded] = fold_batches([stored])
    assert list(folded.offerings.model_key) == ["xai/grok-4", "xai/grok-4"] and folded.links.empty


def test_the_merged_catalog_has_one_model_with_every_spelling_and_free_tiers_as_offerings():
    router = batch("openrouter", offer("openrouter", "z-ai/glm-5.2", input=1.0), offer("openrouter", "z-ai/glm-5.2:free", input=0.0))
    others = batch("models_dev", offer("zenmux", "z-ai/glm-5.2-free", input=0.0), offer("chutes", "zai-org/GLM-5.2-TEE", input=1.2),
                   offer("mistral", "mistral-large-latest"), offer("openrouter", "mistralai/mistral-large"))
    merged = merge_catalog([router, others], PRIORITY, {})
    assert list(merged.models.model_key) == ["mistral/mistral-large", "zhipuai/glm-5.2"]
    glm = merged.models.set_index("model_key").loc["zhipuai/glm-5.2"]
    assert glm.offerings_count == 4 and glm.providers_count == 3
    offerings = merged.offerings.set_index(["provider_id", "provider_model_id"])
    assert offerings.loc[("openrouter", "z-ai/glm-5.2:free"), "model_key"] == "zhipuai/glm-5.2"  # its own offering
    free = merged.prices[merged.prices.provider_model_id.str.contains("free")]
    assert set(free.usd_per_mtok) == {0.0} and set(free.model_key) == {"zhipuai/glm-5.2"}
    aliases = merged.model_aliases.set_index(["provider_id", "source_id"])
    assert tuple(aliases.loc[("mistral", "mistral-large-latest"), ["model_key", "method"]]) == ("mistral/mistral-large", FOLDED)
    assert tuple(aliases.loc[("chutes", "zai-org/GLM-5.2-TEE"), ["model_key", "method"]]) == ("zhipuai/glm-5.2", FOLDED)
    assert aliases.loc[("openrouter", "z-ai/glm-5.2:free"), "method"] == "rule"  # identity already placed it


def test_openrouter_router_aliases_become_their_target():
    payload = {"data": [
        {"id": "anthropic/claude-opus-5", "canonical_slug": "anthropic/claude-opus-5-20260723", "name": "Anthropic: Claude Opus 5",
         "pricing": {"prompt": "0.000005", "completion": "0.000025"}},
        {"id": "~anthropic/claude-opus-latest", "canonical_slug": "~anthropic/claude-opus-latest", "name": "Claude Opus Latest",
         "alias_target": {"name": "Claude Opus 5", "slug": "anthropic/claude-opus-5"},
         "pricing": {"prompt": "0.000005", "completion": "0.000025"}},
    ]}
    listing = openrouter.normalise(openrouter.parse(json.dumps(payload).encode()), Provenance("openrouter", "aggregator", "u", T0))
    said = listing.links.set_index(["provider_model_id", "relation"])["target_key"]
    assert said[("~anthropic/claude-opus-latest", "alias_target")] == "anthropic/claude-opus-5"
    assert said[("anthropic/claude-opus-5", "canonical_slug")] == "anthropic/claude-opus-5-20260723"
    merged = merge_catalog([listing], PRIORITY, {})
    assert list(merged.models.model_key) == ["anthropic/claude-opus-5"]
    assert set(merged.offerings.provider_model_id) == {"anthropic/claude-opus-5", "~anthropic/claude-opus-latest"}


def test_a_litellm_key_without_a_model_name_is_rejected_not_a_model():
    entries = litellm.parse(json.dumps({
        "fireworks_ai/accounts/fireworks/models/": {"litellm_provider": "fireworks_ai", "mode": "embedding", "input_cost_per_token": 1e-8},
        "fireworks_ai/accounts/fireworks/models/deepseek-v3": {"litellm_provider": "fireworks_ai", "mode": "chat"},
    }).encode())
    listing = litellm.normalise(entries, Provenance("litellm", "aggregator", "u", T0))
    assert list(listing.offerings.model_key) == ["deepseek/deepseek-v3"]
    assert listing.reject_reasons == {"no model name": 1}


def test_creators_have_one_spelling():
    rules = default_rules()
    assert rules.resolve("abacus", "route-llm").model_key == "abacusai/route-llm"  # the provider standing in
    assert rules.resolve("anyscale", "codellama/CodeLlama-34b-Instruct-hf").model_key == "meta/codellama-34b-instruct-hf"
    assert rules.resolve("stackit", "cortecs/Llama-3.3-70B-Instruct-FP8-Dynamic").model_key == "meta/llama-3.3-70b-instruct-fp8-dynamic"
    assert rules.resolve("poe", "elevenlabs/elevenlabs-v3").model_key == rules.resolve("elevenlabs", "eleven_v3").model_key
    # Word order: the creator's own order wins.
    assert rules.resolve("openrouter", "google/gemini-flash-1.5").model_key == "google/gemini-1.5-flash"
    assert rules.resolve("x", "anthropic/claude-haiku-3").model_key == "anthropic/claude-3-haiku"
    assert rules.resolve("x", "black-forest-labs/flux-1.1-pro").model_key == "bfl/flux-pro-1.1"
    assert rules.resolve("lambda", "hermes3-70b").model_key == "nousresearch/hermes-3-llama-3.1-70b"
