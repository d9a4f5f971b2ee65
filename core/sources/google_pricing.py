"""Google's Gemini API pricing page (https://ai.google.dev/gemini-api/docs/pricing), rendered.

The page has one section per model: a heading ("Gemini 2.5 Pro"), the API id in a ``<code>``
element under it (``gemini-2.5-pro``), then tables (in "Standard" / "Batch" tabs) whose rows
are labelled "Input price", "Output price (including thinking tokens)", "Context caching
price" and whose columns are "Free Tier" and "Paid Tier, per 1M tokens in USD". The parser
keys on those words and units, never on CSS classes, so a restyled page (or one whose tables
became ARIA grids) reads the same.

What is taken, per model:

- the **paid tier** column, only when its header states "per 1M tokens" (Imagen's "per Image"
  tables are not token prices);
- "Input price" -> ``input`` (text / image / video) and ``audio_input`` ("(audio)");
  "Output price" -> ``output`` (text) and ``audio_output`` ("(audio)");
  "Context caching price" -> ``cached_input`` (text); in the "Batch" tab the input and output
  prices are ``batch_input`` / ``batch_output``;
- of prices tiered by prompt size ("$1.25, prompts <= 200k tokens" / "$2.50, prompts > 200k
  tokens"), the **<= 200k tier** (the catalog has one price per type).

What is ignored, on purpose: the free tier (rate-limited, not a price); context cache
**storage** ("$4.50 / 1,000,000 tokens per hour"); grounding and tool prices (per 1,000
prompts / requests); prices per image, second or minute; cached audio and batch caching (no
price type for them); tabs other than Standard and Batch (e.g. Priority, Flex); the > 200k
tiers. A model whose paid column says "Not available" everywhere (free tier only) is rejected,
not given a price of 0.

If no table with a paid "per 1M tokens" column, no "Input price" row or no model API id can
be found, the page's structure changed: ``parse`` raises ``PayloadError("page structure
changed: ...")`` and yields no rows.
"""

from __future__ import annotations

import re
from typing import Any

from core.parsing.html_tables import Table, dollars, per_million, read_page
from core.parsing.page_sections import read_sections
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, non_finite
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="google_pricing",
    env_name="GOOGLE_PRICING",
    kind="scraped",
    base_url="https://ai.google.dev",
    path="/gemini-api/docs/pricing",
    cadence="0 */6 * * *",
    timeout_s=30.0,
    docs_url="https://ai.google.dev/gemini-api/docs/pricing",
    priority=1,
    rendered=True,
)

STRUCTURE_CHANGED = "page structure changed:"

# A model API id as Google writes it in the <code> under a model heading.
_MODEL_ID = re.compile(r"^[a-z][a-z0-9.\-]*[a-z0-9]$")
# One price in a cell: from a "$" to the next "$" (cells list several prices, one per line).
_AMOUNT = re.compile(r"\$\s*[0-9]")
# Prompt-size tiers: "prompts <= 200k tokens" is the base tier; "> 200k" the long-context one.
_LOW_TIER = re.compile(r"(<=|≤|<(?!\s*=)|\bup to\b|\bunder\b)\s*[0-9]")
_HIGH_TIER = re.compile(r"(>=|≥|>(?!\s*=)|\bover\b|\babove\b)\s*[0-9]")
# A price per something other than tokens (grounding, images, time).
_OTHER_UNIT = re.compile(
    r"(\bper\b|/)\s*(?:[0-9][0-9,]*\s*)?(?:grounded\s+)?(image|images|second|seconds|minute|minutes|min|"
    r"request|requests|prompt|prompts|query|queries|page|pages|hour|day)\b",
    re.IGNORECASE,
)
_STORAGE = re.compile(r"\bstorage\b|\bper hour\b|/\s*hour\b", re.IGNORECASE)
_PARENS = re.compile(r"\(([^)]*)\)")
# Tab headings between a model heading and its table.
_BATCH_TAB = re.compile(r"\bbatch\b", re.IGNORECASE)
_STANDARD_TAB = re.compile(r"^(standard|paid|pricing)$", re.IGNORECASE)
_TAB_HEADING = re.compile(r"^(standard|batch|priority|flex|paid|free|pricing)( tier)?$", re.IGNORECASE)


def _fragments(cell: str) -> list[str]:
    """The cell cut into one piece per dollar amount ("$0.30 (text / image / video) $1.00 (audio)")."""
    starts = [m.start() for m in _AMOUNT.finditer(cell)]
    return [cell[a:b].strip() for a, b in zip(starts, starts[1:] + [len(cell)])]


def _modality(fragment: str) -> str | None:
    """"text" (also the default, with no qualifier), "audio", or None (image / video only)."""
    qualifiers = " ".join(q for q in _PARENS.findall(fragment) if not _STORAGE.search(q)).lower()
    if not qualifiers.strip() or not re.search(r"\b(text|audio|image|images|video)\b", qualifiers):
        return "text"
    if "text" in qualifiers:
        return "text"
    if "audio" in qualifiers:
        return "audio"
    return None


def _cell_prices(cell: str) -> tuple[dict[str, float], list[str]]:
    """A paid-tier cell's prices per modality (base tier only) and what was ambiguous."""
    found: dict[str, set[float]] = {}
    for fragment in _fragments(cell):
        if _STORAGE.search(fragment) or _OTHER_UNIT.search(_PARENS.sub(" ", fragment)):
            continue  # cache storage per hour; per prompt / image / time prices ("(text / image)" is a modality)
        if _HIGH_TIER.search(fragment) and not _LOW_TIER.search(fragment):
            continue  # the long-context tier (prompts > 200k tokens)
        modality = _modality(fragment)
        amount = dollars(fragment)
        if modality is None or amount is None:
            continue
        found.setdefault(modality, set()).add(amount)
    prices = {m: next(iter(v)) for m, v in found.items() if len(v) == 1}
    ambiguous = [m for m, v in found.items() if len(v) > 1]
    return prices, ambiguous


def _row_kind(label: str) -> str | None:
    text = label.lower()
    if "storage" in text:
        return None
    if "caching" in text or "cached" in text:
        return "caching"
    if re.match(r"^\s*input\b", text):
        return "input"
    if re.match(r"^\s*output\b", text):
        return "output"
    return None


def _paid_column(table: Table) -> tuple[int | None, bool]:
    """(index of the paid-tier column, whether it is priced per 1M tokens)."""
    for index, cell in enumerate(table.header):
        if "paid" in cell.lower():
            return index, per_million(cell)
    return None, False


# Which price type a (row kind, modality, tab) gives; anything not here is ignored.
_PRICE_TYPE = {
    ("input", "text", "standard"): "input",
    ("input", "audio", "standard"): "audio_input",
    ("output", "text", "standard"): "output",
    ("output", "audio", "standard"): "audio_output",
    ("caching", "text", "standard"): "cached_input",
    ("input", "text", "batch"): "batch_input",
    ("output", "text", "batch"): "batch_output",
}


def _model_ids(html: bytes) -> dict[str, tuple[str, str]]:
    """Heading text -> (model name, API id): the first id-like ``<code>`` under each heading."""
    ids: dict[str, tuple[str, str]] = {}
    for section in read_sections(html):
        if _TAB_HEADING.match(section.heading):
            continue  # a tab's name is never a model's
        for code in section.codes:
            if _MODEL_ID.match(code) and section.heading not in ids:
                ids[section.heading] = (section.heading, code)
                break
    return ids


def parse(payload: bytes) -> list[dict[str, Any]]:
    """One entry per model section: ``{"model_id", "name", "prices", "problem"}``."""
    page = read_page(payload)
    ids = _model_ids(payload)
    entries: dict[str, dict[str, Any]] = {}
    paid_per_million = input_rows = 0
    for table in page.tables:
        model_at = next((i for i in range(len(table.headings) - 1, -1, -1) if table.headings[i] in ids), None)
        if model_at is None:
            continue  # not under a model (tools, footnotes)
        name, model_id = ids[table.headings[model_at]]
        entry = entries.setdefault(model_id, {"model_id": model_id, "name": name, "prices": {}, "problem": None})
        tabs = " ".join(table.headings[model_at + 1 :])
        if _BATCH_TAB.search(tabs):
            tab = "batch"
        elif not tabs or all(_STANDARD_TAB.match(h) for h in table.headings[model_at + 1 :]):
            tab = "standard"
        else:
            continue  # Priority, Flex and other tabs: not the catalog's prices
        column, per_mtok = _paid_column(table)
        if column is None or not per_mtok:
            entry.setdefault("skipped", []).append(f"{tab} table not priced per 1M tokens")
            continue
        paid_per_million += 1
        kinds = {_row_kind(row[0]) for row in table.body if row}
        if "input" not in kinds:
            entry["problem"] = f"{STRUCTURE_CHANGED} no 'Input price' row in its {tab} table"
            continue
        input_rows += 1
        for row in table.body:
            kind = _row_kind(row[0]) if row else None
            if kind is None or len(row) <= column:
                continue
            prices, ambiguous = _cell_prices(row[column])
            for modality in ambiguous:
                entry["problem"] = f"ambiguous {modality} price in '{row[0]}' ({tab})"
            for modality, amount in prices.items():
                price_type = _PRICE_TYPE.get((kind, modality, tab))
                if price_type and price_type not in entry["prices"]:
                    entry["prices"][price_type] = amount
    if not ids:
        raise PayloadError(f"{STRUCTURE_CHANGED} no model API id (<code>) under any heading")
    if not paid_per_million:
        raise PayloadError(f"{STRUCTURE_CHANGED} no table under a model heading with a 'Paid Tier, per 1M tokens' column")
    if not input_rows:
        raise PayloadError(f"{STRUCTURE_CHANGED} no 'Input price' row in any per-1M-token pricing table")
    if not any(entry["prices"] and not entry["problem"] for entry in entries.values()):
        raise PayloadError(f"{STRUCTURE_CHANGED} no paid-tier dollar price per 1M tokens found")
    return list(entries.values())


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    batch = BatchBuilder(provenance)
    for entry in entries:
        batch.entries += 1
        model_id = entry["model_id"]
        if entry.get("problem"):
            batch.reject(model_id, entry["problem"])
            continue
        if not entry["prices"]:
            reason = "; ".join(entry.get("skipped") or []) or "free tier only: no paid price on the page"
            batch.reject(model_id, reason)
            continue
        if why := non_finite(entry["prices"]):  # a page amount too large for a float
            batch.reject(model_id, why)
            continue
        batch.offering(
            provider="google",
            provider_model_id=model_id,
            prices=dict(entry["prices"]),
            provider_name="Google",
            name=entry["name"],
        )
    return batch.build()
