"""Identity rules: source ids to provider ids and model keys `creator/model`."""

from __future__ import annotations

import pytest

from assets.normalise.identity import default_rules


@pytest.mark.parametrize(
    "provider, model_id, provider_id, model_key, method",
    [
        ("openrouter", "openai/gpt-4o", "openrouter", "openai/gpt-4o", "namespace"),
        ("openrouter", "meta-llama/llama-3.1-70b-instruct", "openrouter", "meta/llama-3.1-70b-instruct", "namespace"),
        ("openrouter", "openai/gpt-oss-20b:free", "openrouter", "openai/gpt-oss-20b", "namespace"),
        ("openrouter", "~anthropic/claude-opus-latest", "openrouter", "anthropic/claude-opus-latest", "namespace"),
        ("openrouter", "x-ai/grok-4", "openrouter", "xai/grok-4", "namespace"),
        ("openai", "gpt-4o", "openai", "openai/gpt-4o", "pattern"),
        ("bedrock", "us-east-1/anthropic.claude-sonnet-4-20250514-v1:0", "amazon-bedrock", "anthropic/claude-sonnet-4-20250514", "namespace"),
        ("bedrock_converse", "us.meta.llama3-1-70b-instruct-v1:0", "amazon-bedrock", "meta/llama3-1-70b-instruct", "namespace"),
        ("azure", "eu/gpt-4o-2024-08-06", "azure", "openai/gpt-4o-2024-08-06", "pattern"),
        ("groq", "llama-3.1-8b-instant", "groq", "meta/llama-3.1-8b-instant", "pattern"),
        ("fireworks_ai", "accounts/fireworks/models/deepseek-v3", "fireworks-ai", "deepseek/deepseek-v3", "pattern"),
        ("together_ai", "Qwen/Qwen3-235B-A22B", "togetherai", "alibaba/qwen3-235b-a22b", "namespace"),
        ("gemini", "gemini/gemini-2.5-pro", "google", "google/gemini-2.5-pro", "pattern"),
        ("sakana", "some-new-model", "sakana", "sakana/some-new-model", "first_party"),
        ("aihubmix", "coding-glm-5.1", "aihubmix", "aihubmix/coding-glm-5.1", "provider"),
    ],
)
def test_resolve(provider, model_id, provider_id, model_key, method):
    identity = default_rules().resolve(provider, model_id)
    assert (identity.provider_id, identity.model_key, identity.method) == (provider_id, model_key, method)
    assert identity.matched == (method != "provider")
