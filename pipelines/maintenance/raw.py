"""Retention of the raw archive (``$AISI_HOME/raw``): each URL keeps its newest good payload (what
its source serves, badge ``cached``, when it fails) and everything fetched in the last
``AISI_RAW_RETENTION_DAYS`` (default 30); older fetch records go, then every payload object no
remaining record refers to. The archive's own code is untouched: these are its files and index.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.paths import read_sql
from core.settings import settings

# An object written in the last hour may belong to a fetch being recorded right now.
OBJECT_GRACE_S = 3600.0
# A crashed store leaves ``<sha>.tmp<pid>``; one a day old is garbage.
TMP_GRACE_S = 86400.0


def retention_days() -> int:
    return settings().raw_retention_days


@dataclass
class RawPruneReport:
    cutoff: str
    fetches_before: int
    fetches_deleted: int
    objects_deleted: int
    object_bytes_freed: int
    objects_kept: int
    temp_files_deleted: int
    index_bytes_before: int
    index_bytes_after: int
    index_vacuumed: bool = False


def _connect(index: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(index, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def prune_raw_archive(root: Path, now: datetime, keep_days: int, object_grace_s: float = OBJECT_GRACE_S) -> RawPruneReport:
    index = root / "index.sqlite"
    objects = root / "objects"
    cutoff = (now.astimezone(timezone.utc) - timedelta(days=keep_days)).isoformat()
    index_before = index.stat().st_size if index.exists() else 0
    fetches_before = deleted_rows = 0
    referenced: set[str] = set()
    if index.exists():
        with closing(_connect(index)) as conn:
            fetches_before = int(conn.execute(read_sql("maintenance/raw_counts.sql")).fetchone()["fetches"])
            with conn:
                deleted_rows = conn.execute(read_sql("maintenance/raw_prune_fetches.sql"), {"cutoff": cutoff}).rowcount
            referenced = {row["sha256"] for row in conn.execute(read_sql("maintenance/raw_referenced_objects.sql"))}
    deleted_objects = freed = kept = temps = 0
    wall = time.time()
    for path in sorted(objects.glob("*/*")) if objects.is_dir() else []:
        if not path.is_file():
            continue
        stat = path.stat()
        if path.name.endswith(".gz"):
            if path.name[: -len(".gz")] in referenced or wall - stat.st_mtime < object_grace_s:
                kept += 1
                continue
            path.unlink(missing_ok=True)
            deleted_objects, freed = deleted_objects + 1, freed + stat.st_size
        elif ".tmp" in path.name and wall - stat.st_mtime > TMP_GRACE_S:
            path.unlink(missing_ok=True)
            temps, freed = temps + 1, freed + stat.st_size
    index_vacuumed = False
    if deleted_rows and index.exists():
        try:
            with closing(sqlite3.connect(index, timeout=30, isolation_level=None)) as conn:
                conn.execute(read_sql("maintenance/sqlite_vacuum.sql"))
            index_vacuumed = True
        except sqlite3.OperationalError:  # busy with a long catalog run: the rows are gone, the pages stay until tomorrow
            index_vacuumed = False
    return RawPruneReport(
        cutoff=cutoff, fetches_before=fetches_before, fetches_deleted=max(deleted_rows, 0), objects_deleted=deleted_objects,
        object_bytes_freed=freed, objects_kept=kept, temp_files_deleted=temps, index_bytes_before=index_before,
        index_bytes_after=index.stat().st_size if index.exists() else 0, index_vacuumed=index_vacuumed,
    )
