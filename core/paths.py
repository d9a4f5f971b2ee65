"""Where the platform keeps its files: everything lives under ``AISI_HOME`` (default ``./data``)."""

from __future__ import annotations

from pathlib import Path

from core.settings import settings

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
CONFIG_DIR = REPO_ROOT / "config"
WAREHOUSE_FILE = "warehouse.duckdb"  # the embedded warehouse, under $AISI_HOME
LATEST_SNAPSHOT = "latest.duckdb"  # the symlink to the snapshot served, in snapshots_dir()


def aisi_home() -> Path:
    """The data directory: raw archive, snapshots and Dagster instance files."""
    return settings().home


def snapshots_dir(home: Path | None = None) -> Path:
    return (home or aisi_home()) / "snapshots"


def published(home: Path | None = None) -> bool:
    """Whether this home has ever published a snapshot (the symlink to the one served exists)."""
    return (snapshots_dir(home) / LATEST_SNAPSHOT).exists()


def raw_dir(home: Path | None = None) -> Path:
    return (home or aisi_home()) / "raw"


def dagster_home(home: Path | None = None) -> Path:
    return (home or aisi_home()) / "dagster"


def read_sql(relative: str) -> str:
    """The text of a SQL file under ``sql/``."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")
