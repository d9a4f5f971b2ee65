"""Identity rules: source ids to provider ids and model keys `creator/model`."""

from __future__ import annotations

import pytest

from core.identity import (
    ALIAS_FILE,
    EXACT,
    METHODS,
    RULE,
    UNMATCHED,
    clean_name,
    default_rules,
    dotted_versions,
    family_alias,
    strip_bedrock_revision,
)


def resolve(provider, model_id):
    return default_rules().resolve(provider, model_id)


@pytest.mark.parametrize(
    "provider, model_id, provider_id, model_key, method, rule",
    [
        ("openrouter", "openai/gpt-4o", "openrouter", "openai/gpt-4o", EXACT, "namespace"),
        ("openrouter", "meta-llama/llama-3.1-70b-instruct", "openrouter", "meta/llama-3.1-70b-instruct", RULE, "namespace"),
        ("openrouter", "openai/gpt-oss-20b:free", "openrouter", "openai/gpt-oss-20b", RULE, "namespace"),
        ("openrouter", "~anthropic/claude-opus-latest", "openrouter", "anthropic/claude-opus-latest", RULE, "namespace"),
        ("openrouter", "x-ai/grok-4", "openrouter", "xai/grok-4", RULE, "namespace"),
        ("openai", "gpt-4o", "openai", "openai/gpt-4o", RULE, "pattern"),
        ("bedrock", "us-east-1/anthropic.claude-sonnet-4-20250514-v1:0", "amazon-bedrock", "anthropic/claude-sonnet-4-20250514", RULE, "vendor_prefix"),
        ("bedrock_converse", "us.meta.llama3-1-70b-instruct-v1:0", "amazon-bedrock", "meta/llama-3.1-70b-instruct", RULE, "vendor_prefix"),
        ("azure", "eu/gpt-4o-2024-08-06", "azure", "openai/gpt-4o-2024-08-06", RULE, "pattern"),
        ("groq", "llama-3.1-8b-instant", "groq", "meta/llama-3.1-8b-instruct", RULE, "pattern"),
        ("fireworks_ai", "accounts/fireworks/models/deepseek-v3", "fireworks-ai", "deepseek/deepseek-v3", RULE, "pattern"),
        ("together_ai", "Qwen/Qwen3-235B-A22B", "togetherai", "alibaba/qwen3-235b-a22b", RULE, "namespace"),
        ("gemini", "gemini/gemini-2.5-pro", "google", "google/gemini-2.5-pro", RULE, "pattern"),
        ("sakana", "some-new-model", "sakana", "sakana/some-new-model", RULE, "first_party"),
        ("aihubmix", "mystery-model-7b", "aihubmix", "aihubmix/mystery-model-7b", UNMATCHED, ""),
    ],
)
def test_resolve(provider, model_id, provider_id, model_key, method, rule):
    identity = resolve(provider, model_id)
    assert (identity.provider_id, identity.model_key, identity.method, identity.rule) == (provider_id, model_key, method, rule)
    assert identity.matched == (method != UNMATCHED)
    assert identity.method in METHODS
    assert identity.creator == model_key.split("/", 1)[0]


@pytest.mark.parametrize(
    "provider, model_id, provider_id, model_key",
    [
        # OpenAI GET /v1/models
        ("openai", "gpt-4o", "openai", "openai/gpt-4o"),
        ("openai", "o3-mini", "openai", "openai/o3-mini"),
        ("openai", "text-embedding-3-small", "openai", "openai/text-embedding-3-small"),
        # Anthropic GET /v1/models
        ("anthropic", "claude-opus-4-1-20250805", "anthropic", "anthropic/claude-opus-4-1-20250805"),
        ("anthropic", "claude-sonnet-4-0", "anthropic", "anthropic/claude-sonnet-4"),
        # Gemini GET /v1beta/models (`name`, with or without its `models/` prefix)
        ("google", "models/gemini-2.5-pro", "google", "google/gemini-2.5-pro"),
        ("google", "gemini-2.5-pro", "google", "google/gemini-2.5-pro"),
        ("google", "models/text-embedding-004", "google", "google/text-embedding-004"),
        # Mistral GET /v1/models
        ("mistral", "mistral-large-latest", "mistral", "mistral/mistral-large-latest"),
        ("mistral", "open-mistral-nemo", "mistral", "mistral/mistral-nemo"),
        ("mistral", "codestral-2501", "mistral", "mistral/codestral-2501"),
        # Cohere GET /v1/models
        ("cohere", "command-r-plus-08-2024", "cohere", "cohere/command-r-plus-08-2024"),
        ("cohere", "embed-english-v3.0", "cohere", "cohere/embed-english-v3.0"),
        # Replicate GET /v1/models (owner/name)
        ("replicate", "meta/meta-llama-3-70b-instruct", "replicate", "meta/llama-3-70b-instruct"),
        ("replicate", "black-forest-labs/flux-schnell", "replicate", "bfl/flux.1-schnell"),
        # Hugging Face router: repo ids, served by providers named the Hugging Face way
        ("novita", "Qwen/Qwen3-235B-A22B", "novita-ai", "alibaba/qwen3-235b-a22b"),
        ("cerebras", "meta-llama/Llama-3.1-70B-Instruct", "cerebras", "meta/llama-3.1-70b-instruct"),
        ("together", "deepseek-ai/DeepSeek-R1", "togetherai", "deepseek/deepseek-r1"),
        ("featherless-ai", "Qwen/Qwen3-235B-A22B", "featherless-ai", "alibaba/qwen3-235b-a22b"),
        ("fireworks-ai", "deepseek-ai/DeepSeek-R1", "fireworks-ai", "deepseek/deepseek-r1"),
        ("hf-inference", "meta-llama/Llama-3.1-70B-Instruct", "huggingface", "meta/llama-3.1-70b-instruct"),
        ("sambanova", "deepseek-ai/DeepSeek-R1", "sambanova", "deepseek/deepseek-r1"),
        ("nebius", "Qwen/Qwen3-235B-A22B", "nebius", "alibaba/qwen3-235b-a22b"),
    ],
)
def test_provider_api_ids(provider, model_id, provider_id, model_key):
    identity = resolve(provider, model_id)
    assert (identity.provider_id, identity.model_key) == (provider_id, model_key)
    assert identity.matched


@pytest.mark.parametrize(
    "ids, model_key",
    [
        # Dots and dashes in version numbers; Anthropic writes dashes from Claude 3 on.
        ([("openrouter", "anthropic/claude-sonnet-4.5"), ("anthropic", "claude-sonnet-4-5"), ("digitalocean", "anthropic-claude-4.5-sonnet"),
          ("databricks", "databricks-claude-sonnet-4-5"), ("sap-ai-core", "anthropic--claude-4.5-sonnet")], "anthropic/claude-sonnet-4-5"),
        ([("openrouter", "anthropic/claude-sonnet-4"), ("anthropic", "claude-sonnet-4-0"), ("heroku", "claude-4-sonnet"),
          ("deepinfra", "anthropic/claude-4-sonnet")], "anthropic/claude-sonnet-4"),
        ([("openrouter", "anthropic/claude-3.5-sonnet"), ("anthropic", "claude-3-5-sonnet")], "anthropic/claude-3-5-sonnet"),
        # Meta Llama: Bedrock's llama3-1, Together's Meta-Llama-...-Turbo, Fireworks' llama-v3p1, an underscore.
        ([("openrouter", "meta-llama/llama-3.1-70b-instruct"), ("bedrock", "meta.llama3-1-70b-instruct-v1:0"),
          ("together_ai", "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"), ("fireworks_ai", "accounts/fireworks/models/llama-v3p1-70b-instruct"),
          ("nvidia", "meta/meta-llama-3_1-70b-instruct"), ("databricks", "databricks-meta-llama-3-1-70b-instruct")],
         "meta/llama-3.1-70b-instruct"),
        ([("groq", "llama-3.3-70b-versatile"), ("cerebras", "llama-3.3-70b"), ("openrouter", "meta-llama/llama-3.3-70b-instruct")],
         "meta/llama-3.3-70b-instruct"),
        # A creator's name repeated before its model's name.
        ([("digitalocean", "openai-gpt-4o"), ("openrouter", "openai/gpt-4o"), ("nano-gpt", "azure-gpt-4o")], "openai/gpt-4o"),
        ([("nvidia", "nvidia/nvidia-nemotron-nano-9b-v2"), ("bedrock", "nvidia.nemotron-nano-9b-v2"), ("openrouter", "nvidia/nemotron-nano-9b-v2")],
         "nvidia/nemotron-nano-9b-v2"),
        ([("cerebras", "zai-glm-4.7"), ("bedrock", "zai.glm-4.7"), ("synthetic", "hf:zai-org/GLM-4.7"), ("openrouter", "z-ai/glm-4.7")],
         "zhipuai/glm-4.7"),
        # Case, Fireworks' `p` for the point, glued versions.
        ([("fireworks_ai", "accounts/fireworks/models/qwen2p5-72b-instruct"), ("together_ai", "Qwen/Qwen2.5-72B-Instruct-Turbo"),
          ("openrouter", "qwen/qwen-2.5-72b-instruct")], "alibaba/qwen2.5-72b-instruct"),
        ([("databricks", "databricks-gemini-2-5-pro"), ("openrouter", "google/gemini-2.5-pro")], "google/gemini-2.5-pro"),
        ([("azure", "gpt-35-turbo"), ("openai", "gpt-3.5-turbo")], "openai/gpt-3.5-turbo"),
        ([("minimax", "MiniMax-M2.5"), ("x", "minimax/minimax-m2-5"), ("y", "minimax/minimax-m25")], "minimax/minimax-m2.5"),
    ],
)
def test_one_model_one_key(ids, model_key):
    assert {resolve(provider, model_id).model_key for provider, model_id in ids} == {model_key}


@pytest.mark.parametrize(
    "first, second",
    [
        # Dated snapshots and -latest aliases are models of their own.
        (("openai", "gpt-4o"), ("openai", "gpt-4o-2024-08-06")),
        (("anthropic", "claude-sonnet-4-20250514"), ("anthropic", "claude-sonnet-4")),
        (("anthropic", "claude-3-5-sonnet-latest"), ("anthropic", "claude-3-5-sonnet")),
        (("mistral", "mistral-large-latest"), ("mistral", "mistral-large-2411")),
        # Base and instruct, quantised builds, sizes, Bedrock model versions.
        (("openrouter", "meta-llama/llama-3.1-70b"), ("openrouter", "meta-llama/llama-3.1-70b-instruct")),
        (("nvidia", "nvidia/llama-3.3-70b-instruct-fp8"), ("openrouter", "meta-llama/llama-3.3-70b-instruct")),
        (("bedrock", "amazon.titan-embed-text-v1"), ("bedrock", "amazon.titan-embed-text-v2:0")),
        (("bedrock", "stability.stable-diffusion-xl-v0"), ("bedrock", "stability.stable-diffusion-xl-v1")),
        (("bedrock", "anthropic.claude-v2"), ("bedrock", "anthropic.claude-v2:1")),
        (("ollama", "gemma3:12b"), ("ollama", "gemma3:27b")),
        # Other -turbo models, and Turbo outside Together.
        (("openai", "gpt-3.5-turbo"), ("openai", "gpt-3.5")),
        (("deepinfra", "deepseek-ai/DeepSeek-R1-0528-Turbo"), ("deepseek", "deepseek-r1-0528")),
        # Endpoint paths: two fal.ai models under one vendor are two models.
        (("fal-ai", "fal-ai/bytedance/seedream/v3/text-to-image"), ("fal-ai", "fal-ai/bytedance/dreamina/v3.1/text-to-image")),
        # Deepgram's Nova is not Amazon's.
        (("deepgram", "nova-3"), ("bedrock", "amazon.nova-pro-v1:0")),
    ],
)
def test_distinct_models_stay_distinct(first, second):
    assert resolve(*first).model_key != resolve(*second).model_key


def test_deepgram_nova_is_deepgrams():
    assert resolve("deepgram", "nova-3").model_key == "deepgram/nova-3"


@pytest.mark.parametrize(
    "model_id, expected",
    [
        ("claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
        ("claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("titan-embed-text-v2:0", "titan-embed-text-v2"),
        ("titan-embed-text-v1", "titan-embed-text"),
        ("claude-v2:1", "claude-v2-1"),
        ("gpt-oss-120b-1:0", "gpt-oss-120b"),
        ("mistral-7b-instruct-v0:2", "mistral-7b-instruct-v0-2"),
        ("nemotron-nano-12b-v2", "nemotron-nano-12b-v2"),
    ],
)
def test_strip_bedrock_revision(model_id, expected):
    assert strip_bedrock_revision(model_id) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("gemini-2-5-pro", "gemini-2.5-pro"),
        ("llama3-1-70b-instruct", "llama3.1-70b-instruct"),
        ("dolphin-2-9-2-qwen2-72b", "dolphin-2.9.2-qwen2-72b"),
        ("cogito-v2-1-671b", "cogito-v2.1-671b"),
        # Sizes and dates are not versions.
        ("llama-2-7b", "llama-2-7b"),
        ("gemma-3-12b-it", "gemma-3-12b-it"),
        ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06"),
        ("command-r-plus-08-2024", "command-r-plus-08-2024"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash-preview-05-20"),
        ("o1-2024-12-17", "o1-2024-12-17"),
        ("gpt-4-0613", "gpt-4-0613"),
        ("tts-1-1106", "tts-1-1106"),
    ],
)
def test_dotted_versions(name, expected):
    assert dotted_versions(name) == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Meta-Llama-3_1-70B-Instruct", "meta-llama-3.1-70b-instruct"),
        ("qwen2p5-72b-instruct", "qwen2.5-72b-instruct"),
        ("claude-sonnet-4@20250514", "claude-sonnet-4-20250514"),
        ("gemma3:12b", "gemma3-12b"),
        ("claude-sonnet-4-thinking:8192", "claude-sonnet-4-thinking"),
        ("anthropic--claude-3-haiku", "anthropic-claude-3-haiku"),
    ],
)
def test_clean_name(name, expected):
    assert clean_name(name) == expected


@pytest.mark.parametrize(
    "model_key, family",
    [
        ("openai/gpt-4o-2024-08-06", "openai/gpt-4o"),
        ("openai/gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"),
        ("openai/o1-2024-12-17", "openai/o1"),
        ("openai/gpt-4-0613", "openai/gpt-4"),
        ("openai/gpt-3.5-turbo-0125", "openai/gpt-3.5-turbo"),
        ("anthropic/claude-sonnet-4-20250514", "anthropic/claude-sonnet-4"),
        ("anthropic/claude-opus-4-1-20250805", "anthropic/claude-opus-4-1"),
        ("anthropic/claude-3-5-sonnet-20241022", "anthropic/claude-3-5-sonnet"),
        ("mistral/mistral-large-2411", "mistral/mistral-large"),
        ("mistral/codestral-2501", "mistral/codestral"),
        ("cohere/command-r-plus-08-2024", "cohere/command-r-plus"),
        ("cohere/command-a-03-2025", "cohere/command-a"),
        ("deepseek/deepseek-r1-0528", "deepseek/deepseek-r1"),
        ("bytedance/doubao-seed-1.6-250615", "bytedance/doubao-seed-1.6"),
        ("google/gemini-2.5-flash-preview-05-20", "google/gemini-2.5-flash-preview"),
        # Numbered stable versions pin a model as a date does (Vertex writes them `@001`).
        ("google/gemini-2.0-flash-001", "google/gemini-2.0-flash"),
        ("mistral/mistral-small-2503-001", "mistral/mistral-small-2503"),
        # Not snapshots: aliases, undated names, numbers that are no dates.
        ("openai/gpt-4o", None),
        ("mistral/mistral-large-latest", None),
        ("anthropic/claude-sonnet-4", None),
        ("anthropic/claude-sonnet-4-5", None),
        ("meta/llama3-70b-8192", None),
        ("openai/text-embedding-3-small", None),
        ("google/text-embedding-0004", None),
    ],
)
def test_family_alias(model_key, family):
    assert family_alias(model_key) == family


def test_family_alias_only_to_a_known_family_or_its_latest_alias():
    known = {"openai/gpt-4o", "mistral/mistral-large-latest", "anthropic/claude-sonnet-4"}
    assert family_alias("openai/gpt-4o-2024-08-06", known) == "openai/gpt-4o"
    assert family_alias("anthropic/claude-sonnet-4-20250514", known) == "anthropic/claude-sonnet-4"
    assert family_alias("mistral/mistral-large-2411", known) == "mistral/mistral-large-latest"
    assert family_alias("cohere/command-r-plus-08-2024", known) is None
    assert family_alias("openai/gpt-4o", known) is None


def test_resolved_snapshot_keys_have_their_family_alias():
    """The keys identity produces for dated ids link to the keys it produces for the family ids."""
    pairs = [
        (("bedrock", "anthropic.claude-sonnet-4-20250514-v1:0"), ("openrouter", "anthropic/claude-sonnet-4")),
        (("vertex_ai-anthropic_models", "claude-sonnet-4@20250514"), ("anthropic", "claude-sonnet-4-0")),
        (("azure", "gpt-4o-2024-08-06"), ("openrouter", "openai/gpt-4o")),
        (("litellm_proxy", "mistral/mistral-large-2411"), ("mistral", "mistral-large-latest")),
        (("cohere", "command-r-plus-08-2024"), ("openrouter", "cohere/command-r-plus")),
    ]
    for snapshot, family in pairs:
        family_key = resolve(*family).model_key
        assert family_alias(resolve(*snapshot).model_key, {family_key}) == family_key


def test_every_method_is_one_of_four():
    assert set(METHODS) == {"exact", "rule", "alias_file", "unmatched"}
    assert resolve("replicate", "black-forest-labs/flux-schnell").method == ALIAS_FILE
