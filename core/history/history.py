"""A price history from dated price snapshots (pure: no I/O).

Each day's snapshot holds the prices every dated source gave as of that day. The history
is built source by source with the catalog's own SCD function (``merge.price_history``),
applied day after day in date order at the day's midnight UTC: an unchanged price keeps its
row, a changed one closes the old row (``valid_to``) and opens a new one. A source is only
applied on the days it has a snapshot, so a day one source is missing closes none of its rows.

A price change is a value that differs between two consecutive snapshots of the same source
for the same offering and price type; an offering or price type that appears or disappears
is not a change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Iterable

import numpy as np
import pandas as pd

from core.catalog.merge import PRICE_HISTORY_COLUMNS, PRICE_KEY, price_history, with_base_tier
from core.records import PRICE_COLUMNS, NormalisedBatch

# One dated snapshot's rows: the catalog's price columns plus the day and the payload's hash.
DAY_COLUMNS = ["as_of", *PRICE_COLUMNS, "payload_sha256"]
HISTORY_KEY = ["source", *PRICE_KEY]
CHANGE_COLUMNS = [
    "changed_on",
    "source",
    "provider_id",
    "provider_model_id",
    "model_key",
    "price_type",
    "above_tokens",
    "old_usd_per_mtok",
    "new_usd_per_mtok",
    "pct_change",
]


def day_start(day: date) -> pd.Timestamp:
    """Midnight UTC of ``day``: when a dated snapshot's prices take effect."""
    return pd.Timestamp(datetime.combine(day, time(0), tzinfo=timezone.utc))


def day_prices(batch: NormalisedBatch, as_of: date, payload_sha256: str | None = None) -> pd.DataFrame:
    """A normalised batch's prices as one dated snapshot's rows."""
    frame = with_base_tier(batch.prices)[PRICE_COLUMNS].copy()
    frame.insert(0, "as_of", as_of)
    frame["payload_sha256"] = payload_sha256
    frame["usd_per_mtok"] = frame["usd_per_mtok"].astype(float)
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    return frame[DAY_COLUMNS].sort_values(PRICE_KEY).reset_index(drop=True)


def split_days(frame: pd.DataFrame) -> list[tuple[date, pd.DataFrame]]:
    """Rows with an ``as_of`` column (several days) -> [(day, that day's rows)] in date order."""
    if frame.empty:
        return []
    days = pd.to_datetime(frame["as_of"]).dt.date
    return [(day, rows.reset_index(drop=True)) for day, rows in frame.groupby(days, sort=True)]


def history_from_days(days: Iterable[tuple[date, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(price history, price changes) from dated snapshots.

    ``days``: (day, prices as of that day) with at least ``PRICE_COLUMNS``, any order, several
    sources per day allowed. The history has ``PRICE_HISTORY_COLUMNS`` (``valid_from`` /
    ``valid_to`` at midnight UTC); the changes have ``CHANGE_COLUMNS``.
    """
    ordered = sorted(days, key=lambda item: item[0])
    seen: set[date] = set()
    for day, _ in ordered:
        if day in seen:
            raise ValueError(f"day {day} given twice")
        seen.add(day)

    per_source: dict[str, pd.DataFrame | None] = {}
    for day, prices in ordered:
        current = with_base_tier(prices)[PRICE_COLUMNS]
        for source, rows in current.groupby("source", sort=True):
            rows = rows.drop_duplicates(PRICE_KEY, keep="first")
            per_source[str(source)] = price_history(per_source.get(str(source)), rows, day_start(day))

    frames = [h for h in per_source.values() if h is not None and not h.empty]
    if not frames:
        return pd.DataFrame(columns=PRICE_HISTORY_COLUMNS), pd.DataFrame(columns=CHANGE_COLUMNS)
    history = pd.concat(frames, ignore_index=True)
    history = history.sort_values(HISTORY_KEY + ["valid_from"], kind="stable").reset_index(drop=True)
    return history[PRICE_HISTORY_COLUMNS], changes_from_history(history)


def changes_from_history(history: pd.DataFrame) -> pd.DataFrame:
    """Every change in a price history: a row closed at the very moment the next row of the
    same (source, offering, price type) opens. A gap between them (the price vanished for a
    while) is not a change."""
    if history.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    rows = history.sort_values(HISTORY_KEY + ["valid_from"], kind="stable").reset_index(drop=True)
    following = rows.groupby(HISTORY_KEY, sort=False).shift(-1)
    changed = rows["valid_to"].notna() & following["valid_from"].notna() & (rows["valid_to"] == following["valid_from"])
    old = rows.loc[changed]
    new = following.loc[changed]
    old_value = old["usd_per_mtok"].astype(float).to_numpy()
    new_value = new["usd_per_mtok"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(old_value > 0, (new_value - old_value) / np.where(old_value > 0, old_value, 1.0) * 100.0, np.nan)
    changes = pd.DataFrame(
        {
            "changed_on": pd.to_datetime(new["valid_from"], utc=True).dt.date.to_numpy(),
            "source": old["source"].to_numpy(),
            "provider_id": old["provider_id"].to_numpy(),
            "provider_model_id": old["provider_model_id"].to_numpy(),
            "model_key": new["model_key"].to_numpy(),
            "price_type": old["price_type"].to_numpy(),
            "above_tokens": old["above_tokens"].to_numpy(),
            "old_usd_per_mtok": old_value,
            "new_usd_per_mtok": new_value,
            "pct_change": np.round(pct.astype(float), 4),
        },
        columns=CHANGE_COLUMNS,
    )
    return changes.sort_values(["changed_on", *HISTORY_KEY], kind="stable").reset_index(drop=True)
