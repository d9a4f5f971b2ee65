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

from core.catalog.ranking import badge_rank
from core.sources.spec import BADGE_PRIORITY

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


def _agreeing(aggregators: pd.DataFrame) -> pd.Series:
    """Per row of ``aggregators`` (one row per group and source, column ``_group``): does at
    least one other row of its group have a value within the tolerance of the higher of the two?"""
    values = aggregators[["_group", "usd_per_mtok"]].astype({"usd_per_mtok": float}).reset_index(names="_row")
    pairs = values.merge(values, on="_group", suffixes=("", "_other"))
    pairs = pairs[pairs["_row"] != pairs["_row_other"]]
    a, b = pairs["usd_per_mtok"].to_numpy(), pairs["usd_per_mtok_other"].to_numpy()
    high = np.where(b > a, b, a)  # max(a, b) as Python's max
    with np.errstate(divide="ignore", invalid="ignore"):
        close = (high == 0) | (np.abs(a - b) / high <= CONSENSUS_TOLERANCE)
    agreeing = pairs.loc[close, "_row"].unique()
    return pd.Series(aggregators.index.isin(agreeing), index=aggregators.index)


def _picks(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per group (``_group``) of ``rows`` (one model and price type each, in merge order: badge
    as its source's own, then source priority): the position of the row that gives its
    reference price, and its basis, both indexed by group.

    The first ``manual``, else ``scraped``, else ``api`` row; else, among the aggregators (each
    source's first row), the first that at least one other agrees with (``consensus``) or the
    first (``single_aggregator``); else the group's first row (its badge's basis, else
    ``config``)."""
    kinds = rows["_kind"]
    badges = {badge: i for i, badge in enumerate(("manual", "scraped", "api"))}
    authoritative = rows[kinds.isin(badges.keys())]
    authoritative = authoritative.assign(_priority=authoritative["_kind"].map(badges)).sort_values(["_group", "_priority"], kind="stable")
    authoritative = authoritative.drop_duplicates("_group")
    picked = pd.Series(authoritative.index, index=authoritative["_group"].to_numpy())
    basis = pd.Series(authoritative["_kind"].map(BASIS).to_numpy(), index=picked.index, dtype=object)

    aggregators = rows[(kinds == "aggregator") & ~rows["_group"].isin(picked.index)].drop_duplicates(["_group", "source"])
    if len(aggregators):
        agree = _agreeing(aggregators)
        consensus = aggregators[agree].drop_duplicates("_group")
        single = aggregators[~aggregators["_group"].isin(consensus["_group"])].drop_duplicates("_group")
        for chosen, name in ((consensus, "consensus"), (single, "single_aggregator")):
            picked = pd.concat([picked, pd.Series(chosen.index, index=chosen["_group"].to_numpy())])
            basis = pd.concat([basis, pd.Series(name, index=chosen["_group"].to_numpy(), dtype=object)])

    rest = rows[~rows["_group"].isin(picked.index)].drop_duplicates("_group")
    picked = pd.concat([picked, pd.Series(rest.index, index=rest["_group"].to_numpy())])
    rest_basis = rest["_kind"].astype(str).map(BASIS).fillna("config").to_numpy()
    basis = pd.concat([basis, pd.Series(rest_basis, index=rest["_group"].to_numpy(), dtype=object)])
    return picked.sort_index(), basis.sort_index()


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
    # Groups numbered in sorted key order (rows with a missing key belong to none, as in a groupby);
    # within a group, rows keep the merge order.
    rows = rows.assign(_group=rows.groupby(["model_key", "price_type"], sort=True).ngroup())
    rows = rows[rows["_group"] >= 0].sort_values("_group", kind="stable").reset_index(drop=True)
    if rows.empty:
        frame = pd.DataFrame([], columns=REFERENCE_COLUMNS)
        frame["sources"] = frame["sources"].astype(np.int64)
        return frame
    picked, basis = _picks(rows)
    row = rows.loc[picked.to_numpy()].reset_index(drop=True)
    # The spread over every source pricing it (each source's first row); groups in key order.
    by_source = rows.drop_duplicates(["_group", "source"]).assign(_value=lambda f: f["usd_per_mtok"].astype(float))
    stats = by_source.groupby("_group", sort=True)["_value"].agg(["size", "min", "max"])
    low, high = stats["min"].to_numpy(), stats["max"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (high - low) / high
    # Python's round, not numpy's (which can differ in the last digit).
    spread = [round(float(s), 6) if h > 0 else 0.0 for s, h in zip(share, high)]
    # The chosen rows' values as Python objects, so each column's dtype is inferred from its
    # values (a column with no value at all is float NaN), as for a frame built row by row.
    carried = {c: row[c].tolist() for c in ("model_key", "price_type", "provider_id", "provider_model_id", "source", "source_kind", "source_url", "fetched_at")}
    frame = pd.DataFrame(
        {
            **carried,
            "usd_per_mtok": row["usd_per_mtok"].astype(float).to_numpy(),
            "basis": basis.tolist(),
            "sources": stats["size"].to_numpy().astype(np.int64),
            "min_usd_per_mtok": low,
            "max_usd_per_mtok": high,
            "spread": np.array(spread, dtype=float),
        },
        columns=REFERENCE_COLUMNS,
    )
    return frame


def basis_counts(reference: pd.DataFrame, models: pd.DataFrame) -> dict[str, int]:
    """Models by the basis of their reference input price, and those without one."""
    inputs = reference[reference["price_type"] == "input"]
    counts = {basis: int((inputs["basis"] == basis).sum()) for basis in BASIS_ORDER}
    counts["none"] = int((~models["model_key"].isin(inputs["model_key"])).sum())
    return counts
