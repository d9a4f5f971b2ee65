"""Artificial Analysis's public models page (https://artificialanalysis.ai/models), rendered in
the browser: the fallback for AA's benchmarks, speed and prices when no API key is set
(``SKIP_WHEN_KEY``: with ``ARTIFICIAL_ANALYSIS_API_KEY`` set, the data API is used instead).

The page builds its models table with JavaScript; a plain GET sees no figures. The rendered
table is read by meaning (``html_tables``), never by CSS class: the header row (it may sit
under a row of column groups) must name a model column and the Intelligence Index column;
further columns are recognised by their words:

- ``Creator`` / ``Model Creator`` / ``Organization`` (text, or a logo's ``alt`` text; a logo
  in the model cell is used when there is no creator column);
- ``Artificial Analysis Intelligence Index`` / ``Intelligence``, ``Coding Index``, ``Math Index``
  and single evaluations (``MMLU-Pro``, ``GPQA``, ``HLE``, ``LiveCodeBench``, ``SciCode``,
  ``MATH-500``, ``AIME``; shown as percentages, stored as fractions like the API's);
- ``Output Speed (tokens/s)`` / ``Median Tokens/s``; ``Latency (First Chunk)`` / ``TTFT``
  (seconds, or ms when the header or cell says so); ``First Answer Token``;
- ``Price (Blended, USD/1M Tokens)``, ``Input price``, ``Output price``.

Each row becomes a record in the shape of the API's legacy records (``name``, ``slug``,
``model_creator``, ``evaluations``, ``pricing``, ``median_*``), so that ``normalise`` is
``artificial_analysis.normalise_records``: the slug is the slugified display name, whose
bracketed mode (``GPT-5 (high)`` -> ``gpt-5-high``) ``split_variant`` takes as the variant.
``—`` / ``-`` / ``N/A`` cells are absent; a 0 speed is "not measured" and a 0 price unknown
(dropped by the shared code). A row that does not line up with the header is rejected with
its reason, never read.

When no such table is found, or it lacks the model or intelligence column, or no row names
its creator, ``PayloadError("page structure changed: ...")`` says what was missing and no row
is returned (the source then falls back to its cached data).

Attribution to Artificial Analysis is required by its terms wherever this data is served.
"""

from __future__ import annotations

import re
from typing import Any

from core.parsing.html_tables import Page, Table, TableReader, clean, dollars
from core.records import NormalisedBatch, PayloadError, Provenance
from core.sources import artificial_analysis as aa
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="artificial_analysis_page",
    env_name="ARTIFICIAL_ANALYSIS_PAGE",
    kind="aggregator",  # AA's data keeps its aggregator badge whatever the transport
    base_url="https://artificialanalysis.ai",
    path="/models",
    cadence="0 */6 * * *",
    timeout_s=45.0,
    docs_url="https://artificialanalysis.ai/models",
    priority=4,
    rendered=True,
)
# With this key set the data API (``artificial_analysis``) is used and this page is skipped.
SKIP_WHEN_KEY = "ARTIFICIAL_ANALYSIS_API_KEY"
ATTRIBUTION = aa.ATTRIBUTION
STRUCTURE_CHANGED = "page structure changed:"

# AA creator display names whose API slug is not the slugified name (from the API's data).
CREATOR_SLUGS = {
    "allen institute for ai": "ai2",
    "amazon": "aws",
    "bytedance seed": "bytedance_seed",
    "deep cogito": "deepcogito",
    "lg ai research": "lg",
    "liquid ai": "liquidai",
    "mbzuai institute of foundation models": "mbzuai",
    "microsoft azure": "azure",
    "trillion labs": "trillionlabs",
    "z ai": "zai",
}

# Header words -> (section of the record, key). First match wins: the order matters
# ("Output Speed" before "Output price", "MATH-500" before "Math Index").
_COLUMNS: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    (re.compile(r"\b(model\s+)?creator\b|\borgani[sz]ation\b|\blab\b"), ("creator", "")),
    (re.compile(r"\bcost\b|\bcontext\b|\bparameters?\b|\brelease"), ("ignored", "")),
    (re.compile(r"tokens?\s*/\s*s(ec)?\b|tokens? per second|\bspeed\b|\bt/s\b"),
     ("top", "median_output_tokens_per_second")),
    (re.compile(r"first answer"), ("top", "median_time_to_first_answer_token")),
    (re.compile(r"\blatency\b|first chunk|first token|\bttft\b"), ("top", "median_time_to_first_token_seconds")),
    (re.compile(r"\bblended\b"), ("pricing", "price_1m_blended_3_to_1")),
    (re.compile(r"\binput\b"), ("pricing", "price_1m_input_tokens")),
    (re.compile(r"\boutput\b"), ("pricing", "price_1m_output_tokens")),
    (re.compile(r"\bintelligence\b"), ("evaluations", "artificial_analysis_intelligence_index")),
    (re.compile(r"\bcoding\b"), ("evaluations", "artificial_analysis_coding_index")),
    (re.compile(r"\bmath[\s-]*500\b"), ("evaluations", "math_500")),
    (re.compile(r"\bmath\b"), ("evaluations", "artificial_analysis_math_index")),
    (re.compile(r"\bmmlu[\s-]*pro\b"), ("evaluations", "mmlu_pro")),
    (re.compile(r"\bgpqa\b"), ("evaluations", "gpqa")),
    (re.compile(r"\bhle\b|humanity'?s last exam"), ("evaluations", "hle")),
    (re.compile(r"\blivecodebench\b"), ("evaluations", "livecodebench")),
    (re.compile(r"\bscicode\b"), ("evaluations", "scicode")),
    (re.compile(r"\baime\s*'?(20)?25\b"), ("evaluations", "aime_25")),
    (re.compile(r"\baime\b"), ("evaluations", "aime")),
    (re.compile(r"\bmodels?\b"), ("model", "")),
]
_INTELLIGENCE = ("evaluations", "artificial_analysis_intelligence_index")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")
_MS = re.compile(r"\bms\b|millisecond")


class _AltReader(TableReader):
    """``html_tables``' reader that also keeps the ``alt`` text of images inside table cells
    (AA shows a model's creator as its logo), keyed by (table, row index, cell index)."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: dict[tuple[int, int, int], list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self._tables and self._row is not None and self._cell is not None and not self._skip:
            alt = clean(dict(attrs).get("alt") or "")
            if alt:
                key = (id(self._tables[-1]), len(self._tables[-1].rows), len(self._row))
                self.alts.setdefault(key, []).append(alt)
        super().handle_starttag(tag, attrs)


def _read(payload: bytes) -> tuple[Page, dict[tuple[int, int, int], list[str]]]:
    reader = _AltReader()
    reader.feed(payload.decode("utf-8", errors="replace"))
    reader.close()
    return reader.page, reader.alts


def column_role(header: str) -> tuple[str, str] | None:
    """What a header cell names: (section, key), ("model", ""), ("creator", ""), or None."""
    h = header.lower().replace("\u00a0", " ").strip()
    if not h:
        return None
    for pattern, role in _COLUMNS:
        if pattern.search(h):
            return None if role[0] == "ignored" else role
    return None


def _columns(row: list[str]) -> dict[int, tuple[str, str]]:
    columns: dict[int, tuple[str, str]] = {}
    for index, cell in enumerate(row):
        role = column_role(cell)
        if role and role not in columns.values():  # the first column of each meaning
            columns[index] = role
    return columns


def _value(cell: str, section: str, key: str, header: str) -> float | str | None:
    """The number a cell shows (None when absent: "—", "-", "N/A"); the cell's text when it
    shows something that is no number (the shared code then rejects the record, naming it)."""
    text = cell.replace("\u00a0", " ").strip()
    if not re.search(r"\d", text):
        return None  # "—", "-", "–", "N/A", "": not shown
    if section == "pricing":
        amount = dollars(text)
        if amount is None and re.fullmatch(r"\s*[\d.,]+\s*", text):
            amount = float(text.replace(",", ""))
        return amount if amount is not None else text
    numbers = _NUMBER.findall(text)
    if len(numbers) != 1:
        return text
    number = float(numbers[0].replace(",", ""))
    if section == "evaluations" and not aa.benchmark_unit(key) == "index" and ("%" in text or "%" in header):
        number = round(number / 100, 6)  # single evaluations: fractions, as the API sends them
    if key.startswith("median_time") and (_MS.search(text.lower()) or _MS.search(header.lower())):
        number = round(number / 1000, 6)
    return number


def _creator(name: str) -> dict[str, str]:
    name = re.sub(r"\s+logo$", "", name.strip(), flags=re.IGNORECASE)
    return {"slug": CREATOR_SLUGS.get(name.lower(), aa.slugify(name)), "name": name}


def _model_table(page: Page) -> tuple[list[tuple[Table, int, dict[int, tuple[str, str]]]], list[str]]:
    """The tables with a model and an intelligence column: (table, header row index, columns),
    and why every other table was passed over."""
    found, passed = [], []
    for number, table in enumerate(page.tables, 1):
        label = f"table {number} ({table.title or 'no heading'!r})"
        best: tuple[int, dict[int, tuple[str, str]]] | None = None
        for index, row in enumerate(table.rows[:3]):  # the header may sit under a row of groups
            columns = _columns(row)
            if ("model", "") in columns.values() and _INTELLIGENCE in columns.values():
                best = (index, columns)
                break
        if best is None:
            # Report the likeliest header row: the one with the most recognised columns.
            header = max(table.rows[:3], key=lambda row: len(_columns(row)))
            roles = set(_columns(header).values())
            missing = [what for what, role in (("model", ("model", "")), ("intelligence index", _INTELLIGENCE))
                       if role not in roles]
            passed.append(f"{label}: no {' and no '.join(missing)} column (header {header!r})")
            continue
        found.append((table, best[0], best[1]))
    return found, passed


def parse(payload: bytes) -> list[dict[str, Any]]:
    page, alts = _read(payload)
    tables, passed = _model_table(page)
    if not tables:
        why = "; ".join(passed) if passed else "the page has no tables at all"
        hint = " (is it the rendered page? a plain GET of the JavaScript page has no table)" if not page.tables else ""
        raise PayloadError(
            f"{STRUCTURE_CHANGED} {SPEC.name}: no table with model and intelligence index columns{hint}: {why}"
        )
    records: list[dict[str, Any]] = []
    for table, header_index, columns in tables:
        header = table.rows[header_index]
        model_index = next(i for i, r in columns.items() if r == ("model", ""))
        creator_index = next((i for i, r in columns.items() if r == ("creator", "")), None)
        for row_index in range(header_index + 1, len(table.rows)):
            row = table.rows[row_index]
            if len(row) != len(header):
                if any(_NUMBER.search(cell) for cell in row):
                    records.append({"id": " | ".join(row)[:80],
                                    "_problem": f"row does not line up with the header {header!r}"})
                continue  # a group row without figures
            name = row[model_index]
            if not name:
                continue
            creator = None
            if creator_index is not None:
                creator = row[creator_index] or next(iter(alts.get((id(table), row_index, creator_index), [])), None)
            creator = creator or next(iter(alts.get((id(table), row_index, model_index), [])), None)
            record: dict[str, Any] = {"name": name, "slug": aa.slugify(name), "evaluations": {}, "pricing": {}}
            if creator:
                record["model_creator"] = _creator(creator)
            for index, (section, key) in columns.items():
                if section in ("model", "creator"):
                    continue
                value = _value(row[index], section, key, header[index])
                if value is None:
                    continue
                if section == "top":
                    record[key] = value
                else:
                    record[section][key] = value
            if not (record["evaluations"] or record["pricing"] or any(k.startswith("median_") for k in record)):
                continue  # a group row ("Frontier models") or a model without any figure: nothing to read
            records.append(record)
    if not any("model_creator" in r for r in records):
        if any("_problem" not in r for r in records):
            raise PayloadError(
                f"{STRUCTURE_CHANGED} {SPEC.name}: model rows found but none names its creator "
                "(no creator column, no creator logo)"
            )
        raise PayloadError(f"{STRUCTURE_CHANGED} {SPEC.name}: model table found but no model row")
    return records


def normalise(entries: list[dict[str, Any]], provenance: Provenance) -> NormalisedBatch:
    return aa.normalise_records(entries, provenance)
