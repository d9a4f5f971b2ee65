"""OpenAI's official API pricing page (https://openai.com/api/pricing/), rendered in the browser.

The page lists, under headings per model family, tables ``Model | Input | Cached input |
Output`` in USD per 1M tokens ("Prices per 1M tokens"), a separate Batch section (its
``Input``/``Output`` become ``batch_input``/``batch_output``), Flex and Priority tiers
(ignored: not the list price), fine-tuning tables (ignored: prices of fine-tuned models) and
per-image / per-minute items (ignored: not per token). How tables, tiers and units are read
is in ``pricing_page``.

Model cells hold the API id (``gpt-4o``, sometimes followed by its snapshot
``gpt-4o-2024-08-06``): the first id is taken. A display name (``GPT-4o mini``) becomes
an id by lower-casing it and joining its words with dashes (``gpt-4o-mini``).
"""

from __future__ import annotations

import re
from typing import Any

from core.parsing.pricing_page import normalise_entries, read_entries
from core.records import NormalisedBatch, Provenance
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="openai_pricing",
    env_name="OPENAI_PRICING",
    kind="scraped",
    base_url="https://openai.com",
    path="/api/pricing/",
    cadence="0 */6 * * *",
    timeout_s=30.0,
    docs_url="https://openai.com/api/pricing/",
    priority=1,
    rendered=True,
)

_PARENTHESES = re.compile(r"\([^)]*\)")
_API_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


def model_id(cell: str) -> str | None:
    """``gpt-4o gpt-4o-2024-08-06`` -> ``gpt-4o``; ``GPT-4o mini`` -> ``gpt-4o-mini``; None when
    the cell is no model name (no letter, or characters an id never has)."""
    text = _PARENTHESES.sub(" ", cell).strip()
    if not text:
        return None
    if text == text.lower():  # API ids: the first one names the model
        candidate = text.split()[0]
    else:  # a display name: its words joined with dashes
        candidate = "-".join(text.lower().split())
    if not _API_ID.match(candidate) or not re.search(r"[a-z]", candidate):
        return None
    return candidate


def parse(payload: bytes) -> list[dict[str, Any]]:
    return read_entries(payload, SPEC.name, model_id)


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    # The model cell may also name the snapshot the alias points to: the offering's name is the id.
    return normalise_entries(entries, provenance, provider="openai", provider_name="OpenAI", name_of=lambda e: e["model"])
