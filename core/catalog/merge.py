"""The merge: every source's unified rows into one catalog, field by field by priority.

Each field comes from the highest-priority source that has it: badge first
(manual > api > scraped > aggregator > cached > config), then the source's own
priority among sources of the same badge. A source serving its last good payload (badge
``cached``) keeps its own badge's rank for the values it carries: an outage is not a change. Prices keep a history: an unchanged value keeps
its row (``valid_from`` unchanged), a changed one closes the old row and opens a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from core.catalog.quarantine import QUARANTINE_COLUMNS, implausible, without
from core.catalog.ranking import badge_rank, own_listing_rank
from core.catalog.reference import REFERENCE_COLUMNS, reference_prices
from core.folding import fold_batches
from core.identity import family_alias
from core.records import BENCHMARK_COLUMNS, OFFERING_COLUMNS, PERFORMANCE_COLUMNS, PRICE_COLUMNS, NormalisedBatch
from core.settings import settings

OFFERING_KEY = ["provider_id", "provider_model_id"]
# A price is one offering's price type above a prompt size (``above_tokens``, 0 = base price).
PRICE_KEY = ["provider_id", "provider_model_id", "price_type", "above_tokens"]
PROVENANCE = ["source", "source_kind", "source_url", "fetched_at"]
LIST_COLUMNS = ["input_modalities", "output_modalities"]
PRICE_HISTORY_COLUMNS = PRICE_COLUMNS + ["valid_from", "valid_to"]
# Two sources disagree on a price when they differ by more than this share of the higher
# value (AISI_DISAGREEMENT_TOLERANCE overrides it).
COMPARISON_COLUMNS = PRICE_KEY[:2] + ["model_key", "price_type", "above_tokens", "source_a", "source_b", "value_a", "value_b", "disagrees"]


def disagreement_tolerance() -> float:
    """The share two sources' prices may differ by: ``AISI_DISAGREEMENT_TOLERANCE`` or 0.01."""
    return settings().disagreement_tolerance


@dataclass
class Catalog:
    providers: pd.DataFrame
    models: pd.DataFrame
    offerings: pd.DataFrame
    prices: pd.DataFrame  # current merged prices (no history)
    disagreements: pd.DataFrame
    model_aliases: pd.DataFrame
    performance: pd.DataFrame  # this run's measurements (no history)
    benchmarks: pd.DataFrame  # this run's scores (no history)
    # Every pair of sources pricing the same offering and price type (COMPARISON_COLUMNS).
    comparisons: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS))
    # Source price rows that failed a plausibility rule and took no part (core/catalog/quarantine.py).
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    # Each model's price at its creator's own offering, with provenance and spread (core/catalog/reference.py).
    reference_prices: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REFERENCE_COLUMNS))


def _ranked(frames: list[pd.DataFrame], source_priority: dict[str, int]) -> pd.DataFrame:
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else None
    if frame is None:
        return pd.DataFrame(columns=list(frames[0].columns) + ["_badge_rank", "_own_rank", "_source_rank"]) if frames else pd.DataFrame()
    frame["_badge_rank"] = badge_rank(frame)
    frame["_own_rank"] = own_listing_rank(frame)
    frame["_source_rank"] = frame["source"].map(source_priority).fillna(99)
    return frame.sort_values(["_badge_rank", "_own_rank", "_source_rank"], kind="stable").reset_index(drop=True)


def _first_by_field(ranked: pd.DataFrame, key: list[str], columns: list[str]) -> pd.DataFrame:
    """Per key: each data column from the first row that has it, provenance from the top row."""
    data_columns = [c for c in columns if c not in key and c not in PROVENANCE]
    work = ranked[key + data_columns].copy()
    for column in LIST_COLUMNS:
        if column in work:
            work[column] = work[column].map(lambda v: list(v) if isinstance(v, (list, np.ndarray)) and len(v) else None)
    top = ranked.drop_duplicates(key, keep="first").set_index(key)[PROVENANCE]
    merged = work.groupby(key, sort=True).first().join(top).reset_index()
    for column in LIST_COLUMNS:
        if column in merged:
            merged[column] = merged[column].map(lambda v: list(v) if isinstance(v, list) else [])
    return merged[[c for c in columns if c in merged.columns]]


def merge_catalog(
    batches: list[NormalisedBatch],
    source_priority: dict[str, int],
    first_party: dict[str, str],
    today: date | None = None,
    tolerance: float | None = None,
    ceiling: float | None = None,
) -> Catalog:
    """The merged catalog; ``tolerance`` (default ``disagreement_tolerance()``) decides when two
    sources' prices disagree; ``ceiling`` (default ``price_ceiling()``) is the quarantine's
    highest plausible text token price."""
    tolerance = disagreement_tolerance() if tolerance is None else tolerance
    batches = fold_batches(batches)  # one key per model: pointers and serving suffixes onto their base
    offerings_ranked = _ranked([b.offerings for b in batches], source_priority)
    # Lifecycle facts: a "not deprecated" must not hide a lower source's "deprecated".
    offerings_ranked["deprecated"] = offerings_ranked["deprecated"].where(offerings_ranked["deprecated"] == True)  # noqa: E712
    says = offerings_ranked["deprecation_date"].notna() | offerings_ranked["deprecated"].notna()
    offerings_ranked["status_source"] = offerings_ranked["source"].where(says)
    offerings = _first_by_field(offerings_ranked, OFFERING_KEY, OFFERING_COLUMNS + ["status_source"])
    offerings["status"] = lifecycle_status(offerings, today or datetime.now().date())

    prices_ranked = _ranked([with_base_tier(b.prices) for b in batches], source_priority)
    quarantined = implausible(prices_ranked, offerings_ranked, PRICE_KEY, ceiling)
    # Would the quarantined row have been published? Only then does its offering keep the
    # previous value (a bad low-priority copy must not freeze a real change by the winner).
    top = prices_ranked.drop_duplicates(PRICE_KEY, keep="first")[PRICE_KEY + ["source"]].assign(would_win=True)
    quarantined = quarantined.merge(top, on=PRICE_KEY + ["source"], how="left")
    quarantined["would_win"] = quarantined["would_win"].astype("boolean").fillna(False).astype(bool)
    prices_ranked = without(prices_ranked, quarantined, PRICE_KEY)
    disagreements = _disagreements(prices_ranked, tolerance)
    prices = prices_ranked.drop_duplicates(PRICE_KEY, keep="first")[PRICE_COLUMNS]
    # A price belongs to the merged offering's model key.
    prices = prices.drop(columns=["model_key"]).merge(offerings[OFFERING_KEY + ["model_key"]], on=OFFERING_KEY, how="inner")
    prices = prices[PRICE_COLUMNS].sort_values(PRICE_KEY).reset_index(drop=True)

    models = _models(offerings, source_priority, first_party)
    providers = provider_table(offerings, source_priority, first_party)
    return Catalog(
        providers=providers,
        models=models,
        offerings=offerings,
        prices=prices,
        disagreements=disagreements,
        model_aliases=_model_aliases(batches),
        performance=_concat([b.performance for b in batches], PERFORMANCE_COLUMNS),
        benchmarks=_concat([b.benchmarks for b in batches], BENCHMARK_COLUMNS),
        comparisons=price_comparisons(prices_ranked, offerings, tolerance),
        quarantine=quarantined,
        reference_prices=reference_prices(prices_ranked, offerings, first_party),
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    present = [f[columns] for f in frames if not f.empty]
    return pd.concat(present, ignore_index=True) if present else pd.DataFrame(columns=columns)


def lifecycle_status(offerings: pd.DataFrame, today: date) -> pd.Series:
    """retired when the announced date has passed, deprecated when one is announced or the
    source flags it, else active."""
    dates = pd.to_datetime(offerings["deprecation_date"].astype(object), errors="coerce")
    retired = dates.notna() & (dates <= pd.Timestamp(today))
    deprecated = dates.notna() | (offerings["deprecated"] == True)  # noqa: E712
    return pd.Series(np.select([retired, deprecated], ["retired", "deprecated"], "active"), index=offerings.index)


def _model_aliases(batches: list[NormalisedBatch]) -> pd.DataFrame:
    """How every source names every model."""
    columns = ["source", "source_id", "provider_id", "model_key", "method"]
    frames = [
        b.offerings.rename(columns={"provider_model_id": "source_id", "identity_method": "method"})[columns]
        for b in batches
        if not b.offerings.empty
    ]
    # Benchmark sources name models too (Artificial Analysis slugs, LMArena keys); no provider.
    frames += [
        b.benchmarks.rename(columns={"identity_method": "method"}).assign(provider_id="")[columns]
        for b in batches
        if not b.benchmarks.empty
    ]
    aliases = _concat(frames, columns)
    return aliases.drop_duplicates(["source", "provider_id", "source_id"]).sort_values(columns[:3]).reset_index(drop=True)


def _model_status(offerings: pd.DataFrame, first_party: dict[str, str]) -> pd.DataFrame:
    """Per model: the creator's own offerings decide; without one, all offerings do. A model
    is retired when all deciding offerings are, deprecated when all are deprecated or retired."""
    work = offerings[["model_key", "provider_id", "creator", "status", "deprecation_date", "status_source"]].copy()
    work["_own"] = work["provider_id"].map(lambda p: first_party.get(p, p)) == work["creator"]
    has_own = work.groupby("model_key")["_own"].transform("any")
    deciding = work[work["_own"] | ~has_own]
    severity = deciding["status"].map({"active": 0, "deprecated": 1, "retired": 2})
    deciding = deciding.assign(_severity=severity).sort_values(["model_key", "_severity", "deprecation_date"])
    # The least severe deciding offering sets the status (one active offering keeps it active).
    first = deciding.drop_duplicates("model_key", keep="first").set_index("model_key")
    result = pd.DataFrame({"status": first["status"]})
    result["status_date"] = first["deprecation_date"].where(first["status"] != "active")
    result["status_source"] = first["status_source"].where(first["status"] != "active")
    return result


def _disagreements(prices_ranked: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per offering and price type priced by several sources: the spread, when beyond ``tolerance``."""
    columns = PRICE_KEY + ["min_usd_per_mtok", "max_usd_per_mtok", "sources"]
    if prices_ranked.empty:
        return pd.DataFrame(columns=columns)
    grouped = prices_ranked.groupby(PRICE_KEY).agg(
        min_usd_per_mtok=("usd_per_mtok", "min"),
        max_usd_per_mtok=("usd_per_mtok", "max"),
        n=("source", "nunique"),
    )
    spread = (grouped["max_usd_per_mtok"] - grouped["min_usd_per_mtok"]) / grouped["max_usd_per_mtok"].where(
        grouped["max_usd_per_mtok"] > 0
    )
    found = grouped[(grouped["n"] > 1) & (spread > tolerance)]
    # The sources of each one found: distinct, sorted, comma-separated.
    named = prices_ranked[PRICE_KEY + ["source"]].merge(found.index.to_frame(index=False), on=PRICE_KEY)
    named = named.drop_duplicates().sort_values(PRICE_KEY + ["source"])
    listed = (named["source"] + ",").groupby([named[k] for k in PRICE_KEY]).sum().str[:-1]
    found = found.assign(sources=listed.reindex(found.index))
    return found.reset_index()[columns]


def price_comparisons(prices_ranked: pd.DataFrame, offerings: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Every pair of sources (``source_a`` < ``source_b``) pricing the same offering and price
    type, with both values and whether they differ by more than ``tolerance`` of the higher one.

    A source giving one key twice counts with its highest-ranked row; the model key is the
    merged offering's."""
    if prices_ranked.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    one = prices_ranked.drop_duplicates(PRICE_KEY + ["source"], keep="first")[PRICE_KEY + ["source", "usd_per_mtok"]]
    pairs = one.merge(one, on=PRICE_KEY, suffixes=("_a", "_b"))
    pairs = pairs[pairs["source_a"] < pairs["source_b"]].rename(columns={"usd_per_mtok_a": "value_a", "usd_per_mtok_b": "value_b"})
    a, b = pairs["value_a"].astype(float), pairs["value_b"].astype(float)
    high = np.maximum(a, b)
    pairs["disagrees"] = ((a - b).abs() / high.where(high > 0)).fillna(0) > tolerance
    pairs = pairs.merge(offerings[OFFERING_KEY + ["model_key"]], on=OFFERING_KEY, how="inner")
    order = PRICE_KEY + ["source_a", "source_b"]
    return pairs.sort_values(order).reset_index(drop=True)[COMPARISON_COLUMNS]


def _models(offerings: pd.DataFrame, source_priority: dict[str, int], first_party: dict[str, str]) -> pd.DataFrame:
    columns = [
        "model_key",
        "creator",
        "name",
        "family",
        "context_window",
        "max_output",
        "input_modalities",
        "output_modalities",
        "release_date",
        "open_weights",
        "deprecation_date",
        "offerings_count",
        "providers_count",
        "status",
        "status_date",
        "status_source",
        "alias_of",
    ] + PROVENANCE
    if offerings.empty:
        return pd.DataFrame(columns=columns)
    work = offerings.copy()
    # The creator's own offering describes the model best; then badge and source priority.
    work["_first_party"] = np.where(work["provider_id"].map(lambda p: first_party.get(p, p)) == work["creator"], 0, 1)
    work["_badge_rank"] = badge_rank(work)
    work["_source_rank"] = work["source"].map(source_priority).fillna(99)
    work = work.sort_values(["_first_party", "_badge_rank", "_source_rank", "provider_id"], kind="stable").reset_index(drop=True)
    derived = ("offerings_count", "providers_count", "status", "status_date", "status_source", "alias_of")
    models = _first_by_field(work, ["model_key"], [c for c in columns if c not in derived])
    counts = offerings.groupby("model_key").agg(offerings_count=("provider_model_id", "size"), providers_count=("provider_id", "nunique"))
    models = models.merge(counts, on="model_key", how="left")
    models = models.merge(_model_status(offerings, first_party), left_on="model_key", right_index=True, how="left")
    known = set(models["model_key"])
    models["alias_of"] = models["model_key"].map(lambda key: family_alias(key, known))
    return models[columns].sort_values("model_key").reset_index(drop=True)


def provider_table(offerings: pd.DataFrame, source_priority: dict[str, int], first_party: dict[str, str]) -> pd.DataFrame:
    columns = ["provider_id", "name", "creator", "models_count", "offerings_count"] + PROVENANCE
    if offerings.empty:
        return pd.DataFrame(columns=columns)
    work = offerings.drop(columns=["name"]).rename(columns={"provider_name": "name"})
    work = _ranked([work], source_priority)
    providers = _first_by_field(work, ["provider_id"], ["provider_id", "name"] + PROVENANCE)
    providers["name"] = providers["name"].fillna(providers["provider_id"])
    providers["creator"] = providers["provider_id"].map(first_party)
    counts = offerings.groupby("provider_id").agg(models_count=("model_key", "nunique"), offerings_count=("provider_model_id", "size"))
    providers = providers.merge(counts, on="provider_id", how="left")
    return providers[columns].sort_values("provider_id").reset_index(drop=True)


def with_base_tier(prices: pd.DataFrame) -> pd.DataFrame:
    """``prices`` with ``above_tokens`` as integers, 0 (the base price) where it is missing:
    rows written before long-context tiers existed are base prices."""
    if "above_tokens" in prices.columns:
        tiers = pd.to_numeric(prices["above_tokens"]).fillna(0).astype("int64")
        return prices.assign(above_tokens=tiers)
    return prices.assign(above_tokens=pd.Series(0, index=prices.index, dtype="int64"))


def price_history(previous: pd.DataFrame | None, current: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """The new price history: ``previous`` history carried over, ``current`` applied at ``now``.

    Unchanged open rows stay (their provenance refreshed to the source now serving them);
    changed or vanished ones get ``valid_to = now``; new values open rows at ``now``.
    """
    now_ts = pd.Timestamp(now)
    current = with_base_tier(current)[PRICE_COLUMNS].copy()
    if previous is None or previous.empty:
        current["valid_from"] = now_ts
        current["valid_to"] = pd.NaT
        return current[PRICE_HISTORY_COLUMNS].reset_index(drop=True)

    previous = with_base_tier(previous)[PRICE_HISTORY_COLUMNS].copy()
    closed = previous[previous["valid_to"].notna()]
    open_rows = previous[previous["valid_to"].isna()]
    joined = open_rows.merge(current, on=PRICE_KEY, how="outer", suffixes=("_old", ""), indicator=True)

    old_value = joined["usd_per_mtok_old"]
    new_value = joined["usd_per_mtok"]
    same = (joined["_merge"] == "both") & np.isclose(old_value.astype(float), new_value.astype(float), rtol=1e-9, atol=1e-12)

    kept = joined[same].copy()
    kept = kept[PRICE_HISTORY_COLUMNS]

    ended = joined[(joined["_merge"] == "left_only") | ((joined["_merge"] == "both") & ~same)].copy()
    for column in ["model_key", "usd_per_mtok"] + PROVENANCE:
        ended[column] = ended[f"{column}_old"]
    ended["valid_to"] = now_ts
    ended = ended[PRICE_HISTORY_COLUMNS]

    opened = joined[(joined["_merge"] == "right_only") | ((joined["_merge"] == "both") & ~same)].copy()
    opened["valid_from"] = now_ts
    opened["valid_to"] = pd.NaT
    opened = opened[PRICE_HISTORY_COLUMNS]

    history = pd.concat([f for f in (closed, ended, kept, opened) if not f.empty], ignore_index=True)
    if history.empty:
        return pd.DataFrame(columns=PRICE_HISTORY_COLUMNS)
    return history.sort_values(PRICE_KEY + ["valid_from"]).reset_index(drop=True)[PRICE_HISTORY_COLUMNS]


MEASUREMENT_KEY = ["provider_id", "provider_model_id", "metric", "percentile", "source"]


def measurement_history(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """Previous measurements plus this run's, where a figure changed or is new (an unchanged
    figure adds no row)."""
    current = current[PERFORMANCE_COLUMNS]
    if previous is None or previous.empty:
        return current.reset_index(drop=True)
    previous = previous[PERFORMANCE_COLUMNS]
    latest = previous.sort_values("measured_at").drop_duplicates(MEASUREMENT_KEY, keep="last")
    joined = current.merge(latest[MEASUREMENT_KEY + ["value"]], on=MEASUREMENT_KEY, how="left", suffixes=("", "_previous"))
    unchanged = joined["value_previous"].notna() & np.isclose(
        joined["value"].astype(float), joined["value_previous"].astype(float).fillna(0), rtol=1e-9
    )
    return _concat([previous, joined.loc[~unchanged, PERFORMANCE_COLUMNS]], PERFORMANCE_COLUMNS)


BENCHMARK_KEY = ["model_key", "benchmark", "variant", "source"]
BENCHMARK_TABLE_COLUMNS = [c for c in BENCHMARK_COLUMNS if c != "identity_method"]


def benchmark_history(previous: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """Previous scores plus this run's: a score for a new ``as_of`` is added unless it equals
    the score just before it; a score for an ``as_of`` already stored is not added again."""
    current = current[BENCHMARK_TABLE_COLUMNS].copy()
    if previous is None or previous.empty:
        previous = pd.DataFrame(columns=BENCHMARK_TABLE_COLUMNS)
    previous = previous[BENCHMARK_TABLE_COLUMNS].copy()
    for frame in (previous, current):
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    stored = previous[BENCHMARK_KEY + ["as_of"]].assign(_stored=True)
    current = current.merge(stored, on=BENCHMARK_KEY + ["as_of"], how="left")
    current = current[current["_stored"].isna()].drop(columns="_stored")
    rows = pd.concat([previous.assign(_new=False), current.assign(_new=True)], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=BENCHMARK_TABLE_COLUMNS)
    rows = rows.sort_values(BENCHMARK_KEY + ["as_of"], kind="stable")
    before = rows.groupby(BENCHMARK_KEY, dropna=False)["score"].shift()
    repeated = rows["_new"] & before.notna() & np.isclose(rows["score"].astype(float), before.astype(float).fillna(0))
    return rows.loc[~repeated, BENCHMARK_TABLE_COLUMNS].reset_index(drop=True)
