"""Mistral's pricing page (https://mistral.ai/pricing, "API pricing"), rendered in the browser.

The page builds its price list with JavaScript: a plain HTTP GET has no price in it, so the
source is fetched through Chromium (``rendered=True``) and this parser reads the rendered HTML.
Each model is a card whose heading is the model's marketing name ("Mistral Medium 3",
"Codestral") followed by "Input (/M tokens) $0.4" and "Output (/M tokens) $2". The parser
reads the text under each heading (``page_sections``) and keys on the labels ("Input",
"Output"), the unit ("/M tokens", "per million tokens") and the dollar sign, never on CSS
classes or on the card markup (cards, lists or a table row per model all read the same).

Taken: ``input``, ``output`` (and ``audio_input`` / ``cached_input`` / ``batch_*`` if a card
labels them so, per million tokens). Ignored: prices in other units ("$1 / 1000 pages" for
OCR, "$0.002 / minute" for transcription; rejected with the reason), the free "Experiment"
plan, fine-tuning and storage fees.

Marketing name -> API id, the rule (see ``api_id``):

1. Names in ``NAME_TO_ID`` map to the id listed there: a name with a version number names a
   dated snapshot ("Mistral Medium 3" -> ``mistral-medium-2505``, "Mistral Small 3.2" ->
   ``mistral-small-2506``), and a few models have API names of their own ("Mistral NeMo" ->
   ``open-mistral-nemo``).
2. A name without a version, made only of a Mistral family word and tier / size words
   ("Mistral Large", "Codestral", "Magistral Medium", "Ministral 8B"), is the model the page
   currently sells under that name: Mistral's ``<name>-latest`` alias (``mistral-large-latest``,
   ``codestral-latest``, ``ministral-8b-latest``).
3. Anything else (a new version number, an unknown word) has no id we can vouch for: the card
   is rejected ("no API id known ..."), never guessed. Add the name to ``NAME_TO_ID``.

When no Input / Output price per million tokens can be found under any heading (the page
changed, or was not rendered), ``parse`` raises ``PayloadError("page structure changed: ...")``.
"""

from __future__ import annotations

import re
from typing import Any

from core.parsing.html_tables import dollars
from core.parsing.page_sections import read_sections
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, non_finite
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="mistral_pricing",
    env_name="MISTRAL_PRICING",
    kind="scraped",
    base_url="https://mistral.ai",
    path="/pricing",
    cadence="0 */6 * * *",
    timeout_s=30.0,
    docs_url="https://mistral.ai/pricing",
    priority=1,
    rendered=True,
)

STRUCTURE_CHANGED = "page structure changed:"

# Marketing names (lower case) whose API id the rule cannot derive: versioned names are dated
# snapshots (Mistral's model docs, "Models overview"), and models with an API name of their own.
NAME_TO_ID = {
    "mistral medium 3": "mistral-medium-2505",
    "mistral medium 3.1": "mistral-medium-2508",
    "mistral small 3.1": "mistral-small-2503",
    "mistral small 3.2": "mistral-small-2506",
    "mistral large 2.1": "mistral-large-2411",
    "mistral large 24.11": "mistral-large-2411",
    "magistral medium 1.1": "magistral-medium-2507",
    "magistral medium 1.2": "magistral-medium-2509",
    "magistral small 1.1": "magistral-small-2507",
    "magistral small 1.2": "magistral-small-2509",
    "codestral 25.08": "codestral-2508",
    "mistral nemo": "open-mistral-nemo",
    "mistral 7b": "open-mistral-7b",
    "mixtral 8x7b": "open-mixtral-8x7b",
    "mixtral 8x22b": "open-mixtral-8x22b",
    "mistral embed": "mistral-embed",
    "codestral embed": "codestral-embed",
}
# Rule 2: a family word, then only tier or size words (no version number).
_UNVERSIONED = re.compile(
    r"^(mistral|magistral|devstral|codestral|pixtral|ministral|voxtral)((?:\s+(?:large|medium|small|mini|tiny|saba|\d+b))*)$"
)
# Badges a card heading may carry after the name.
_BADGE = re.compile(r"\s+(new|beta|preview|updated)$", re.IGNORECASE)

_AMOUNT = r"\$\s*(?P<amount>[0-9][0-9.,]*)"
_UNIT = r"(?:/|per)\s*(?:1\s*)?m(?:illion)?\s*(?:tokens?|tok)\b"
_LABEL = r"\b(?:(?P<qualifier>audio|cached|cache|batch|image)\s+)?(?P<label>input|output)\b"
# "Input (/M tokens) $0.4" and "Input: $0.4 /M tokens" (label, unit and amount side by side).
_PRICES = (
    re.compile(_LABEL + r"\s*(?:\(\s*" + _UNIT + r"\s*\)|" + _UNIT + r")\s*:?\s*" + _AMOUNT, re.IGNORECASE),
    re.compile(_LABEL + r"\s*:?\s*" + _AMOUNT + r"\s*" + _UNIT, re.IGNORECASE),
)
_PRICE_TYPE = {
    (None, "input"): "input",
    (None, "output"): "output",
    ("audio", "input"): "audio_input",
    ("audio", "output"): "audio_output",
    ("cached", "input"): "cached_input",
    ("cache", "input"): "cached_input",
    ("batch", "input"): "batch_input",
    ("batch", "output"): "batch_output",
}


def api_id(name: str) -> str | None:
    """The API id of a model named ``name`` on the page (rule in the module docstring), or None."""
    key = re.sub(r"\s+", " ", _BADGE.sub("", name.strip())).lower()
    if key in NAME_TO_ID:
        return NAME_TO_ID[key]
    if _UNVERSIONED.match(key):
        return key.replace(" ", "-") + "-latest"
    return None


def _section_prices(text: str) -> tuple[dict[str, float], list[str]]:
    """Prices per 1M tokens in a section's text, and the price types stated more than once
    (several models' prices under one heading: which is whose cannot be told)."""
    found: dict[str, list[float]] = {}
    for pattern in _PRICES:
        for match in pattern.finditer(text):
            qualifier = (match.group("qualifier") or "").lower() or None
            price_type = _PRICE_TYPE.get((qualifier, match.group("label").lower()))
            amount = dollars("$" + match.group("amount"))
            if price_type and amount is not None:
                found.setdefault(price_type, []).append(amount)
    prices = {t: v[0] for t, v in found.items() if len(v) == 1}
    return prices, [t for t, v in found.items() if len(v) > 1]


def parse(payload: bytes) -> list[dict[str, Any]]:
    """One entry per heading with prices under it: ``{"name", "model_id", "prices", "problem"}``."""
    entries: list[dict[str, Any]] = []
    for section in read_sections(payload):
        if not section.heading:
            continue
        prices, ambiguous = _section_prices(section.text)
        if not prices and dollars(section.text) is None:
            continue  # a heading without prices (a category, the page title)
        entry = {"name": section.heading, "model_id": api_id(section.heading), "prices": prices, "problem": None}
        if ambiguous:
            entry["problem"] = f"{', '.join(sorted(ambiguous))} price stated more than once under one heading"
        elif not prices:
            entry["problem"] = "no input / output price per million tokens (priced in another unit)"
        entries.append(entry)
    priced = [e for e in entries if e["prices"] and not e["problem"]]
    if not priced:
        raise PayloadError(
            f"{STRUCTURE_CHANGED} no 'Input (/M tokens)' / 'Output (/M tokens)' price under any model heading"
            " (an unrendered page has none: the price list is built by JavaScript)"
        )
    if not any("output" in e["prices"] for e in priced):
        raise PayloadError(f"{STRUCTURE_CHANGED} no 'Output (/M tokens)' price under any model heading")
    return entries


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        batch.entries += 1
        model_id, name = entry["model_id"], entry["name"]
        if entry.get("problem"):
            batch.reject(model_id or name, entry["problem"])
            continue
        if model_id is None:
            batch.reject(name, f"no API id known for the page name {name!r}: add it to NAME_TO_ID")
            continue
        if why := non_finite(entry["prices"]):  # a page amount too large for a float
            batch.reject(model_id, why)
            continue
        batch.offering(
            provider="mistral",
            provider_model_id=model_id,
            prices=dict(entry["prices"]),
            provider_name="Mistral",
            name=name,
        )
    return batch.build()
