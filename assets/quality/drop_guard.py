"""The sudden-drop guard: a source whose fresh payload has far fewer entries (models) than its
last good one is held back.

A source that suddenly lists far fewer models is more often broken (a truncated listing, an
error page that still parses, a region or key that sees less) than shrunk: its new payload is
archived as ``held_back`` (never the "last good" payload later fallbacks use), the source serves
its last good payload with badge ``cached`` and the error "sudden drop: ...", and its records
asset's ``sudden_drop`` check warns. A full payload again is accepted as usual.

``AISI_DROP_GUARD_SHARE`` (default 0.2) is the share of entries a payload may lose before it is
held back (a drop of more than 20 %); 1 turns the guard off (to accept a real shrink once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resources.settings import number_setting

SHARE_VARIABLE = "AISI_DROP_GUARD_SHARE"
DEFAULT_SHARE = 0.2
MESSAGE_PREFIX = "sudden drop"


def drop_guard_share() -> float:
    """The share of entries a payload may lose: ``AISI_DROP_GUARD_SHARE`` or 0.2."""
    return number_setting(None, SHARE_VARIABLE, DEFAULT_SHARE, 0.0, float, maximum=1.0)


@dataclass(frozen=True)
class DropCheck:
    """A fresh payload's entry count against the last good payload's."""

    source: str
    entries: int  # in the fresh payload
    previous: int | None  # in the last good payload; None when there is none
    threshold: float
    previous_fetched_at: str | None = None

    @property
    def drop(self) -> float:
        """The share of the last good count that is gone (0 when the count held or grew)."""
        if not self.previous:
            return 0.0
        return max(0.0, (self.previous - self.entries) / self.previous)

    @property
    def held_back(self) -> bool:
        return bool(self.previous) and self.drop > self.threshold

    @property
    def finding(self) -> str:
        """What was found: "sudden drop: 3 models vs 7 in the last good run (-57 %)"."""
        return f"{MESSAGE_PREFIX}: {self.entries} models vs {self.previous} in the last good run (-{self.drop * 100:.0f} %)"

    @property
    def message(self) -> str:
        """The source's error text when its payload is held back."""
        return f"{self.finding}; new data held back"

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "new_count": self.entries,
            "previous_count": self.previous,
            "drop_share": round(self.drop, 4),
            "threshold_share": self.threshold,
            "held_back": self.held_back,
            "previous_fetched_at": self.previous_fetched_at,
        }


def check_drop(
    source: str, entries: int, previous: int | None, previous_fetched_at: str | None = None, threshold: float | None = None
) -> DropCheck:
    return DropCheck(
        source=source,
        entries=entries,
        previous=previous,
        threshold=drop_guard_share() if threshold is None else threshold,
        previous_fetched_at=previous_fetched_at,
    )
