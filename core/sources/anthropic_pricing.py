"""Anthropic's official pricing page (https://www.anthropic.com/pricing), rendered in the browser.

The page builds its tables with JavaScript: per model, ``Input``, ``Output``, prompt caching
``Cache writes`` / ``Cache hits`` and the Batch API prices (50% of the standard ones), all
in ``$ / MTok``. 5-minute cache writes become ``cache_write``, cache hits ``cached_input``;
1-hour cache writes, long-context (``> 200K tokens``) prices and per-search / per-hour
tools are ignored. How tables, tiers and units are read is in ``pricing_page``.

The page names models ("Claude Sonnet 4", "Claude Opus 4.1", "Claude Haiku 3.5"). Their API
ids follow one rule: lower case, words and the version's dot become dashes, and

- from Claude 4 the tier comes first and a bare major version gets ``-0``, Anthropic's own
  alias: "Claude Opus 4.1" -> ``claude-opus-4-1``, "Claude Sonnet 4" -> ``claude-sonnet-4-0``;
- before Claude 4 the version comes first: "Claude Haiku 3.5" -> ``claude-3-5-haiku``,
  "Claude Sonnet 3.7" -> ``claude-3-7-sonnet``, "Claude Opus 3" -> ``claude-3-opus``.

A name outside that pattern is lower-cased with spaces and dots as dashes (so the identity
layer still sees it, and reports it if it cannot place it).
"""

from __future__ import annotations

import re
from typing import Any

from core.parsing.pricing_page import normalise_entries, read_entries
from core.records import NormalisedBatch, Provenance
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="anthropic_pricing",
    env_name="ANTHROPIC_PRICING",
    kind="scraped",
    base_url="https://www.anthropic.com",
    path="/pricing",
    cadence="0 */6 * * *",
    timeout_s=30.0,
    docs_url="https://www.anthropic.com/pricing",
    priority=1,
    rendered=True,
)

_PARENTHESES = re.compile(r"\([^)]*\)")
# "Claude Sonnet 4.5" (tier first) or "Claude 3.5 Haiku" (version first).
_TIER_FIRST = re.compile(r"^claude\s+(opus|sonnet|haiku)\s+(\d+)(?:\.(\d+))?$")
_VERSION_FIRST = re.compile(r"^claude\s+(\d+)(?:\.(\d+))?\s+(opus|sonnet|haiku)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


def model_id(name: str) -> str | None:
    """The API id of a model named on the page (see the module's docstring); None: no name."""
    text = " ".join(_PARENTHESES.sub(" ", name).lower().replace("\u00a0", " ").split())
    if not text:
        return None
    match = _TIER_FIRST.match(text)
    if match:
        tier, major, minor = match.groups()
    else:
        match = _VERSION_FIRST.match(text)
        if match:
            major, minor, tier = match.groups()
    if match:
        if int(major) >= 4:
            return f"claude-{tier}-{major}-{minor or '0'}"
        return f"claude-{major}-{minor}-{tier}" if minor else f"claude-{major}-{tier}"
    slug = re.sub(r"[\s.]+", "-", text)
    return slug if _SLUG.match(slug) and re.search(r"[a-z]", slug) else None


def parse(payload: bytes) -> list[dict[str, Any]]:
    return read_entries(payload, SPEC.name, model_id)


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    return normalise_entries(entries, provenance, provider="anthropic", provider_name="Anthropic")
