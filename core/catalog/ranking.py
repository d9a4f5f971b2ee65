"""How the merge ranks rows of several sources for the same thing: badge, own listing, priority."""

from __future__ import annotations

import pandas as pd

from core.sources.spec import BADGE_PRIORITY


def source_kinds() -> dict[str, str]:
    """Source name -> the badge its fresh data carries (from the registry)."""
    from core.sources.registry import ALL_SOURCES

    return {m.SPEC.name: m.SPEC.kind for m in ALL_SOURCES}


def badge_rank(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> pd.Series:
    """Each row's rank by badge (0 = manual). A ``cached`` row ranks as its source's own badge:
    a source serving its last good payload during an outage keeps the values it carried, so an
    outage never hands a field to a lower source (and never writes a change)."""
    kinds = source_kinds() if kinds is None else kinds
    cached = frame["source_kind"] == "cached"
    ranked_as = frame["source_kind"].where(~cached, frame["source"].map(kinds).fillna("cached"))
    return ranked_as.map({b: i for i, b in enumerate(BADGE_PRIORITY)}).fillna(len(BADGE_PRIORITY))


def own_listing_rank(frame: pd.DataFrame) -> pd.Series:
    """0 where the source is the provider itself (OpenRouter's own listing of provider
    ``openrouter``), else 1: among sources of one badge a provider's own listing wins over
    copies of it (models.dev's month-older copy of the ``openrouter`` provider)."""
    if "provider_id" not in frame.columns:
        return pd.Series(1, index=frame.index)
    return (frame["source"].astype(str).str.replace("_", "-") != frame["provider_id"].astype(str)).astype(int)
