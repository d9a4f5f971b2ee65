"""Models no source lists any more stay published until the feed confirms their removal.

A source that stops listing a model is more often trimmed, paged wrongly or briefly out of
step than the model is gone. The change feed only calls a model removed after it has been
absent from every healthy source that listed it for ``AISI_REMOVED_AFTER_RUNS`` runs in a
row (``core/catalog/changes.py``); until then the catalog keeps it too, so the catalog and
its own feed agree. Such a model is carried from the previous snapshot as it was (its
model row, offerings, aliases, open prices and reference prices, with their original provenance), marked
``listed = false`` with ``unlisted_since`` (the first run that no longer saw it). A model
listed again is simply listed; one confirmed removed is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core.billing import billing_kind
from core.catalog.merge import OFFERING_KEY, Catalog
from core.records import PRICE_COLUMNS


@dataclass
class PreviousCatalog:
    """The previous snapshot's catalog rows; each None when there is no snapshot (or table)."""

    models: pd.DataFrame | None = None
    offerings: pd.DataFrame | None = None
    prices: pd.DataFrame | None = None  # the price history (open rows are current)
    aliases: pd.DataFrame | None = None
    reference_prices: pd.DataFrame | None = None


def renamed_keys(previous_aliases: pd.DataFrame | None, aliases: pd.DataFrame, published: set[str]) -> set[str]:
    """Previous model keys whose every source id now maps to another published key: the model
    was renamed (folded onto its base model, or a corrected identity), not removed. Such a key
    is neither carried nor reported as removed; its spellings live on in ``model_aliases``."""
    if previous_aliases is None or previous_aliases.empty or aliases.empty:
        return set()
    ids = ["source", "provider_id", "source_id"]
    joined = previous_aliases[ids + ["model_key"]].merge(aliases[ids + ["model_key"]], on=ids, suffixes=("_old", ""))
    gone = joined[~joined["model_key_old"].isin(published)]
    if gone.empty:
        return set()
    moved = gone.groupby("model_key_old")["model_key"].agg(lambda keys: all(k in published for k in keys))
    return set(moved[moved].index)


def awaiting_removal(presence: pd.DataFrame, listed_keys: set[str]) -> set[str]:
    """Model keys tracked as present (not removed) that no source listed this run."""
    if presence.empty:
        return set()
    waiting = presence[presence["removed_at"].isna() & ~presence["model_key"].isin(listed_keys)]
    return set(waiting["model_key"])


def _carried(frame: pd.DataFrame | None, keys: set[str], columns: list[str]) -> pd.DataFrame:
    if frame is None or frame.empty or not keys:
        return pd.DataFrame(columns=columns)
    return frame[frame["model_key"].isin(keys)].reindex(columns=columns)


def _concat(current: pd.DataFrame, carried: pd.DataFrame) -> pd.DataFrame:
    if carried.empty:
        return current
    if current.empty:
        return carried.reset_index(drop=True)
    return pd.concat([current, carried[current.columns]], ignore_index=True)


def mark_listed(models: pd.DataFrame) -> pd.DataFrame:
    """Every model of this run's merge is listed by a source now."""
    out = models.copy()
    out["listed"] = True
    out["unlisted_since"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
    return out


def carry_unlisted(merged: Catalog, previous: PreviousCatalog, presence: pd.DataFrame, now: datetime) -> tuple[Catalog, set[str]]:
    """``merged`` with every model awaiting removal carried from ``previous`` (marked unlisted),
    and the keys carried. Prices carried are the previous open rows of the carried offerings,
    so the price history keeps them open rather than closing them."""
    merged.models = mark_listed(merged.models)
    keys = awaiting_removal(presence, set(merged.models["model_key"])) - set(merged.models["model_key"])
    if previous.models is not None:
        keys &= set(previous.models["model_key"])
    if not keys:
        return merged, set()

    models = _carried(previous.models, keys, list(merged.models.columns))
    models["listed"] = False
    since = pd.to_datetime(models["unlisted_since"], utc=True)
    models["unlisted_since"] = since.fillna(pd.Timestamp(now)).astype("datetime64[us, UTC]")
    merged.models = _concat(merged.models, models).sort_values("model_key").reset_index(drop=True)

    offerings = _carried(previous.offerings, keys, list(merged.offerings.columns))
    known = merged.offerings.set_index(OFFERING_KEY).index
    offerings = offerings[~offerings.set_index(OFFERING_KEY).index.isin(known)].copy()
    if "billing" in offerings.columns:  # a snapshot from before billing: what its id says, else metered
        offerings["billing"] = offerings["billing"].astype(object)
        missing = offerings["billing"].isna()
        offerings.loc[missing, "billing"] = [
            billing_kind(p, m, []) for p, m in zip(offerings.loc[missing, "provider_id"], offerings.loc[missing, "provider_model_id"])
        ]
    merged.offerings = _concat(merged.offerings, offerings)

    history = previous.prices
    if history is not None and not history.empty:
        open_rows = history[history["valid_to"].isna()]
        prices = _carried(open_rows, keys, PRICE_COLUMNS)
        carried_offerings = offerings.set_index(OFFERING_KEY).index
        prices = prices[prices.set_index(OFFERING_KEY).index.isin(carried_offerings)]
        merged.prices = _concat(merged.prices, prices)

    references = _carried(previous.reference_prices, keys, list(merged.reference_prices.columns))
    merged.reference_prices = _concat(merged.reference_prices, references)

    aliases = _carried(previous.aliases, keys, list(merged.model_aliases.columns))
    if not aliases.empty:
        merged.model_aliases = (
            _concat(merged.model_aliases, aliases)
            .drop_duplicates(["source", "provider_id", "source_id"], keep="first")
            .sort_values(["source", "source_id", "provider_id"])
            .reset_index(drop=True)
        )
    return merged, keys
