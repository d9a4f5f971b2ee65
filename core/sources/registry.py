"""The sources the catalog graph fetches."""

from __future__ import annotations

from core.sources import (
    anthropic,
    anthropic_pricing,
    artificial_analysis,
    artificial_analysis_language,
    artificial_analysis_page,
    cohere,
    google,
    google_pricing,
    huggingface,
    litellm,
    lmarena,
    lmarena_history,
    mistral,
    mistral_pricing,
    model_defaults,
    models_dev,
    openai,
    openai_pricing,
    openrouter,
    openrouter_endpoints,
    replicate,
)
from core.sources.spec import SourceModule

# Public aggregators: prices for thousands of offerings.
AGGREGATOR_SOURCES: tuple[SourceModule, ...] = (openrouter, models_dev, litellm)  # type: ignore[assignment]
# First-party provider APIs (keyed): what exists, limits, deprecations; badge `api`.
API_SOURCES: tuple[SourceModule, ...] = (openai, anthropic, google, mistral, cohere, replicate, huggingface)  # type: ignore[assignment]
# Everything fetched over HTTP with fallback; model_defaults (config) is read from the repo.
# Benchmarks and speed.
# Artificial Analysis: its data API with a key, its public models page (Chromium) without one.
BENCHMARK_SOURCES: tuple[SourceModule, ...] = (
    artificial_analysis, artificial_analysis_language, artificial_analysis_page, lmarena, lmarena_history,
)  # type: ignore[assignment]
# Official pricing pages, rendered in Chromium; badge `scraped`.
PRICING_PAGES: tuple[SourceModule, ...] = (openai_pricing, anthropic_pricing, google_pricing, mistral_pricing)  # type: ignore[assignment]
HTTP_SOURCES: tuple[SourceModule, ...] = AGGREGATOR_SOURCES + API_SOURCES + BENCHMARK_SOURCES + PRICING_PAGES
# Every source whose records the merge takes: the above, the fan-out over OpenRouter's
# models (fetched by its own asset) and the last-resort config file.
ALL_SOURCES: tuple[SourceModule, ...] = HTTP_SOURCES + (openrouter_endpoints, model_defaults)  # type: ignore[operator]


def source_names() -> list[str]:
    """Every source the catalog fetches, in the registry's order."""
    return [m.SPEC.name for m in ALL_SOURCES]


def key_variables() -> dict[str, tuple[str, ...]]:
    """Source name -> the environment variables that may hold its key."""
    return {m.SPEC.name: m.SPEC.key_env for m in HTTP_SOURCES if m.SPEC.key_env}
