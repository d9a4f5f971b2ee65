"""Unified records: what every source's parser produces, whatever its native shape."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from core.billing import FREE_TIER, billing_kind
from core.identity import ALIAS_FILE, IdentityRules, default_rules

if TYPE_CHECKING:  # pandas is imported when a batch is built: a fetch answered 304 never needs it
    import pandas as pd

# Prices are USD per 1M tokens. These are the price types the catalog knows: text, image and
# audio tokens are kept apart (an image model's image-output price is ``image_output``, never
# ``output``). Prices in other units (per image, per second, per character) are not published.
PRICE_TYPES = (
    "input",
    "output",
    "cached_input",
    "cache_write",
    "batch_input",
    "batch_output",
    "reasoning",
    "image_input",
    "image_output",
    "audio_input",
    "audio_output",
)

OFFERING_COLUMNS = [
    "provider_id",
    "provider_name",
    "provider_model_id",
    "model_key",
    "creator",
    "identity_method",
    "name",
    "family",
    "context_window",
    "max_output",
    "input_modalities",
    "output_modalities",
    "release_date",
    "open_weights",
    "deprecation_date",
    "deprecated",
    "billing",
    "source",
    "source_kind",
    "source_url",
    "fetched_at",
]
# ``above_tokens``: the price applies to prompts above that many tokens (long-context tiers);
# 0 is the base price.
PRICE_COLUMNS = [
    "provider_id",
    "provider_model_id",
    "model_key",
    "price_type",
    "above_tokens",
    "usd_per_mtok",
    "source",
    "source_kind",
    "source_url",
    "fetched_at",
]
REJECT_COLUMNS = ["source", "source_id", "reason"]
# What a source says about an offering's model beyond its id (OpenRouter's ``alias_target`` of a
# ``~...-latest`` router alias, its ``canonical_slug``): read by the catalog's folding step.
LINK_COLUMNS = ["provider_id", "provider_model_id", "relation", "target_id", "target_key"]
DUPLICATE_KEPT_PRICED = "duplicate id within the payload: kept the priced entry"
DUPLICATE_KEPT_FIRST = "duplicate id within the payload: kept the first entry"
PERFORMANCE_COLUMNS = [
    "provider_id",
    "provider_model_id",
    "model_key",
    "metric",
    "percentile",
    "value",
    "unit",
    "source",
    "source_kind",
    "measured_at",
]
BENCHMARK_COLUMNS = [
    "model_key",
    "benchmark",
    "variant",
    "score",
    "unit",
    "source",
    "source_kind",
    "source_id",
    "identity_method",
    "as_of",
]


class PayloadError(ValueError):
    """The payload is not in the source's shape (garbage, schema drift, truncated)."""


@dataclass(frozen=True)
class Provenance:
    """Where every row of one batch came from."""

    source: str
    source_kind: str
    source_url: str
    fetched_at: datetime


def _empty(columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=columns)


@dataclass
class NormalisedBatch:
    """One source's payload as unified rows, plus what could not be used and why."""

    source: str
    offerings: pd.DataFrame
    prices: pd.DataFrame
    rejects: pd.DataFrame
    entries: int
    fetch: dict[str, Any] = field(default_factory=dict)  # how the payload was obtained (FetchOutcome fields)
    performance: pd.DataFrame = field(default_factory=lambda: _empty(PERFORMANCE_COLUMNS))
    benchmarks: pd.DataFrame = field(default_factory=lambda: _empty(BENCHMARK_COLUMNS))
    links: pd.DataFrame = field(default_factory=lambda: _empty(LINK_COLUMNS))

    @property
    def reject_reasons(self) -> dict[str, int]:
        if self.rejects.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().items()}


def per_token_to_per_mtok(value: Any) -> float | None:
    """USD per token (number or numeric string) -> USD per 1M tokens; unknown -> None.
    Raises ValueError "not a finite number" when the product overflows ("1e303" per token)."""
    number = to_number(value)
    if number is None:
        return None
    per_mtok = number * 1_000_000
    if not math.isfinite(per_mtok):
        raise ValueError(f"not a finite number: {value!r} per token is {per_mtok} per 1M tokens")
    return round(per_mtok, 9)


def finite(value: Any) -> float:
    """``value`` as a float; ValueError "not a finite number" for NaN, infinities and integers
    too large for a float, so none of them can ever reach a table or the API."""
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"not a finite number: {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def non_finite(values: dict[str, Any]) -> str | None:
    """The reject reason for the first value that is not a finite number (a parser that read
    the amounts itself, e.g. from a page), None when all are finite or unknown."""
    for name, value in values.items():
        if value is None:
            continue
        try:
            finite(value)
        except (TypeError, ValueError) as exc:
            return f"{name}: {exc}"
    return None


def to_number(value: Any) -> float | None:
    """A finite, non-negative number or None (absent); raises ValueError on text that is not a
    number, on NaN and infinities ("not a finite number") and on a negative number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"boolean where a number was expected: {value!r}")
    number = finite(value)
    if number < 0:
        raise ValueError(f"not a usable price: {value!r}")
    return number


INT64_MAX = 2**63 - 1


def to_int(value: Any) -> int | None:
    """A positive count (tokens) or None; ValueError when not a finite number or beyond 64 bits."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    number = int(finite(value))
    if number > INT64_MAX:
        raise ValueError(f"out of range for a count: {value!r}")
    return number if number > 0 else None


def modalities(values: Iterable[Any] | None) -> list[str]:
    return sorted({str(v).strip().lower() for v in values or () if str(v).strip()})


@dataclass
class BatchBuilder:
    """Collects unified rows for one source; parsers call ``offering`` and ``reject``."""

    provenance: Provenance
    rules: IdentityRules = field(default_factory=default_rules)
    entries: int = 0
    _offerings: list[dict[str, Any]] = field(default_factory=list)
    _prices: list[dict[str, Any]] = field(default_factory=list)
    _source_ids: list[str] = field(default_factory=list)
    _rejects: list[dict[str, Any]] = field(default_factory=list)
    _performance: list[dict[str, Any]] = field(default_factory=list)
    _benchmarks: list[dict[str, Any]] = field(default_factory=list)
    _links: list[dict[str, Any]] = field(default_factory=list)

    def offering(
        self,
        *,
        provider: str,
        provider_model_id: str,
        prices: dict[str, float | None],
        model_key: str | None = None,
        tiers: dict[int, dict[str, float | None]] | None = None,
        source_id: str | None = None,
        **attributes: Any,
    ) -> None:
        """One offering with its prices (``price type -> USD per 1M tokens``, None unknown) and
        long-context ``tiers`` (``threshold in tokens -> prices`` for prompts above it).
        ``billing`` is derived (``config/billing.yaml``, free variants) unless given; a price of
        0 is kept only on a free tier (elsewhere 0 is "not metered" or no claim: no row).
        ``source_id`` is the entry's id in the payload (default ``provider_model_id``)."""
        unknown = set(attributes) - set(OFFERING_COLUMNS)
        if unknown:
            raise KeyError(f"not offering columns: {sorted(unknown)}")
        identity = self.rules.resolve(provider, provider_model_id)
        key = model_key or identity.model_key
        prov = self.provenance
        every = [(price_type, 0, value) for price_type, value in prices.items()]
        for threshold, tier in (tiers or {}).items():
            if int(threshold) <= 0:
                raise ValueError(f"a tier threshold must be above 0 tokens: {threshold!r}")
            every += [(price_type, int(threshold), value) for price_type, value in tier.items()]
        row = {column: None for column in OFFERING_COLUMNS}
        row.update(attributes)
        billing = row["billing"] or billing_kind(identity.provider_id, provider_model_id, prices.values())
        row.update(
            provider_id=identity.provider_id,
            provider_model_id=provider_model_id,
            model_key=key,
            creator=key.split("/", 1)[0],
            identity_method=ALIAS_FILE if model_key else identity.method,  # a curated file gave the key
            input_modalities=row["input_modalities"] or [],
            output_modalities=row["output_modalities"] or [],
            billing=billing,
            source=prov.source,
            source_kind=prov.source_kind,
            source_url=prov.source_url,
            fetched_at=prov.fetched_at,
        )
        entry = len(self._offerings)
        self._offerings.append(row)
        self._source_ids.append(source_id or provider_model_id)
        for price_type, above_tokens, value in every:
            if price_type not in PRICE_TYPES:
                raise KeyError(f"unknown price type {price_type!r}")
            if value is None:
                continue  # unknown stays unknown: no row, never 0
            if float(value) == 0 and billing != FREE_TIER:
                continue  # 0 off a free tier is "not metered" (plan) or no claim: unknown
            self._prices.append(
                {
                    "provider_id": identity.provider_id,
                    "provider_model_id": provider_model_id,
                    "model_key": key,
                    "price_type": price_type,
                    "above_tokens": above_tokens,
                    "usd_per_mtok": float(value),
                    "source": prov.source,
                    "source_kind": prov.source_kind,
                    "source_url": prov.source_url,
                    "fetched_at": prov.fetched_at,
                    "_entry": entry,
                }
            )

    def measure(
        self, *, provider: str, provider_model_id: str, metric: str, value: Any, unit: str,
        percentile: str = "value", zero_is_unknown: bool = True,
    ) -> None:
        """A measured figure of an offering (latency, throughput, uptime). A speed or latency of
        0 means "not measured" and is dropped; an uptime of 0 is real (``zero_is_unknown=False``)."""
        number = to_number(value)
        if number is None or (number == 0 and zero_is_unknown):
            return
        identity = self.rules.resolve(provider, provider_model_id)
        self._performance.append(
            {
                "provider_id": identity.provider_id,
                "provider_model_id": provider_model_id,
                "model_key": identity.model_key,
                "metric": metric,
                "percentile": percentile,
                "value": number,
                "unit": unit,
                "source": self.provenance.source,
                "source_kind": self.provenance.source_kind,
                "measured_at": self.provenance.fetched_at,
            }
        )

    def benchmark(
        self, *, provider: str, model_id: str, benchmark: str, score: Any, unit: str,
        as_of: date | datetime | None = None, variant: str = "", model_key: str | None = None,
    ) -> None:
        """A benchmark score of a model (``provider`` is the source's name for the creator or host,
        ``model_id`` its id for the model); unknown scores are not stored."""
        number = to_number(score)
        if number is None:
            return
        identity = self.rules.resolve(provider, model_id)
        when = as_of or self.provenance.fetched_at
        self._benchmarks.append(
            {
                "model_key": model_key or identity.model_key,
                "benchmark": benchmark,
                "variant": variant,
                "score": float(number),
                "unit": unit,
                "source": self.provenance.source,
                "source_kind": self.provenance.source_kind,
                "source_id": model_id,
                "identity_method": ALIAS_FILE if model_key else identity.method,
                "as_of": when.date() if isinstance(when, datetime) else when,
            }
        )

    def link(self, *, provider: str, provider_model_id: str, relation: str, target_id: Any) -> None:
        """The source says the offering's model is ``target_id`` (another of its ids) by ``relation``
        (``alias_target``, ``canonical_slug``); an empty target says nothing."""
        if not isinstance(target_id, str) or not target_id.strip():
            return
        self._links.append(
            {
                "provider_id": self.rules.provider_id(provider),
                "provider_model_id": provider_model_id,
                "relation": relation,
                "target_id": target_id.strip(),
                "target_key": self.rules.resolve(provider, target_id.strip()).model_key,
            }
        )

    def entry_id(self, entry: Any, field: str = "id") -> str | None:
        """Counts ``entry`` and returns its ``field`` (the model's id in the source); an entry
        without a usable one is rejected with the reason "no model <field>"."""
        self.entries += 1
        value = entry.get(field) if isinstance(entry, dict) else None
        if isinstance(value, str) and value.strip():
            return value
        self.reject(repr(entry)[:80], f"no model {field}")
        return None

    def reject(self, source_id: str, reason: str) -> None:
        self._rejects.append({"source": self.provenance.source, "source_id": source_id, "reason": reason})

    def build(self) -> NormalisedBatch:
        import pandas as pd

        offerings = pd.DataFrame(self._offerings, columns=OFFERING_COLUMNS)
        prices = pd.DataFrame(self._prices, columns=[*PRICE_COLUMNS, "_entry"])
        # One offering per (provider, provider model id). When a payload lists one twice, the
        # entry with prices wins (then the first); the other is rejected with its payload id.
        priced = set(prices["_entry"])
        has_prices = pd.Series([i in priced for i in range(len(offerings))], index=offerings.index, dtype=bool)
        order = offerings.assign(_unpriced=~has_prices).sort_values("_unpriced", kind="stable")
        duplicated = order.duplicated(["provider_id", "provider_model_id"], keep="first")
        kept = order.loc[~duplicated]
        winner = {(p, m): i for i, p, m in zip(kept.index, kept["provider_id"], kept["provider_model_id"])}
        for entry in order.index[duplicated.to_numpy()]:
            offering = offerings.loc[entry]
            won = winner[(offering["provider_id"], offering["provider_model_id"])]
            reason = DUPLICATE_KEPT_PRICED if has_prices[won] and not has_prices[entry] else DUPLICATE_KEPT_FIRST
            self.reject(f"{self._source_ids[entry]} (kept {self._source_ids[won]})", reason)
        keep = sorted(kept.index)
        offerings = offerings.loc[keep].reset_index(drop=True)
        prices = prices[prices["_entry"].isin(keep)].drop(columns="_entry").drop_duplicates(
            ["provider_id", "provider_model_id", "price_type", "above_tokens"], keep="first"
        )
        prices["above_tokens"] = prices["above_tokens"].astype("int64")
        return NormalisedBatch(
            source=self.provenance.source,
            offerings=offerings,
            prices=prices.reset_index(drop=True),
            rejects=pd.DataFrame(self._rejects, columns=REJECT_COLUMNS),
            entries=self.entries,
            performance=pd.DataFrame(self._performance, columns=PERFORMANCE_COLUMNS),
            benchmarks=pd.DataFrame(self._benchmarks, columns=BENCHMARK_COLUMNS).drop_duplicates(
                ["model_key", "benchmark", "variant", "source", "as_of"], keep="first"
            ),
            links=pd.DataFrame(self._links, columns=LINK_COLUMNS),
        )
