"""API keys: read from the environment through ``dagster.EnvVar`` at run time, one field
per keyed source. Never logged, never stored: fetches put them in request headers only."""

from __future__ import annotations

from typing import Optional

import dagster as dg

from core.settings import settings


class ApiKeysResource(dg.ConfigurableResource):
    """Keys of the provider APIs (field = source name); a source whose key is unset is skipped."""

    openai: Optional[str] = None
    anthropic: Optional[str] = None
    google: Optional[str] = None
    mistral: Optional[str] = None
    cohere: Optional[str] = None
    replicate: Optional[str] = None
    huggingface: Optional[str] = None
    artificial_analysis: Optional[str] = None
    artificial_analysis_language: Optional[str] = None  # the same key, for AA's newer paged API

    def key_for(self, source: str) -> str | None:
        return getattr(self, source, None) or None


def keys_from_environment(key_envs: dict[str, tuple[str, ...]]) -> ApiKeysResource:
    """Each source's key as an EnvVar: the first of its variables that is set (none: no key)."""
    chosen: dict[str, dg.EnvVar] = {}
    for source, names in key_envs.items():
        for name in names:
            if settings().raw(name):
                chosen[source] = dg.EnvVar(name)
                break
    return ApiKeysResource(**chosen)  # type: ignore[arg-type]
