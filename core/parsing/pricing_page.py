"""Reading an official pricing page (rendered HTML) by meaning, shared by the page sources.

A *price table* is any table (``<table>`` or ARIA grid, see ``html_tables``) whose header
row names a model column and at least an input and an output price column, priced per 1M
tokens. Columns are recognised by their words, never by CSS classes:

- ``Model`` -> the model; ``Input`` / ``Base input tokens`` -> ``input``; ``Output`` -> ``output``;
- ``Cached input`` / ``Cache hits`` / ``Cache read`` -> ``cached_input``;
  ``Cache writes`` (5-minute writes) -> ``cache_write``; 1-hour cache writes have no price
  type in the catalog and are ignored;
- ``Batch input`` / ``Batch output`` -> ``batch_input`` / ``batch_output``;
- a long-context column (``> 200K tokens``) is ignored: the catalog keeps the base price.

Tiers are read from the headings above a table (and its header cells):

- ``Batch`` -> input/output become ``batch_input``/``batch_output`` (a batch "cached input"
  has no price type and is ignored);
- ``Priority``, ``Flex``, ``Scale tier``, long-context (``> 200K``, ``Long context``) and
  ``Fine-tuning`` tables are ignored: they are not the list price of the model;
- ``Image tokens`` / ``Audio tokens`` -> ``image_input``/``image_output`` and
  ``audio_input``/``audio_output``; any other image/audio heading without "tokens" is
  ambiguous (per image, per minute) and ignored;
- anything else is the standard tier.

Units: a table is per 1M tokens when its headings, header cells or price cells say so
("/ 1M tokens", "per 1M tokens", "/ MTok"), or else when the page states it ("Prices per
1M tokens") and the table itself states no other unit. A cell in another unit ("/ image",
"per 1K tokens") is never read as a per-1M price.

When no price table is left, or none of the standard tier, the page's structure has
changed: ``PayloadError("page structure changed: ...")`` says what was missing, and no row
is returned (the source then falls back to its cached data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from core.parsing.html_tables import Page, Table, dollars, per_million, read_page
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, non_finite

STRUCTURE_CHANGED = "page structure changed:"

STANDARD, BATCH, IMAGE, AUDIO = "standard", "batch", "image", "audio"

# Headings naming a tier that is not the model's list price.
_IGNORED_TIER = re.compile(r"\b(priority|flex|scale tier|fine[- ]?tun\w*|long[- ]context|regional|data residency)\b")
# A long-context tier: "> 200K tokens", "prompts over 200K", "above 128k".
_LONG_CONTEXT = re.compile(r"(>|≥|\bover\b|\babove\b|\bmore than\b)\s*\d+\s*k\b")
# Units other than per 1M tokens.
_OTHER_UNIT = re.compile(
    r"(?:/|\bper\b)\s*(?:1\s*k\b|1,000(?!,)|thousand|image|minute|min\b|second|sec\b|hour|"
    r"request|call|query|search|session|day|gb\b|character|page|video)"
)
# A strict per-1M statement, for the page's own note (html_tables.per_million also accepts
# "1M" and "token" anywhere in the text, which is too loose for a whole page).
_PAGE_PER_MILLION = re.compile(r"(?:/|\bper\b)\s*(?:1\s*m\b|1,000,000|one million|million)|\bmtok\b")


@dataclass(frozen=True)
class PriceTable:
    table: Table
    tier: str
    columns: dict[int, str]  # column index -> "model" or a price type
    section: str


def _lower(text: str) -> str:
    return text.lower().replace("\u00a0", " ")


def stated_unit(text: str) -> str | None:
    """``"mtok"`` when ``text`` states per 1M tokens, ``"other"`` for another unit, else None."""
    t = _lower(text)
    if not t:
        return None
    if per_million(t):
        return "mtok"
    if _OTHER_UNIT.search(t):
        return "other"
    return None


def tier_of(headings: list[str]) -> str | None:
    """The tier of a table under ``headings`` (outermost first); None: not a list price, ignore."""
    tier = STANDARD
    for heading in headings:
        h = _lower(heading)
        if _IGNORED_TIER.search(h) or _LONG_CONTEXT.search(h):
            return None
        if re.search(r"\bbatch", h):
            tier = BATCH
        for modality in (IMAGE, AUDIO):
            if re.search(rf"\b{modality}\b", h):
                if not re.search(r"\btokens?\b", h):
                    return None  # "Image generation": per image, not per token
                tier = modality
    return tier


def column_role(header: str, tier: str) -> str | None:
    """What a header cell names in a table of ``tier``: "model", a price type, or None."""
    h = _lower(header)
    if not h:
        return None
    if "training" in h:
        return "training"
    if _LONG_CONTEXT.search(h) or "long context" in h:
        return None  # the long-context tier's price: the catalog keeps the base price
    if re.search(r"\bmodels?\b", h):
        return "model"
    if "cach" in h:  # cached input, cache hits, cache writes, prompt caching
        if re.search(r"\b1\s*h(ou)?r?\b", h):
            return None  # 1-hour cache writes: no price type
        if re.search(r"writ|creat", h):
            return "cache_write" if tier == STANDARD else None
        if re.search(r"read|hit|refresh|cached input|cached", h):
            return "cached_input" if tier == STANDARD else None  # no batch/image cached type
        return None
    direction = "input" if re.search(r"\binput", h) else "output" if re.search(r"\boutput", h) else None
    if direction is None:
        return None
    if tier == BATCH or re.search(r"\bbatch", h):
        return f"batch_{direction}" if tier in (STANDARD, BATCH) else None
    if tier in (IMAGE, AUDIO):
        return f"{tier}_{direction}"
    return direction


def _has_price_pair(roles: set[str]) -> bool:
    return any({f"{p}input", f"{p}output"} <= roles for p in ("", "batch_", "image_", "audio_"))


def find_price_tables(page: Page) -> tuple[list[PriceTable], list[str]]:
    """The page's price tables, and why every other table was passed over."""
    found: list[PriceTable] = []
    passed: list[str] = []
    page_states_mtok = bool(_PAGE_PER_MILLION.search(_lower(page.text)))
    for number, table in enumerate(page.tables, 1):
        label = f"table {number} ({table.title or 'no heading'!r})"
        header = table.header
        tier = tier_of(table.headings)
        if tier is None:
            passed.append(f"{label}: tier ignored")
            continue
        columns = {i: role for i, cell in enumerate(header) if (role := column_role(cell, tier))}
        if "training" in columns.values():
            passed.append(f"{label}: fine-tuning table ignored")
            continue
        if "model" not in columns.values() and header and 0 not in columns:
            # An unlabelled first column holding names, not amounts, is the model column.
            if not any(dollars(row[0]) is not None for row in table.body if row):
                columns[0] = "model"
        roles = set(columns.values())
        if not _has_price_pair(roles):
            passed.append(f"{label}: no input and output price columns (header {header!r})")
            continue
        if "model" not in roles:
            passed.append(f"{label}: no model column (header {header!r})")
            continue
        stated = [stated_unit(text) for text in table.headings + header]
        cells = [stated_unit(row[i]) for row in table.body for i, r in columns.items() if r != "model" and i < len(row)]
        if "mtok" not in stated + cells and ("other" in stated or not page_states_mtok):
            passed.append(f"{label}: prices not stated per 1M tokens")
            continue
        # Keep only the model column that comes first.
        model_columns = [i for i, r in columns.items() if r == "model"]
        for extra in model_columns[1:]:
            del columns[extra]
        found.append(PriceTable(table, tier, columns, table.title))
    return found, passed


def _price(cell: str) -> tuple[float | None, str | None]:
    """(the amount, why it is not used)."""
    if dollars(cell) is None:
        return None, None  # "-", "—", "Not available": unknown, no row
    if stated_unit(cell) == "other":
        return None, f"price not per 1M tokens: {cell!r}"
    return dollars(cell), None


def read_entries(
    payload: bytes, source: str, model_id: Callable[[str], str | None], required_tier: str = STANDARD
) -> list[dict[str, Any]]:
    """Entries ``{"model", "name", "prices", "section", "tier", "problems"}``, one per table row.

    ``model_id`` turns a model cell's text into the provider's API id (None: not a model).
    A row whose cells do not line up with the header (spans) is kept as a problem, never read.
    """
    page = read_page(payload)
    tables, passed = find_price_tables(page)
    why = "; ".join(passed) if passed else "the page has no tables at all"
    if not tables:
        hint = " (is it the rendered page? a plain GET of a JavaScript page has no tables)" if not page.tables else ""
        raise PayloadError(
            f"{STRUCTURE_CHANGED} {source}: no table with model, input and output price columns per 1M tokens"
            f"{hint}: {why}"
        )
    if not any(t.tier == required_tier for t in tables):
        raise PayloadError(
            f"{STRUCTURE_CHANGED} {source}: no {required_tier} price table; found only "
            f"{sorted({t.tier for t in tables})}: {why}"
        )
    entries: list[dict[str, Any]] = []
    for price_table in tables:
        header = price_table.table.header
        model_index = next(i for i, r in price_table.columns.items() if r == "model")
        for row in price_table.table.body:
            has_amount = any(dollars(cell) is not None for cell in row)
            if len(row) != len(header):
                if has_amount:
                    entries.append(_problem(row, price_table, f"row does not line up with the header {header!r}"))
                continue  # a group row ("GPT-4.1 family") without prices
            prices: dict[str, float] = {}
            problems: list[str] = []
            for index, role in price_table.columns.items():
                if role == "model":
                    continue
                value, problem = _price(row[index])
                if problem:
                    problems.append(problem)
                elif value is not None:
                    prices[role] = value
            if not prices and not problems:
                continue
            name = row[model_index]
            entries.append(
                {
                    "model": model_id(name) if name else None,
                    "name": name,
                    "prices": prices,
                    "section": price_table.section,
                    "tier": price_table.tier,
                    "problems": problems,
                }
            )
    if not any(e["model"] and e["prices"] for e in entries):
        raise PayloadError(f"{STRUCTURE_CHANGED} {source}: price tables found but no model row with a price")
    return entries


def _problem(row: list[str], price_table: PriceTable, problem: str) -> dict[str, Any]:
    return {"model": None, "name": " | ".join(row), "prices": {}, "section": price_table.section,
            "tier": price_table.tier, "problems": [problem]}


_NOTE = re.compile(r"\(([^)]*)\)")


def display_name(entry: dict[str, Any]) -> str:
    """The page's name of the model without its notes: "Claude Opus 3 (deprecated)" -> "Claude Opus 3"."""
    return " ".join(_NOTE.sub(" ", entry.get("name") or "").split()) or entry["model"]


def normalise_entries(
    entries: list[dict[str, Any]],
    provenance: Provenance,
    provider: str,
    provider_name: str,
    name_of: Callable[[dict[str, Any]], str] = display_name,
) -> NormalisedBatch:
    """One offering per model id, its prices merged over the page's tables (standard, batch, ...).
    The same price stated twice with different amounts keeps the first and reports the other.
    A model the page marks "deprecated" is offered with ``deprecated=True``."""
    batch = BatchBuilder(provenance)
    models: dict[str, dict[str, Any]] = {}
    for entry in entries:
        batch.entries += 1
        for problem in entry.get("problems", ()):
            batch.reject(entry.get("model") or entry.get("name") or "?", problem)
        model = entry.get("model")
        if not model:
            if entry.get("prices"):
                batch.reject(entry.get("name") or "?", "price without a model")
            continue
        merged = models.setdefault(model, {"name": name_of(entry), "prices": {}, "deprecated": None})
        if re.search(r"\bdeprecated\b", (entry.get("name") or "").lower()):
            merged["deprecated"] = True
        for price_type, value in entry["prices"].items():
            known = merged["prices"].get(price_type)
            if known is None:
                merged["prices"][price_type] = value
            elif known != value:
                batch.reject(model, f"conflicting {price_type} on the page: {known} and {value} ({entry['section']!r})")
    for model, merged in models.items():
        if why := non_finite(merged["prices"]):  # a page amount too large for a float
            batch.reject(model, why)
            continue
        batch.offering(
            provider=provider,
            provider_model_id=model,
            prices=merged["prices"],
            provider_name=provider_name,
            name=merged["name"],
            deprecated=merged["deprecated"],
        )
    return batch.build()
