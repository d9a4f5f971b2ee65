"""Identity on the real reference data (../shared/reference/data): one key per model across
OpenRouter, models.dev and LiteLLM; the unmatched share per source; dated snapshots and
their family aliases. The figures are printed (run with ``-s`` to see them)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from core.catalog.identity_report import duplicate_groups, load_batches
from core.identity import UNMATCHED, family_alias

pytestmark = pytest.mark.reference

# source -> model -> [(provider id, the provider's model id as in the file)], all one key.
SAME_MODEL = {
    "openai/gpt-4o": {
        "openrouter": [("openrouter", "openai/gpt-4o")],
        "models_dev": [("openai", "gpt-4o"), ("azure", "gpt-4o"), ("github-models", "openai/gpt-4o"), ("vercel", "openai/gpt-4o")],
        "litellm": [("openai", "gpt-4o"), ("azure", "gpt-4o"), ("github-copilot", "gpt-4o"), ("openrouter", "openai/gpt-4o"),
                    ("replicate", "openai/gpt-4o"), ("vercel", "openai/gpt-4o")],
    },
    "openai/gpt-4o-2024-08-06": {
        "openrouter": [("openrouter", "openai/gpt-4o-2024-08-06")],
        "models_dev": [("openai", "gpt-4o-2024-08-06"), ("kilo", "openai/gpt-4o-2024-08-06")],
        "litellm": [("openai", "gpt-4o-2024-08-06"), ("azure", "gpt-4o-2024-08-06"), ("azure", "eu/gpt-4o-2024-08-06"),
                    ("azure", "global-standard/gpt-4o-2024-08-06")],
    },
    "anthropic/claude-sonnet-4": {
        "openrouter": [("openrouter", "anthropic/claude-sonnet-4")],
        "models_dev": [("anthropic", "claude-sonnet-4-0"), ("github-copilot", "claude-sonnet-4"), ("vercel", "anthropic/claude-sonnet-4"),
                       ("databricks", "databricks-claude-sonnet-4"), ("digitalocean", "anthropic-claude-sonnet-4"),
                       ("sap-ai-core", "anthropic--claude-4-sonnet"), ("qiniu-ai", "claude-4.0-sonnet")],
        "litellm": [("openrouter", "anthropic/claude-sonnet-4"), ("github-copilot", "claude-sonnet-4"), ("heroku", "claude-4-sonnet"),
                    ("deepinfra", "anthropic/claude-4-sonnet"), ("google-vertex-anthropic", "vertex_ai/claude-sonnet-4"),
                    ("snowflake-cortex", "claude-4-sonnet"), ("databricks", "databricks-claude-sonnet-4")],
    },
    "anthropic/claude-sonnet-4-20250514": {
        "models_dev": [("anthropic", "claude-sonnet-4-20250514"), ("google-vertex", "claude-sonnet-4@20250514"),
                       ("google-vertex-anthropic", "claude-sonnet-4@20250514")],
        "litellm": [("anthropic", "claude-sonnet-4-20250514"), ("anthropic", "claude-4-sonnet-20250514"),
                    ("amazon-bedrock", "anthropic.claude-sonnet-4-20250514-v1:0"),
                    ("amazon-bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
                    ("google-vertex-anthropic", "vertex_ai/claude-sonnet-4@20250514")],
    },
    "meta/llama-3.1-70b-instruct": {
        "openrouter": [("openrouter", "meta-llama/llama-3.1-70b-instruct")],
        "models_dev": [("azure", "meta-llama-3.1-70b-instruct"), ("github-models", "meta/meta-llama-3.1-70b-instruct"),
                       ("nvidia", "meta/llama-3.1-70b-instruct"), ("wandb", "meta-llama/Llama-3.1-70B-Instruct"),
                       ("llmgateway", "llama-3.1-70b-instruct")],
        "litellm": [("amazon-bedrock", "meta.llama3-1-70b-instruct-v1:0"), ("togetherai", "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"),
                    ("fireworks-ai", "accounts/fireworks/models/llama-v3p1-70b-instruct"), ("ovhcloud", "Meta-Llama-3_1-70B-Instruct"),
                    ("oci", "meta.llama-3.1-70b-instruct"), ("deepinfra", "meta-llama/Meta-Llama-3.1-70B-Instruct"),
                    ("azure", "Meta-Llama-3.1-70B-Instruct")],
    },
}
# Pairs the old rules published as two models (the issue's examples): now one key each.
FORMER_DUPLICATES = [
    ("anthropic/claude-sonnet-4.5", "anthropic/claude-sonnet-4-5"),
    ("meta/llama3-1-70b-instruct", "meta/llama-3.1-70b-instruct"),
    ("meta/meta-llama-3.1-70b-instruct", "meta/llama-3.1-70b-instruct"),
    ("anthropic/claude-sonnet-4-0", "anthropic/claude-sonnet-4"),
    ("google/gemini-2-5-pro", "google/gemini-2.5-pro"),
]


@functools.lru_cache(maxsize=1)
def _batches(reference: Path):
    return load_batches(reference)


@pytest.fixture
def batches(reference):
    return _batches(reference)


@pytest.fixture
def all_keys(batches):
    return {key for batch in batches.values() for key in batch.offerings["model_key"]}


def key_of(batch, provider_id, provider_model_id):
    o = batch.offerings
    found = o[(o.provider_id == provider_id) & (o.provider_model_id == provider_model_id)]
    assert len(found) == 1, f"{provider_id} {provider_model_id!r} not in the {batch.source} file"
    return found.model_key.iloc[0]


@pytest.mark.parametrize("model_key", sorted(SAME_MODEL))
def test_each_sources_ids_of_a_model_resolve_to_one_key(batches, model_key):
    for source, ids in SAME_MODEL[model_key].items():
        keys = {(provider_id, model_id): key_of(batches[source], provider_id, model_id) for provider_id, model_id in ids}
        assert set(keys.values()) == {model_key}, f"{source}: {keys}"


def test_the_issues_duplicates_are_gone(all_keys):
    for old, new in FORMER_DUPLICATES:
        assert new in all_keys and old not in all_keys, (old, new)


def test_unmatched_share_per_source_is_under_2_percent(batches):
    shares = {}
    for source, batch in batches.items():
        unmatched = int((batch.offerings.identity_method == UNMATCHED).sum())
        shares[source] = unmatched / len(batch.offerings)
        print(f"\n{source}: {len(batch.offerings)} offerings, {unmatched} unmatched ({shares[source]:.2%})", end="")
    assert all(share < 0.02 for share in shares.values()), shares


def test_duplicate_candidates_across_sources_are_few(all_keys):
    groups = duplicate_groups(all_keys)
    print(f"\n{len(all_keys)} model keys, {len(groups)} duplicate-candidate groups")
    # On this data the remaining groups are mostly distinct models with the same short name
    # (deepseek-v3 / ideogram-v3, routers called `auto`); before these rules there were 283.
    assert len(groups) <= 25


def test_dated_snapshots_are_distinct_models_with_their_family_alias(all_keys):
    expected = {
        "openai/gpt-4o-2024-08-06": "openai/gpt-4o",
        "openai/gpt-4o-2024-11-20": "openai/gpt-4o",
        "anthropic/claude-sonnet-4-20250514": "anthropic/claude-sonnet-4",
        "anthropic/claude-opus-4-1-20250805": "anthropic/claude-opus-4-1",
        "cohere/command-r-plus-08-2024": "cohere/command-r-plus",
        "mistral/mistral-large-2411": "mistral/mistral-large",
        "mistral/codestral-2501": "mistral/codestral",
    }
    for snapshot, family in expected.items():
        assert snapshot in all_keys and family in all_keys
        assert family_alias(snapshot, all_keys) == family


def test_every_offering_has_one_of_the_four_methods(batches):
    for batch in batches.values():
        assert set(batch.offerings.identity_method) <= {"exact", "rule", "alias_file", "unmatched"}
