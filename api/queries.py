"""The API's SQL, kept in ``sql/api/*.sql`` with ``$name`` parameters (see core.sqlfiles)."""

from __future__ import annotations

from core import sqlfiles


def duckdb_sql(name: str) -> str:
    return sqlfiles.duckdb_sql(f"api/{name}.sql")


def postgres_sql(name: str) -> str:
    return sqlfiles.postgres_sql(f"api/{name}.sql")
