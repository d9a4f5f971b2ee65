"""Which DuckDB snapshots to keep: the newest ``AISI_SNAPSHOT_KEEP`` (default 30) and the last of
each UTC day for ``AISI_SNAPSHOT_DAILY_DAYS`` (default 90), never the one ``latest.duckdb``
points to, never a file whose name is not a snapshot id. Pure: used at each publish
(core.stores.warehouse) and by the daily maintenance job (pipelines.maintenance.snapshots)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from core.settings import settings

# warehouse._snapshot_id: UTC time, and "-N" when two publishes share a second.
SNAPSHOT_ID = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")


def keep_from_env() -> tuple[int, int]:
    return settings().snapshot_keep, settings().snapshot_daily_days


def snapshot_time(path: Path) -> tuple[datetime, int] | None:
    """When a snapshot was published (from its id) and its same-second counter; None for other files."""
    match = SNAPSHOT_ID.match(path.name.removesuffix(".duckdb"))
    if not match or not path.name.endswith(".duckdb"):
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc), int(match.group(2) or 0)


@dataclass
class SnapshotPlan:
    keep: dict[Path, str] = field(default_factory=dict)  # path -> why
    delete: list[Path] = field(default_factory=list)


def plan(paths: Iterable[Path], latest: Path | None, now: datetime, keep: int, daily_days: int) -> SnapshotPlan:
    """Which snapshot files stay (and why) and which go. Pure."""
    result = SnapshotPlan()
    dated: list[tuple[tuple[datetime, int], Path]] = []
    for path in paths:
        when = snapshot_time(path)
        if when is None:
            result.keep[path] = "not a snapshot id"
        else:
            dated.append((when, path))
    dated.sort(key=lambda item: item[0], reverse=True)  # newest first
    first_day: date = now.astimezone(timezone.utc).date() - timedelta(days=max(daily_days, 0) - 1)
    days_seen: set[date] = set()
    for rank, ((stamp, _), path) in enumerate(dated):
        day = stamp.date()
        if latest is not None and path.resolve() == latest.resolve():
            result.keep[path] = "latest"
        elif rank < keep:
            result.keep[path] = "newest"
        elif daily_days > 0 and day >= first_day and day not in days_seen:
            result.keep[path] = f"last of {day.isoformat()}"
        else:
            result.delete.append(path)
        days_seen.add(day)
    return result
