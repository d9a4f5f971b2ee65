"""SQL files with ``$name`` parameters, for either driver.

DuckDB takes ``$name`` as it is; for psycopg each becomes ``%(name)s`` (and a literal ``%``
becomes ``%%``). Values always travel as driver parameters, never in the text.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from core.paths import read_sql

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


@functools.lru_cache(maxsize=None)
def duckdb_sql(relative: str) -> str:
    """``sql/<relative>`` as DuckDB runs it."""
    return read_sql(relative)


@functools.lru_cache(maxsize=None)
def postgres_sql(relative: str) -> str:
    """``sql/<relative>`` with psycopg's ``%(name)s`` placeholders."""
    return _PARAM.sub(r"%(\1)s", duckdb_sql(relative).replace("%", "%%"))


def as_dicts(result: Any) -> list[dict[str, Any]]:
    """A DB-API result's rows as dicts keyed by column name (DuckDB gives tuples)."""
    columns = [d[0] for d in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]
