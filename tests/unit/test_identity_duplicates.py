"""The duplicate share: published keys that are the same model as another key with no link,
by a detector independent of the folding rules; under 2 % on the reference data."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from core.catalog.duplicate_figure import (
    CREATOR,
    FREE,
    POINTER,
    SERVING,
    WORD_ORDER,
    duplicate_figure,
    duplicate_pairs,
    main,
    merged_models,
    unfolded_models,
)
from core.catalog.identity_report import load_batches


def pairs(*keys: str) -> set[tuple[str, str, str]]:
    return {(p.a, p.b, p.kind) for p in duplicate_pairs(keys)}


def models(*rows: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model_key", "alias_of"])


def test_same_model_under_another_name_is_found_by_kind():
    assert pairs("xai/grok-4", "xai/grok-4-latest") == {("xai/grok-4", "xai/grok-4-latest", POINTER)}
    assert pairs("zhipuai/glm-5", "zhipuai/glm-5-tee") == {("zhipuai/glm-5", "zhipuai/glm-5-tee", SERVING)}
    assert pairs("stepfun/step-3.7-flash", "stepfun/step-3.7-flash-free") == {("stepfun/step-3.7-flash", "stepfun/step-3.7-flash-free", FREE)}
    assert pairs("abacus/dracarys-72b", "abacusai/dracarys-72b") == {("abacus/dracarys-72b", "abacusai/dracarys-72b", CREATOR)}
    assert pairs("codellama/codellama-34b-instruct-hf", "meta/codellama-34b-instruct") == {
        ("codellama/codellama-34b-instruct-hf", "meta/codellama-34b-instruct", CREATOR)}
    assert pairs("anthropic/claude-haiku-3", "anthropic/claude-3-haiku") == {("anthropic/claude-3-haiku", "anthropic/claude-haiku-3", WORD_ORDER)}
    assert len(pairs("meta/llama-3-8b", "meta/meta-llama-3-8b")) == 1  # the creator's name repeated


def test_names_that_only_match_without_their_creator_or_pick_other_versions_are_not_one_model():
    assert pairs("deepseek/deepseek-v3", "ideogram/ideogram-v3", "recraft/recraft-v3") == set()
    assert pairs("openrouter/auto", "kilo/auto", "microsoft/container", "openai/container") == set()  # no version: a role
    assert pairs("google/imagen-3.0-generate-001", "google/imagen-3.0-generate-002") == set()
    assert pairs("openai/text-moderation-latest", "openai/text-moderation-stable") == set()
    assert pairs("alibaba/qwen3-32b", "alibaba/qwen3-32b-fp8", "openai/gpt-4o", "openai/gpt-4o-2024-08-06") == set()


def test_linked_keys_do_not_count_and_the_share_is_of_all_published_keys():
    figure = duplicate_figure(models(
        ("google/gemini-2.0-flash", None), ("google/gemini-2.0-flash-001", "google/gemini-2.0-flash"),
        ("mistral/mistral-large-2411", "mistral/mistral-large"), ("mistral/mistral-large-2411-001", "mistral/mistral-large-2411"),
        ("mistral/mistral-large", None), ("xai/grok-4", None), ("xai/grok-4-latest", None), ("openai/gpt-4o", None),
    ))
    assert figure.duplicate_keys == {"xai/grok-4", "xai/grok-4-latest"}
    assert figure.keys == 8 and figure.share == pytest.approx(2 / 8)
    assert figure.by_kind == {POINTER: 1}


@functools.lru_cache(maxsize=1)
def _reference_models(reference: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    batches = list(load_batches(reference).values())
    return unfolded_models(batches), merged_models(batches)


@pytest.mark.reference
def test_published_keys_are_under_2_percent_duplicates_on_the_reference_data(reference):
    before, after = (duplicate_figure(m) for m in _reference_models(reference))
    print(f"\nduplicate share: before folding {before.share:.2%} of {before.keys}, after {after.share:.2%} of {after.keys}")
    assert before.share > 0.05  # the detector does see the issue's duplicates
    assert after.share < 0.02, [(p.a, p.b, p.kind) for p in after.pairs]


@pytest.mark.reference
def test_the_issues_examples_are_one_model_or_linked_on_the_reference_data(reference):
    _, after = _reference_models(reference)
    published = after.set_index("model_key")["alias_of"]
    for gone in ("xai/grok-4-latest", "anthropic/claude-opus-latest", "meta/llama-3.1-70b-instruct-maas", "zhipuai/glm-5-tee",
                 "zhipuai/glm-5.2-free", "anthropic/claude-opus-4-6-default", "fireworks-ai/models", "codellama/codellama-34b-instruct-hf"):
        assert gone not in published.index, gone
    assert published["anthropic/claude-sonnet-4-5-20250929"] == "anthropic/claude-sonnet-4-5"  # dated: distinct, linked
    assert published["google/gemini-2.0-flash-001"] == "google/gemini-2.0-flash"
    assert not {k for k in published.index if k.split("/")[0] in ("abacus", "codellama")}


@pytest.mark.reference
def test_the_command_prints_both_figures(reference, capsys):
    assert main([str(reference)]) == 0
    out = capsys.readouterr().out
    assert "before folding (baseline)" in out and "after folding (published)" in out and "%" in out
