"""Where dated price snapshots and the backfilled history live under ``$AISI_HOME/history``.

``history/prices/date=YYYY-MM-DD/<source>.parquet``: one day's prices per source. A day is
rewritten whole: its files are written into a hidden directory beside it, which then takes
the day's place, so re-materialising a date replaces its files (a source no longer there
leaves no stale file) and a run that fails half way leaves the previous day whole.
``history/price_history.parquet`` and ``history/price_changes.parquet``: built from all days.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from core.paths import aisi_home
from core.sqlfiles import duckdb_sql


def history_dir(home: Path | None = None) -> Path:
    return (home or aisi_home()) / "history"


def prices_dir(home: Path | None = None) -> Path:
    return history_dir(home) / "prices"


def day_dir(day: date, home: Path | None = None) -> Path:
    return prices_dir(home) / f"date={day.isoformat()}"


def days_glob(home: Path | None = None) -> str:
    return str(prices_dir(home) / "date=*" / "*.parquet")


def write_day(day: date, frames: dict[str, pd.DataFrame], home: Path | None = None) -> dict[str, Path]:
    """Replaces the day's files with one Parquet file per source; returns source -> final path."""
    target = day_dir(day, home)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        for source, frame in frames.items():
            frame.to_parquet(staging / f"{source}.parquet", index=False)
        retired = None
        if target.exists():
            retired = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, retired)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return {source: target / f"{source}.parquet" for source in frames}


def has_days(home: Path | None = None) -> bool:
    root = prices_dir(home)
    return root.is_dir() and any(root.glob("date=*/*.parquet"))


def read_days(home: Path | None = None) -> pd.DataFrame:
    """Every dated snapshot's rows (``sql/backfill/dated_prices.sql``), in date order."""
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        frame = conn.execute(duckdb_sql("backfill/dated_prices.sql"), {"files": days_glob(home)}).df()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Writes ``frame`` beside ``path`` and renames it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
