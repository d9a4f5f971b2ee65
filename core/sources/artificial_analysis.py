"""Artificial Analysis ``GET /api/v2/data/llms/models`` (``x-api-key`` from
``ARTIFICIAL_ANALYSIS_API_KEY``): benchmark scores, measured speed and latency, and prices
of the models AA evaluates, one record per model *and mode* (``gpt-oss-20b-low``,
``claude-4-sonnet-thinking``).

The endpoint answers in one page, ``{"status": 200, "prompt_options": {...}, "data": [...]}``;
the spec is ``paged`` anyway (``next_url`` is always None) so the payload is archived in the
same ``{"pages": [...]}`` form as the newer paged ``/api/v2/language/models``
(``artificial_analysis_language``), whose records carry the same identifiers and are
normalised by ``normalise_records`` here.

Attribution to Artificial Analysis is required by its terms wherever this data is served.

What each record yields (``normalise_records``):

- identity: the creator is ``model_creator.slug``; the slug's trailing mode
  (``-low``, ``-reasoning``, ``-non-reasoning-low-effort``...) is split off as the variant.
  AA's slugs write version numbers with dashes (``gpt-5-4-mini``, ``qwen3-5-0-8b``), which
  is ambiguous without the display name (``Qwen3.5 0.8B``): the name's decimal numbers are
  put back before the identity layer resolves the id, with AA's creator read as the
  namespace (``nvidia/llama-nemotron-super-49b-v1.5``). Rows keep AA's own slug as their id.
- benchmarks: every non-null ``evaluations`` value, per variant;
- performance: median output speed and (answer) time to first token, a 0 being "not measured";
- prices: input, output (and cache hit / write in the newer API), one offering per model
  (its variant-less record, else its first variant), provider = the creator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Iterable

from core.identity import Identity, IdentityRules, default_rules
from core.parsing.json_payload import decode_json_object
from core.parsing.paging import listing
from core.records import BatchBuilder, NormalisedBatch, PayloadError, Provenance, to_number
from core.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="artificial_analysis",
    env_name="ARTIFICIAL_ANALYSIS",
    kind="aggregator",
    base_url="https://artificialanalysis.ai",
    path="/api/v2/data/llms/models",
    cadence="0 */6 * * *",  # the free tier allows 1,000 requests a day; scores change slowly
    timeout_s=30.0,
    docs_url="https://artificialanalysis.ai/documentation",
    priority=4,
    key_env=("ARTIFICIAL_ANALYSIS_API_KEY",),
    paged=True,
)
ATTRIBUTION = "Benchmarks, speed and prices: Artificial Analysis (https://artificialanalysis.ai)"

# The provider name under which AA ids are resolved: not a creator, so that AA's creator
# slug, given as the id's namespace, is what places the model.
RESOLVER = "artificial_analysis"

# Speed and latency, legacy top-level key or newer ``performance`` key -> (metric, unit).
PERFORMANCE_KEYS = {
    "median_output_tokens_per_second": ("throughput", "tokens_per_s"),
    "median_time_to_first_token_seconds": ("time_to_first_token", "s"),
    "median_time_to_first_answer_token": ("time_to_first_answer_token", "s"),  # legacy name
    "median_time_to_first_answer_token_seconds": ("time_to_first_answer_token", "s"),  # newer name
}
# AA pricing key -> our price type (USD per 1M tokens already).
PRICE_KEYS = {
    "price_1m_input_tokens": "input",
    "price_1m_output_tokens": "output",
    "price_1m_cache_hit_tokens": "cached_input",
    "price_1m_cache_write_tokens": "cache_write",
}

# A mode AA appends to a slug: reasoning effort, thinking on or off. Longest first; a date
# may follow (``deepseek-v3-2-reasoning-0925``, ``gemini-2-5-flash-reasoning-04-2025``).
_SLUG_VARIANT = re.compile(
    r"-(non-reasoning-(?:low|medium|high)-effort|reasoning-(?:minimal|low|medium|high)|non-reasoning"
    r"|reasoning|thinking|adaptive|minimal|xhigh|low|medium|high)"
    r"(?P<date>-\d{4}|-\d{2}-\d{4})?$"
)
# Words of a mode in a display name's brackets: ``(high)``, ``(Non-reasoning, Low Effort)``,
# ``(Adaptive Reasoning, Max Effort)``. ``(Sep '25)``, ``(Preview)``, ``(Vision)`` are not modes.
_MODE_WORDS = frozenset(
    {"non", "reasoning", "thinking", "adaptive", "minimal", "low", "medium", "high", "xhigh", "max", "effort"}
)
_BRACKETS = re.compile(r"\(([^()]*)\)")
_WORDS = re.compile(r"[a-z]+")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")


PRICE_PROVIDER = "artificial_analysis"


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key}


def first_url(url: str) -> str:
    return url


def next_url(document: dict[str, Any], current_url: str) -> str | None:
    return None  # one page: the whole list


def parse(payload: bytes) -> list[Any]:
    return records(payload, SPEC.name)


def normalise(entries: list[Any], provenance: Provenance) -> NormalisedBatch:
    return normalise_records(entries, provenance)


# -- shared by both AA endpoints ------------------------------------------------------------


def records(payload: bytes, source: str) -> list[Any]:
    """The ``data`` records of every archived page; a page whose envelope reports an error
    status (AA's envelope carries one) makes the payload unusable."""
    document = decode_json_object(payload, source)
    for number, page in enumerate(document.get("pages") or [], 1):
        status = page.get("status") if isinstance(page, dict) else None
        if status is not None and status != 200:
            raise PayloadError(f"{source}: page {number} reports status {status!r}")
    return listing(payload, source, "data")


def mode_label(name: str) -> str:
    """The mode a display name states in brackets, as a variant (``GPT-5 (minimal)`` ->
    ``minimal``; ``Claude Opus 4.6 (Non-reasoning, High Effort)`` -> ``non-reasoning-high-effort``);
    ``""`` when it states none."""
    label = ""
    for inside in _BRACKETS.findall(name or ""):
        words = _WORDS.findall(inside.lower())
        if words and set(words) <= _MODE_WORDS:
            label = "-".join(words)
    return label


def split_variant(slug: str, name: str = "") -> tuple[str, str]:
    """(the slug without its mode, the mode): ``gpt-oss-20b-low`` -> (``gpt-oss-20b``, ``low``).

    A trailing mode word is only taken as a mode when the display name states a mode in
    brackets (``gpt-oss-20B (low)``, ``Claude 4 Sonnet (Reasoning)``): ``sonar-reasoning``
    (Sonar Reasoning), ``kimi-k2-thinking`` (Kimi K2 Thinking) and ``devstral-medium``
    (Devstral Medium) are model names. A slug without a mode takes the one its name states
    (``gpt-oss-20b`` is ``gpt-oss-20B (high)``: variant ``high``)."""
    stated = mode_label(name)
    match = _SLUG_VARIANT.search(slug)
    if match and stated:
        return slug[: match.start()] + (match.group("date") or ""), match.group(1)
    return slug, stated


def restore_decimals(slug: str, name: str) -> str:
    """The slug with the decimal points its display name shows: AA writes ``3.5`` as ``3-5``
    (or ``35``), which alone cannot tell ``qwen3-5-0-8b`` (Qwen3.5 0.8B) from Qwen3 5.0 8B.
    Each ``a.b`` of the name, in order, replaces the first ``a-b`` (else ``ab``) of the slug
    that follows the previous one, bounded by non-digits."""
    result = slug.lower()
    start = 0
    for major, minor in _DECIMAL.findall(name or ""):
        for written in (f"{major}-{minor}", f"{major}{minor}"):
            found = re.compile(rf"(?<![\d.]){re.escape(written)}(?!\d)").search(result, start)
            if found:
                dotted = f"{major}.{minor}"
                result = result[: found.start()] + dotted + result[found.end() :]
                start = found.start() + len(dotted)
                break
    return result


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class _AaIdentity:
    """The identity layer as BatchBuilder sees it for AA rows: each AA id (creator slug, slug)
    resolves as ``<creator>/<slug without mode, decimals restored>`` under a neutral provider
    name, so that AA's creator is the namespace; the row's provider stays the creator."""

    rules: IdentityRules
    prepared: dict[tuple[str, str], str]

    def resolve(self, provider: str, model_id: str) -> Identity:
        prepared = self.prepared.get((provider, model_id))
        if prepared is None:
            return self.rules.resolve(provider, model_id)
        identity = self.rules.resolve(RESOLVER, f"{provider}/{prepared}")
        return replace(identity, provider_id=self.rules.provider_id(provider))


@dataclass
class AaRecord:
    """One AA record, checked: everything normalise needs, or the reason it cannot be used."""

    slug: str
    creator: str
    creator_name: str | None
    name: str
    base: str
    variant: str
    scores: dict[str, float]
    performance: dict[str, float]
    prices: dict[str, float | None]
    release_date: date | None


def _number(field: str, value: Any) -> float | None:
    try:
        return to_number(value)
    except (TypeError, ValueError):
        raise ValueError(f"unparseable {field}: {value!r}") from None


def _object(record: dict[str, Any], field: str) -> dict[str, Any]:
    value = record.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"unparseable {field}: not an object")
    return value


def read_record(entry: Any) -> AaRecord:
    """The record's fields, checked; ValueError says why the record cannot be used."""
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    if isinstance(entry.get("_problem"), str):  # a page row its parser could not read (artificial_analysis_page)
        raise ValueError(entry["_problem"])
    slug = entry.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise ValueError("no model slug")
    creator_info = entry.get("model_creator")
    creator_info = creator_info if isinstance(creator_info, dict) else {}
    # The legacy API names the creator by slug; the newer one may give only its name.
    creator = creator_info.get("slug")
    if not isinstance(creator, str) or not creator.strip():
        creator = slugify(creator_info["name"]) if isinstance(creator_info.get("name"), str) else ""
    if not creator.strip():
        raise ValueError("no model creator")
    name = entry.get("name") if isinstance(entry.get("name"), str) else slug
    base, variant = split_variant(slug.strip(), name)

    scores = {}
    for key, value in _object(entry, "evaluations").items():
        number = _number(f"evaluations.{key}", value)
        if number is not None:
            scores[str(key)] = number

    performance = {}
    measured = {**{k: entry.get(k) for k in PERFORMANCE_KEYS if k in entry}, **_object(entry, "performance")}
    for key, value in measured.items():
        if key in PERFORMANCE_KEYS:
            number = _number(key, value)
            if number is not None:
                performance[key] = number

    pricing = _object(entry, "pricing")
    # AA writes 0 where it knows no price (models nobody serves: `grok-1`, `llama-65b`, most
    # open-weights models): a 0 price is unknown (NULL: no price row), never "free". The
    # blended 3:1 price is derived from input and output: not stored.
    prices = {ours: _number(f"pricing.{key}", pricing.get(key)) or None for key, ours in PRICE_KEYS.items()}

    released = entry.get("release_date")
    try:
        release_date = date.fromisoformat(str(released)[:10]) if released else None
    except ValueError:
        release_date = None
    return AaRecord(
        slug=slug.strip(), creator=creator.strip(), name=name,
        creator_name=creator_info["name"] if isinstance(creator_info.get("name"), str) else None,
        base=base, variant=variant, scores=scores, performance=performance, prices=prices, release_date=release_date,
    )


def benchmark_unit(key: str) -> str:
    """AA's composite indices are 0-100; every single evaluation is a fraction 0-1."""
    return "index" if key.startswith("artificial_analysis_") else "fraction"


def _identity_layer(checked: list[AaRecord], rules: IdentityRules) -> _AaIdentity:
    prepared: dict[tuple[str, str], str] = {}
    for r in checked:
        prepared[(r.creator, r.slug)] = prepared.setdefault((r.creator, r.base), restore_decimals(r.base, r.name))
    return _AaIdentity(rules, prepared)


def record_identities(entries: Iterable[Any], rules: IdentityRules | None = None) -> dict[str, Identity]:
    """AA slug -> the identity its record resolves to (records that cannot be read are left
    out): what the unmatched and in-catalog shares are measured on."""
    checked = []
    for entry in entries:
        try:
            checked.append(read_record(entry))
        except ValueError:
            continue
    identity = _identity_layer(checked, rules or default_rules())
    return {r.slug: identity.resolve(r.creator, r.slug) for r in checked}


def normalise_records(entries: Iterable[Any], provenance: Provenance, rules: IdentityRules | None = None) -> NormalisedBatch:
    """Either AA endpoint's records as benchmarks, performance and price offerings."""
    rules = rules or default_rules()
    checked: list[AaRecord] = []
    rejects: list[tuple[str, str]] = []
    count = 0
    for entry in entries:
        count += 1
        try:
            checked.append(read_record(entry))
        except ValueError as exc:
            label = entry.get("slug") or entry.get("id") if isinstance(entry, dict) else None
            rejects.append((str(label or repr(entry))[:80], str(exc)))

    identity = _identity_layer(checked, rules)
    batch = BatchBuilder(provenance, rules=identity)  # type: ignore[arg-type]
    batch.entries = count

    # Two records for one model and mode would overwrite each other's scores: the first stays.
    usable: list[AaRecord] = []
    first: dict[tuple[str, str], str] = {}
    for r in checked:
        mode = (identity.resolve(r.creator, r.base).model_key, r.variant)
        if mode in first:
            rejects.append((r.slug, f"same model and variant as {first[mode]}"))
            continue
        first[mode] = r.slug
        usable.append(r)
    for label, reason in rejects:
        batch.reject(label, reason)

    # One price offering per model: of its records with a known price, the one whose slug
    # names no mode, else the first (AA lists the same prices for each mode of a model).
    priced: dict[tuple[str, str], AaRecord] = {}
    for r in usable:
        if all(v is None for v in r.prices.values()):
            continue
        current = priced.get((r.creator, r.base))
        if current is None or (current.slug != current.base and r.slug == r.base):
            priced[(r.creator, r.base)] = r

    for r in usable:
        for key, score in r.scores.items():
            batch.benchmark(provider=r.creator, model_id=r.base, benchmark=key, score=score,
                            unit=benchmark_unit(key), variant=r.variant)
        for key, value in r.performance.items():
            metric, unit = PERFORMANCE_KEYS[key]
            batch.measure(provider=r.creator, provider_model_id=r.slug, metric=metric, value=value,
                          unit=unit, percentile="p50")
        if priced.get((r.creator, r.base)) is r:
            batch.offering(
                provider=r.creator, provider_model_id=r.base, prices=r.prices, name=r.name,
                provider_name=r.creator_name, release_date=r.release_date,
            )
    built = batch.build()
    # AA's prices are its own quoted reference prices under its own slugs (gpt-5-4), not an id
    # any provider's API takes: they are published as offerings of AA itself, so that
    # /pricing never shows a made-up OpenAI model id. The model key still joins them up.
    for frame in (built.offerings, built.prices):
        frame["provider_id"] = PRICE_PROVIDER
    built.offerings["provider_name"] = "Artificial Analysis"
    return built
