"""The API's SQL, kept in ``sql/api/*.sql`` with ``$name`` parameters.

DuckDB takes ``$name`` as it is; for psycopg each becomes ``%(name)s`` (and a literal
``%`` becomes ``%%``). Values always travel as driver parameters.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

SQL_API_DIR = Path(__file__).resolve().parent.parent / "sql" / "api"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


@functools.lru_cache(maxsize=None)
def duckdb_sql(name: str) -> str:
    return (SQL_API_DIR / f"{name}.sql").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def postgres_sql(name: str) -> str:
    return _PARAM.sub(r"%(\1)s", duckdb_sql(name).replace("%", "%%"))
