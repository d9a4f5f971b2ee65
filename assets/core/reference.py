"""The reference price of each model: what a user means by "what does X cost".

It is the price of the creator's own offering (OpenAI's gpt-4o at OpenAI, not at Azure or a
router), per price type, taken from the most authoritative source that prices it:

1. ``manual``: an operator's override;
2. ``official_page``: the creator's pricing page (badge ``scraped``);
3. ``first_party_api``: the creator's own API (badge ``api``);
4. ``consensus``: the value at least two aggregators agree on (within 1 %);
5. ``single_aggregator``: the highest-priority aggregator's value, when they do not agree;
6. ``config``: the curated last-resort file.

A source serving its cached payload counts as its own badge (as in the merge). Only metered
offerings count (a plan or free tier is no price), long-context tiers are not the base price,
and quarantined values never reach this far. Each reference price carries its provenance
(source, badge, basis) and the spread across every source pricing the creator's offering:
``sources``, ``min``, ``max`` and ``spread`` ((max - min) / max). A model whose creator does not
serve it (open weights served only by hosts) has no reference price: NULL, never a guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.core.ranking import badge_rank
from assets.sources.spec import BADGE_PRIORITY

BASIS = {"manual": "manual", "scraped": "official_page", "api": "first_party_api", "config": "config"}
BASIS_ORDER = ("manual", "official_page", "first_party_api", "consensus", "single_aggregator", "config")
CONSENSUS_TOLERANCE = 0.01
REFERENCE_COLUMNS = [
    "model_key", "price_type", "usd_per_mtok", "basis", "provider_id", "provider_model_id", "source", "source_kind",
    "source_url", "fetched_at", "sources", "min_usd_per_mtok", "max_usd_per_mtok", "spread",
]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=REFERENCE_COLUMNS)


def _own_prices(prices_ranked: pd.DataFrame, offerings: pd.DataFrame, first_party: dict[str, str]) -> pd.DataFrame:
    """Source price rows of each model's creator's own, metered offerings, base tier only."""
    own = offerings[offerings["provider_id"].map(lambda p: first_party.get(p, p)) == offerings["creator"]]
    if "billing" in own.columns:
        own = own[own["billing"].fillna("metered") == "metered"]
    rows = prices_ranked.drop(columns=["model_key"]).merge(own[["provider_id", "provider_model_id", "model_key"]], on=["provider_id", "provider_model_id"])
    if "above_tokens" in rows.columns:
        rows = rows[rows["above_tokens"].fillna(0).astype(int) == 0]
    return rows


def _agreeing(values: list[float]) -> list[bool]:
    """Which values have at least one other within the tolerance of the higher of the two."""
    flags = []
    for i, a in enumerate(values):
        flags.append(any(
            j != i and (max(a, b) == 0 or abs(a - b) / max(a, b) <= CONSENSUS_TOLERANCE) for j, b in enumerate(values)
        ))
    return flags


def _pick(group: pd.DataFrame) -> tuple[pd.Series, str]:
    """The row that gives the reference price of one model and price type, and its basis.
    ``group`` is in merge order (badge as its source's own, then source priority)."""
    kinds = group["_kind"]
    for badge in ("manual", "scraped", "api"):
        chosen = group[kinds == badge]
        if len(chosen):
            return chosen.iloc[0], BASIS[badge]
    aggregators = group[kinds == "aggregator"].drop_duplicates("source")
    if len(aggregators):
        values = aggregators["usd_per_mtok"].astype(float).tolist()
        agree = _agreeing(values)
        if len(aggregators) >= 2 and any(agree):
            return aggregators[agree].iloc[0], "consensus"
        return aggregators.iloc[0], "single_aggregator"
    return group.iloc[0], BASIS.get(str(kinds.iloc[0]), "config")


def reference_prices(prices_ranked: pd.DataFrame, offerings: pd.DataFrame, first_party: dict[str, str]) -> pd.DataFrame:
    """One row per model and price type that the creator's own offering has a price for."""
    if prices_ranked.empty or offerings.empty:
        return _empty()
    rows = _own_prices(prices_ranked, offerings, first_party)
    if rows.empty:
        return _empty()
    rank = badge_rank(rows)
    rows = rows.assign(_kind=rank.map(lambda r: BADGE_PRIORITY[int(r)] if r < len(BADGE_PRIORITY) else "cached"))
    order = [c for c in ("_badge_rank", "_own_rank", "_source_rank") if c in rows.columns]
    rows = rows.assign(_badge_rank=rank).sort_values(order or ["_badge_rank"], kind="stable")
    picked = []
    for (model_key, price_type), group in rows.groupby(["model_key", "price_type"], sort=True):
        row, basis = _pick(group)
        values = group.drop_duplicates("source")["usd_per_mtok"].astype(float)
        high = float(values.max())
        picked.append({
            "model_key": model_key, "price_type": price_type, "usd_per_mtok": float(row["usd_per_mtok"]), "basis": basis,
            "provider_id": row["provider_id"], "provider_model_id": row["provider_model_id"], "source": row["source"],
            "source_kind": row["source_kind"], "source_url": row["source_url"], "fetched_at": row["fetched_at"],
            "sources": int(values.size), "min_usd_per_mtok": float(values.min()), "max_usd_per_mtok": high,
            "spread": round((high - float(values.min())) / high, 6) if high > 0 else 0.0,
        })
    frame = pd.DataFrame(picked, columns=REFERENCE_COLUMNS)
    frame["sources"] = frame["sources"].astype(np.int64)
    return frame


def basis_counts(reference: pd.DataFrame, models: pd.DataFrame) -> dict[str, int]:
    """Models by the basis of their reference input price, and those without one."""
    inputs = reference[reference["price_type"] == "input"]
    counts = {basis: int((inputs["basis"] == basis).sum()) for basis in BASIS_ORDER}
    counts["none"] = int((~models["model_key"].isin(inputs["model_key"])).sum())
    return counts
