"""The API's SQL, kept in ``sql/api/*.sql`` with ``$name`` parameters (see resources.sqlfiles)."""

from __future__ import annotations

from resources import sqlfiles


def duckdb_sql(name: str) -> str:
    return sqlfiles.duckdb_sql(f"api/{name}.sql")


def postgres_sql(name: str) -> str:
    return sqlfiles.postgres_sql(f"api/{name}.sql")
