"""Retention of DuckDB snapshots (``$AISI_HOME/snapshots``): keep the newest ``AISI_SNAPSHOT_KEEP``
(default 30) and the last snapshot of each UTC day for ``AISI_SNAPSHOT_DAILY_DAYS`` (default 90),
never the one ``latest.duckdb`` points to, and never a file whose name is not a snapshot id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.stores.snapshot_retention import keep_from_env, plan, snapshot_time

__all__ = ["keep_from_env", "plan", "prune_snapshots", "snapshot_time", "SnapshotPruneReport"]


@dataclass
class SnapshotPruneReport:
    deleted: list[str]
    bytes_freed: int
    kept: int
    kept_daily: int


def prune_snapshots(directory: Path, latest: Path | None, snapshots: list[Path], now: datetime, keep: int,
                    daily_days: int) -> SnapshotPruneReport:
    decided = plan(snapshots, latest, now, keep, daily_days)
    freed = 0
    for path in decided.delete:
        for victim in (path, Path(f"{path}.wal")):
            try:
                freed += victim.stat().st_size
                victim.unlink()
            except FileNotFoundError:
                pass
    return SnapshotPruneReport(
        deleted=sorted(p.name for p in decided.delete), bytes_freed=freed, kept=len(decided.keep),
        kept_daily=sum(1 for why in decided.keep.values() if why.startswith("last of")),
    )
