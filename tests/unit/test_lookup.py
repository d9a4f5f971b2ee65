"""api.lookup on a hand-written index: spellings, ambiguity, scope, filters."""

from __future__ import annotations

from api.lookup import LookupIndex, normalise


def model(key: str, name: str, offerings: int, alias_of: str | None = None) -> dict[str, object]:
    return {"model_key": key, "name": name, "creator": key.split("/")[0], "alias_of": alias_of, "context_window": 1000,
            "offerings_count": offerings, "badge": "aggregator"}


def alias(source: str, source_id: str, provider_id: str, key: str) -> dict[str, str]:
    return {"source": source, "source_id": source_id, "provider_id": provider_id, "model_key": key}


INDEX = LookupIndex.build(
    [
        model("meta/llama-3.1-70b-instruct", "Llama 3.1 70B Instruct", 5),
        model("together/llama-3.1-70b-instruct", "Llama 3.1 70B Instruct", 1),  # an unmatched copy
        model("openai/gpt-4o", "GPT-4o", 3),
        model("openai/gpt-4o-2024-08-06", "GPT-4o (2024-08-06)", 2, alias_of="openai/gpt-4o"),
    ],
    [
        alias("litellm", "gpt-4o", "azure", "openai/gpt-4o"),
        alias("litellm", "eu/gpt-4o-2024-08-06", "azure", "openai/gpt-4o-2024-08-06"),
        alias("openrouter", "meta-llama/llama-3.1-70b-instruct", "openrouter", "meta/llama-3.1-70b-instruct"),
        alias("lmarena", "gpt-4o-2024-05-13", "", "openai/gpt-4o-2024-05-13"),
    ],
    ["openai/gpt-4-0314"],
    [{"provider_id": "amazon-bedrock", "name": "Amazon Bedrock"}, {"provider_id": "azure", "name": "Azure"}],
)


def test_normalise_squeezes_separators_and_case():
    assert normalise(" Claude Sonnet 4.5 ") == normalise("claude-sonnet-4-5") == normalise("claude_sonnet:4.5") == "claudesonnet45"
    assert normalise("GPT-4o (2024-08-06)") == normalise("gpt-4o-2024-08-06")
    assert normalise("openai/GPT-4o") == "openai/gpt4o" and normalise("Command R+") == "commandr+"


def test_resolution_steps():
    assert INDEX.resolve("openai/gpt-4o").method == "key"
    assert INDEX.resolve("GPT-4O").method == "alias"
    assert (INDEX.resolve("gpt4o").model_key, INDEX.resolve("gpt4o").method) == ("openai/gpt-4o", "normalised")
    assert INDEX.resolve("gpt-4o-2024-08-06").model_key == "openai/gpt-4o-2024-08-06"  # the alias tail (eu/...)
    prefixed = INDEX.resolve("azure/eu/gpt-4o-2024-08-06")
    assert (prefixed.model_key, prefixed.method) == ("openai/gpt-4o-2024-08-06", "provider_prefix")
    assert INDEX.resolve("no-such/model") is None and INDEX.resolve("   ") is None


def test_ambiguous_names_pick_the_most_offerings_and_list_the_rest():
    found = INDEX.resolve("Llama 3.1 70B Instruct")
    assert (found.model_key, found.alternatives) == ("meta/llama-3.1-70b-instruct", ("together/llama-3.1-70b-instruct",))
    assert found.describe() == {"resolved_from": "Llama 3.1 70B Instruct", "model_key": "meta/llama-3.1-70b-instruct",
                                "resolution": "normalised", "alternatives": ["together/llama-3.1-70b-instruct"]}


def test_keys_outside_the_catalog_resolve_only_when_asked():
    assert INDEX.resolve("gpt-4o-2024-05-13") is None
    assert INDEX.resolve("gpt-4o-2024-05-13", catalog_only=False).model_key == "openai/gpt-4o-2024-05-13"
    assert INDEX.resolve("openai/gpt-4-0314", catalog_only=False).method == "key"
    # Search and suggestions show catalog models only.
    assert "openai/gpt-4o-2024-05-13" not in [i["model_key"] for i in INDEX.search("gpt-4o-2024-05-13", 10)]
    assert "openai/gpt-4o-2024-05-13" not in [s["model_key"] for s in INDEX.suggest("gpt-4o-2024-05-13")]


def test_filters_take_any_case_and_names():
    assert INDEX.provider("Amazon Bedrock") == INDEX.provider("AMAZON-BEDROCK") == "amazon-bedrock"
    assert INDEX.provider("nobody") == "nobody" and INDEX.provider(None) is None
    assert INDEX.creator("Meta") == "meta" and INDEX.creator("OpenAI") == "openai"


def test_suggestions_for_a_typo():
    assert [s["model_key"] for s in INDEX.suggest("openai/gtp-4o")][:1] == ["openai/gpt-4o"]
