"""The sources the catalog graph fetches, in merge order of their priority."""

from __future__ import annotations

from assets.sources import litellm, models_dev, openrouter
from assets.sources.spec import SourceModule

# Fetched over HTTP with fallback; model_defaults (config) is read from the repo.
HTTP_SOURCES: tuple[SourceModule, ...] = (openrouter, models_dev, litellm)  # type: ignore[assignment]
