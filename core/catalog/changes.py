"""The change feed: what changed between the previous publish and this one.

Pure functions on small frames; the ``catalog`` asset feeds them the previous snapshot's
state (``sql/snapshot/previous_*.sql``) and this run's merge. Kinds:

- ``model_added``: a model that was not known before (not in the previous snapshot's models
  and not tracked as still present); nothing on the first publish of an empty store.
- ``model_removed``: only after the model has been absent for ``AISI_REMOVED_AFTER_RUNS``
  consecutive runs in which every source that listed it ran healthy and none listed it.
- ``price_changed``: an open price row closed and reopened with another value.
- ``context_changed`` / ``status_changed``: ``models.context_window`` / ``models.status``
  changed (a value appearing or vanishing is coverage, not a change).
- ``source_disagreement``: two sources newly differ on a price beyond the tolerance; an
  ongoing disagreement is not reported again.

An unchanged refresh yields no row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from core.catalog.merge import OFFERING_KEY, PRICE_KEY
from core.settings import settings

KINDS = ("model_added", "model_removed", "price_changed", "context_changed", "status_changed", "source_disagreement")
CHANGE_COLUMNS = ["detected_at", "kind", "model_key", "provider_id", "provider_model_id", "field", "old", "new", "pct_change", "source", "run_id"]
PRESENCE_COLUMNS = ["model_key", "sources", "last_seen_at", "missing_runs", "removed_at"]
PAIR = ["source_a", "source_b"]
DISAGREEMENT_KEY = PRICE_KEY + PAIR
DISAGREEMENT_COLUMNS = OFFERING_KEY + ["model_key", "price_type", "above_tokens"] + PAIR + ["value_a", "value_b", "detected_at"]
QUALITY_COLUMNS = PAIR + ["offerings_compared", "disagreements", "share", "detected_at"]
# A run only proves a model gone when its sources served fresh data (not a fallback).
UNHEALTHY_BADGES = ("cached", "config")


def removed_after_runs() -> int:
    """Consecutive healthy absent runs before ``model_removed``: ``AISI_REMOVED_AFTER_RUNS`` or 3."""
    return settings().removed_after_runs


def healthy_sources(runs: pd.DataFrame) -> set[str]:
    """The sources of ``runs`` (one run's source_runs rows) that ran healthy: status ok with
    fresh data (badge neither cached nor config)."""
    ok = (runs["status"] == "ok") & runs["badge"].notna() & ~runs["badge"].isin(UNHEALTHY_BADGES)
    return set(runs.loc[ok, "source"])


def listings(batch_offerings: list[pd.DataFrame], offerings: pd.DataFrame) -> pd.DataFrame:
    """``(model_key, source)`` for every source listing each model this run, with the merged
    offering's model key."""
    frames = [f[OFFERING_KEY + ["source"]] for f in batch_offerings if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["model_key", "source"])
    listed = pd.concat(frames, ignore_index=True).merge(offerings[OFFERING_KEY + ["model_key"]], on=OFFERING_KEY)
    return listed[["model_key", "source"]].drop_duplicates().reset_index(drop=True)


def _text(value: object) -> str | None:
    """A value as the feed's text: numbers without float noise, None for missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else format(number, ".12g")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _pct(old: pd.Series, new: pd.Series) -> pd.Series:
    """(new - old) / old * 100 where old > 0, else NaN."""
    old, new = old.astype(float), new.astype(float)
    return ((new - old) / old.where(old > 0) * 100).round(6)


def _rows(kind: str, frame: pd.DataFrame, **columns: pd.Series | object) -> pd.DataFrame:
    """Change rows of ``kind`` (without detected_at / run_id), one per row of ``frame``."""
    out = pd.DataFrame(index=frame.index)
    out["kind"] = kind
    for column in CHANGE_COLUMNS[2:-1]:
        out[column] = columns.get(column)
    return out.reset_index(drop=True)


def _empty_changes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in CHANGE_COLUMNS})
    frame["detected_at"] = pd.Series(dtype="datetime64[us, UTC]")
    frame["pct_change"] = pd.Series(dtype=float)
    return frame


@dataclass
class Presence:
    table: pd.DataFrame  # the new model_presence
    added: pd.DataFrame  # model_added rows
    removed: pd.DataFrame  # model_removed rows
    baseline: bool  # first publish of an empty store: nothing to compare with


def _previous_presence(previous: pd.DataFrame | None) -> pd.DataFrame:
    if previous is None or previous.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PRESENCE_COLUMNS})
    frame = previous[PRESENCE_COLUMNS].copy()
    frame["missing_runs"] = frame["missing_runs"].astype(int)
    return frame


def _all_healthy(sources: str, healthy: set[str]) -> bool:
    """True when every source in the comma-separated ``sources`` ran healthy (and there is one)."""
    names = [s for s in str(sources or "").split(",") if s]
    return bool(names) and all(name in healthy for name in names)


def _count_absences(gone: pd.DataFrame, healthy: set[str], now: pd.Timestamp, removed_after: int) -> tuple[pd.DataFrame, pd.Series]:
    """Tracked models not listed this run: one more missing run where every source that last
    listed them ran healthy; ``removed_at`` set on reaching ``removed_after``. Returns the rows
    and which of them were removed now."""
    gone = gone.copy()
    still_open = gone["removed_at"].isna()
    confirmed = still_open & gone["sources"].map(lambda s: _all_healthy(s, healthy)).astype(bool)
    gone.loc[confirmed, "missing_runs"] = gone.loc[confirmed, "missing_runs"] + 1
    removed_now = still_open & (gone["missing_runs"] >= removed_after)
    gone.loc[removed_now, "removed_at"] = now
    return gone, removed_now


def _presence_table(seen: pd.DataFrame, gone: pd.DataFrame) -> pd.DataFrame:
    present = [f for f in (seen, gone) if not f.empty]
    table = pd.concat(present, ignore_index=True) if present else seen
    table = table.sort_values("model_key").reset_index(drop=True)[PRESENCE_COLUMNS]
    for column in ("last_seen_at", "removed_at"):
        table[column] = pd.to_datetime(table[column], utc=True)
    table["missing_runs"] = table["missing_runs"].astype(int)
    return table


def track_presence(
    previous: pd.DataFrame | None,
    previous_models: pd.DataFrame | None,
    listed: pd.DataFrame,
    healthy: set[str],
    now: datetime,
    removed_after: int,
) -> Presence:
    """The new presence table and the models added and removed this run.

    A listed model is seen now (counter reset, ``removed_at`` cleared); one no longer listed
    ages by ``_count_absences``. Known models are the previous snapshot's models plus those
    still tracked as present (a model that vanished with a failed source and comes back is not
    added again); a removed model that comes back is."""
    prev = _previous_presence(previous)
    sources = listed.groupby("model_key")["source"].agg(lambda s: ",".join(sorted(set(s))))
    seen = pd.DataFrame({"model_key": sources.index, "sources": sources.values})
    seen = seen.assign(last_seen_at=pd.Timestamp(now), missing_runs=0, removed_at=pd.NaT)
    gone, removed_now = _count_absences(prev[~prev["model_key"].isin(sources.index)], healthy, pd.Timestamp(now), removed_after)

    previous_keys = set() if previous_models is None else set(previous_models["model_key"])
    known = previous_keys | set(prev.loc[prev["removed_at"].isna(), "model_key"])
    baseline = prev.empty and not previous_keys
    new_keys = seen.iloc[0:0] if baseline else seen[~seen["model_key"].isin(known)]
    removed = gone[removed_now]
    return Presence(
        table=_presence_table(seen, gone),
        added=_rows("model_added", new_keys, model_key=new_keys["model_key"], source=new_keys["sources"]),
        removed=_rows("model_removed", removed, model_key=removed["model_key"], source=removed["sources"]),
        baseline=baseline,
    )


def price_field(prices: pd.DataFrame) -> pd.Series:
    """The ``field`` of a price change: the price type, with its tier for a long-context price
    (``input above 200000 tokens``); a base price is the price type alone."""
    tiers = pd.to_numeric(prices["above_tokens"]).fillna(0).astype("int64")
    fields = [f"{kind} above {n} tokens" if n else str(kind) for kind, n in zip(prices["price_type"], tiers)]
    return pd.Series(fields, index=prices.index, dtype=object)


def price_changes(history: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """``price_changed`` rows: per offering and price type, the open row closed at ``now`` and
    the one opened at ``now`` with another value (a new or withdrawn price is not a change)."""
    now_ts = pd.Timestamp(now)
    closed = history[history["valid_to"] == now_ts]
    opened = history[(history["valid_from"] == now_ts) & history["valid_to"].isna()]
    pairs = closed[PRICE_KEY + ["usd_per_mtok"]].merge(opened, on=PRICE_KEY, suffixes=("_old", ""))
    pairs = pairs[~np.isclose(pairs["usd_per_mtok_old"].astype(float), pairs["usd_per_mtok"].astype(float), rtol=1e-9, atol=1e-12)]
    return _rows(
        "price_changed",
        pairs,
        model_key=pairs["model_key"],
        provider_id=pairs["provider_id"],
        provider_model_id=pairs["provider_model_id"],
        field=price_field(pairs),
        old=pairs["usd_per_mtok_old"].map(_text),
        new=pairs["usd_per_mtok"].map(_text),
        pct_change=_pct(pairs["usd_per_mtok_old"], pairs["usd_per_mtok"]),
        source=pairs["source"],
    )


def model_changes(previous_models: pd.DataFrame | None, models: pd.DataFrame) -> pd.DataFrame:
    """``context_changed`` and ``status_changed`` rows for models in both publishes whose known
    context window or lifecycle status differs."""
    if previous_models is None or previous_models.empty or models.empty:
        return _empty_changes().drop(columns=["detected_at", "run_id"])
    joined = previous_models[["model_key", "context_window", "status"]].merge(
        models[["model_key", "context_window", "status", "status_source", "source"]], on="model_key", suffixes=("_old", "")
    )
    old_ctx, new_ctx = pd.to_numeric(joined["context_window_old"]), pd.to_numeric(joined["context_window"])
    context = joined[old_ctx.notna() & new_ctx.notna() & (old_ctx != new_ctx)]
    status = joined[joined["status_old"].notna() & joined["status"].notna() & (joined["status_old"] != joined["status"])]
    frames = [
        _rows(
            "context_changed",
            context,
            model_key=context["model_key"],
            field="context_window",
            old=context["context_window_old"].map(_text),
            new=context["context_window"].map(_text),
            pct_change=_pct(context["context_window_old"], context["context_window"]),
            source=context["source"],
        ),
        _rows(
            "status_changed",
            status,
            model_key=status["model_key"],
            field="status",
            old=status["status_old"],
            new=status["status"],
            source=status["status_source"].fillna(status["source"]),
        ),
    ]
    return pd.concat(frames, ignore_index=True)


def track_disagreements(previous: pd.DataFrame | None, comparisons: pd.DataFrame, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The current disagreements (``price_disagreements``, each with when it was first seen)
    and ``source_disagreement`` rows for those not in ``previous``. ``previous`` None (no
    earlier state) is a baseline: nothing is reported."""
    now_ts = pd.Timestamp(now)
    current = comparisons[comparisons["disagrees"].astype(bool)].drop(columns="disagrees")
    if previous is not None and not previous.empty:
        current = current.merge(previous[DISAGREEMENT_KEY + ["detected_at"]], on=DISAGREEMENT_KEY, how="left")
    else:
        current = current.assign(detected_at=pd.NaT)
    new = current[current["detected_at"].isna()] if previous is not None else current.iloc[0:0]
    state = current.assign(detected_at=pd.to_datetime(current["detected_at"], utc=True).fillna(now_ts))
    state = state.sort_values(DISAGREEMENT_KEY).reset_index(drop=True)[DISAGREEMENT_COLUMNS]
    rows = _rows(
        "source_disagreement",
        new,
        model_key=new["model_key"],
        provider_id=new["provider_id"],
        provider_model_id=new["provider_model_id"],
        field=price_field(new),
        old=new["value_a"].map(_text),
        new=new["value_b"].map(_text),
        pct_change=_pct(new["value_a"], new["value_b"]),
        source=new["source_a"] + "," + new["source_b"],
    )
    return state, rows


def source_quality(comparisons: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Per pair of sources: offerings both price, how many of them they disagree on, the share."""
    if comparisons.empty:
        frame = pd.DataFrame(columns=QUALITY_COLUMNS)
        frame["detected_at"] = pd.Series(dtype="datetime64[us, UTC]")
        return frame
    per_offering = comparisons.groupby(PAIR + OFFERING_KEY)["disagrees"].any().reset_index()
    quality = per_offering.groupby(PAIR).agg(offerings_compared=("disagrees", "size"), disagreements=("disagrees", "sum")).reset_index()
    quality["disagreements"] = quality["disagreements"].astype(int)
    quality["share"] = (quality["disagreements"] / quality["offerings_compared"]).round(4)
    quality["detected_at"] = pd.Timestamp(now)
    return quality.sort_values(PAIR).reset_index(drop=True)[QUALITY_COLUMNS]


@dataclass
class PreviousState:
    """What the previous snapshot knew; each None when there is no snapshot or no such table."""

    models: pd.DataFrame | None = None
    presence: pd.DataFrame | None = None
    disagreements: pd.DataFrame | None = None
    changes: pd.DataFrame | None = None


@dataclass
class ChangeFeed:
    changes: pd.DataFrame  # the whole feed: previous rows plus this run's
    new: pd.DataFrame  # this run's rows
    presence: pd.DataFrame
    price_disagreements: pd.DataFrame
    source_disagreements: pd.DataFrame
    baseline: bool


def stamp(rows: list[pd.DataFrame], now: datetime, run_id: str) -> pd.DataFrame:
    """This run's change rows with ``detected_at`` and ``run_id``, in kind then key order."""
    present = [r for r in rows if not r.empty]
    if not present:
        return _empty_changes()
    frame = pd.concat(present, ignore_index=True)
    frame["detected_at"] = pd.Timestamp(now)
    frame["run_id"] = run_id
    frame["pct_change"] = frame["pct_change"].astype(float)
    frame["_kind"] = frame["kind"].map(KINDS.index)
    frame = frame.sort_values(["_kind", "model_key", "provider_id", "provider_model_id", "field", "source"], kind="stable", na_position="first")
    frame["detected_at"] = pd.to_datetime(frame["detected_at"], utc=True)
    return frame.reset_index(drop=True)[CHANGE_COLUMNS]


def _append(previous: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """The feed so far plus this run's rows (timestamps in UTC whatever the reader's zone)."""
    if previous is None or previous.empty:
        return new
    history = pd.concat([previous[CHANGE_COLUMNS], new], ignore_index=True) if not new.empty else previous[CHANGE_COLUMNS].copy()
    history["detected_at"] = pd.to_datetime(history["detected_at"], utc=True)
    return history.reset_index(drop=True)


def build_feed(
    previous: PreviousState,
    models: pd.DataFrame,
    listed: pd.DataFrame,
    healthy: set[str],
    prices: pd.DataFrame,
    comparisons: pd.DataFrame,
    now: datetime,
    run_id: str,
    removed_after: int,
    presence: Presence | None = None,
) -> ChangeFeed:
    """Every change of this run against ``previous``, and the state carried to the next run.
    ``prices`` is the new price history (closed / opened at ``now``); ``presence`` is this run's
    ``track_presence`` when the caller needed it first (else it is computed here)."""
    if presence is None:
        presence = track_presence(previous.presence, previous.models, listed, healthy, now, removed_after)
    disagreement_state, new_disagreements = track_disagreements(
        None if presence.baseline else previous.disagreements, comparisons, now
    )
    new = stamp(
        [presence.added, presence.removed, price_changes(prices, now), model_changes(previous.models, models), new_disagreements],
        now,
        run_id,
    )
    return ChangeFeed(
        changes=_append(previous.changes, new),
        new=new,
        presence=presence.table,
        price_disagreements=disagreement_state,
        source_disagreements=source_quality(comparisons, now),
        baseline=presence.baseline,
    )
