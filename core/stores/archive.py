"""Raw archive: every fetched payload stored once by content hash, with its fetch record.

The index is a SQLite file (``raw/index.sqlite``, schema in ``sql/archive/``); payloads are
gzip files under ``raw/objects/<2 hex>/<sha256>.gz``. The newest good payload of a source
is what the source serves, badge ``cached``, when the source fails. Each fetch records what its
payload amounted to (entries, accepted offerings, price rows, rejected records, benchmark rows
and its field profile), which the payload guard compares the next payload with; a payload the
guard held back is kept with outcome ``held_back`` and never counts as good.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from core.paths import read_sql


@dataclass(frozen=True)
class ArchivedFetch:
    """The newest good fetch of a source, as the index records it."""

    url: str
    http_status: int | None
    etag: str | None
    last_modified: str | None
    sha256: str
    bytes: int
    fetched_at: str
    entries: int | None = None  # None: recorded before entry counts were kept
    accepted: int | None = None  # None (with the four below): recorded before record counts were kept
    prices: int | None = None
    rejected: int | None = None
    benchmarks: int | None = None
    profile: dict[str, float] | None = None  # field -> share of entries having it
    id: int | None = None  # the fetch's row in the index

    @property
    def measured(self) -> bool:
        """Whether the record counts were kept for this fetch."""
        return self.accepted is not None and self.profile is not None


class RawArchive:
    """Content-addressed payload store plus a fetch log."""

    def __init__(self, root: Path):
        self.root = root
        self.objects = root / "objects"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.index_path = root / "index.sqlite"
        with closing(self._connect()) as conn, conn:
            conn.executescript(read_sql("archive/schema.sql"))
            self._upgrade(conn)

    @staticmethod
    def _upgrade(conn: sqlite3.Connection) -> None:
        """Adds the columns an archive made by an older version lacks (``entries``, then the
        record counts and field profile), one ``ALTER TABLE`` per missing column."""
        columns = {row["name"] for row in conn.execute(read_sql("archive/fetch_columns.sql"))}
        for script in ("archive/add_entries.sql", "archive/add_payload_counts.sql"):
            for statement in _statements(read_sql(script)):
                column = statement.split("ADD COLUMN", 1)[1].split()[0]
                if column in columns:
                    continue
                try:
                    conn.execute(statement)
                except sqlite3.OperationalError as exc:  # another process added it meanwhile
                    if "duplicate column" not in str(exc):
                        raise

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.index_path, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def _object_path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / f"{sha256}.gz"

    def store(self, payload: bytes) -> str:
        """Stores ``payload`` once (by SHA-256) and returns its hash."""
        sha = hashlib.sha256(payload).hexdigest()
        path = self._object_path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            with gzip.open(tmp, "wb", compresslevel=6) as fh:
                fh.write(payload)
            os.replace(tmp, path)
        return sha

    def load(self, sha256: str) -> bytes:
        with gzip.open(self._object_path(sha256), "rb") as fh:
            return fh.read()

    def has(self, sha256: str) -> bool:
        return self._object_path(sha256).exists()

    def record(
        self,
        *,
        source: str,
        url: str,
        outcome: str,
        fetched_at: datetime,
        http_status: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        sha256: str | None = None,
        size: int | None = None,
        error: str | None = None,
        entries: int | None = None,
        accepted: int | None = None,
        prices: int | None = None,
        rejected: int | None = None,
        benchmarks: int | None = None,
        profile: Mapping[str, float] | None = None,
    ) -> None:
        params = {
            "source": source,
            "url": url,
            "http_status": http_status,
            "etag": etag,
            "last_modified": last_modified,
            "sha256": sha256,
            "bytes": size,
            "fetched_at": fetched_at.isoformat(),
            "outcome": outcome,
            "error": error,
            **_counts(entries, accepted, prices, rejected, benchmarks, profile),
        }
        with closing(self._connect()) as conn, conn:
            conn.execute(read_sql("archive/insert_fetch.sql"), params)

    def set_counts(
        self, fetch_id: int, *, entries: int, accepted: int, prices: int, rejected: int, benchmarks: int,
        profile: Mapping[str, float],
    ) -> None:
        """Keeps the counts of a fetch recorded before they were kept (measured from its payload)."""
        params = {"id": fetch_id, **_counts(entries, accepted, prices, rejected, benchmarks, profile)}
        with closing(self._connect()) as conn, conn:
            conn.execute(read_sql("archive/set_counts.sql"), params)

    def last_good(self, source: str) -> ArchivedFetch | None:
        with closing(self._connect()) as conn:
            row = conn.execute(read_sql("archive/last_good.sql"), {"source": source}).fetchone()
        if row is None or not self.has(row["sha256"]):
            return None
        fields = dict(row)
        fields["profile"] = json.loads(fields["profile"]) if fields["profile"] is not None else None
        return ArchivedFetch(**fields)

    def last_good_per_url(self, source: str) -> dict[str, tuple[str, str]]:
        """URL -> (payload sha256, fetched_at) of each URL's newest good fetch."""
        with closing(self._connect()) as conn:
            rows = conn.execute(read_sql("archive/last_good_per_url.sql"), {"source": source}).fetchall()
        return {row["url"]: (row["sha256"], row["fetched_at"]) for row in rows if self.has(row["sha256"])}

    def last_attempt_per_url(self, source: str) -> dict[str, str]:
        """URL -> when it was last requested (ISO time), failed requests included."""
        with closing(self._connect()) as conn:
            rows = conn.execute(read_sql("archive/last_attempt_per_url.sql"), {"source": source}).fetchall()
        return {row["url"]: row["attempted_at"] for row in rows}

    def fetch_count(self, source: str | None = None) -> int:
        with closing(self._connect()) as conn:
            return conn.execute(read_sql("archive/count_fetches.sql"), {"source": source}).fetchone()[0]


def _statements(script: str) -> list[str]:
    """The statements of a SQL file (split on ``;``, comments dropped)."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _counts(
    entries: int | None, accepted: int | None, prices: int | None, rejected: int | None, benchmarks: int | None,
    profile: Mapping[str, float] | None,
) -> dict[str, Any]:
    return {
        "entries": entries, "accepted": accepted, "prices": prices, "rejected": rejected, "benchmarks": benchmarks,
        "profile": json.dumps(dict(profile), sort_keys=True, separators=(",", ":")) if profile is not None else None,
    }
