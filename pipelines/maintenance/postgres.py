"""VACUUM (ANALYZE) every table of PostgreSQL's ``curated`` and ``monitor`` schemas.

VACUUM cannot run inside a transaction block, so the connection is in autocommit mode and each
table is one statement (a partitioned table once: VACUUM covers its partitions).
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from core.sqlfiles import duckdb_sql, postgres_sql

SCHEMAS = ("curated", "monitor")


def vacuum_analyze(url: str, schemas: Sequence[str] = SCHEMAS) -> list[dict[str, Any]]:
    """One row per table: its dead tuples and size before, its size after, and the seconds it took."""
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row

    template = duckdb_sql("maintenance/postgres_vacuum.sql")
    statement = "\n".join(line for line in template.splitlines() if not line.lstrip().startswith("--"))
    listing = postgres_sql("maintenance/postgres_tables.sql")
    done: list[dict[str, Any]] = []
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        before = conn.execute(listing, {"schemas": list(schemas)}).fetchall()
        for table in before:
            started = time.monotonic()
            conn.execute(sql.SQL(statement).format(table=sql.Identifier(table["schema_name"], table["table_name"])))
            done.append({**table, "seconds": round(time.monotonic() - started, 3)})
        after = {(r["schema_name"], r["table_name"]): r["bytes"] for r in conn.execute(listing, {"schemas": list(schemas)}).fetchall()}
    for row in done:
        row["bytes_after"] = after.get((row["schema_name"], row["table_name"]), row["bytes"])
    return done
