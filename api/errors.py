"""The API's error answers and what a store's exception means for them."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from api.store import NoSnapshot

# PostgreSQL's undefined_table and invalid_schema_name: schema `curated` not made yet.
_NO_CATALOG_SQLSTATES = {"42P01", "3F000"}


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """``{"error": message, ...extra}`` with ``status``: the shape of every error the API sends."""
    return JSONResponse(status_code=status, content={"error": message, **extra})


def invalid_parameter(parameter: str, message: str) -> JSONResponse:
    """A 422 shaped like the validation errors (see ``create_app``'s handler)."""
    return error(422, f"invalid parameters: {parameter}: {message}", problems=[{"parameter": parameter, "message": message}])


class OutdatedSnapshot(Exception):
    """The served snapshot was written by an older version: a column this version reads is not in it."""


def no_catalog(exc: BaseException) -> bool:
    """Nothing published yet: no snapshot file, or no publish / no ``curated`` schema in PostgreSQL."""
    return isinstance(exc, NoSnapshot) or getattr(exc, "sqlstate", None) in _NO_CATALOG_SQLSTATES


def missing_table(exc: BaseException) -> bool:
    """A table the served snapshot does not have (published before the migration that added it)."""
    return type(exc).__name__ == "CatalogException" or getattr(exc, "sqlstate", None) in _NO_CATALOG_SQLSTATES


def missing_column(exc: BaseException) -> bool:
    """DuckDB's binder error on an unknown column, or PostgreSQL's undefined_column."""
    return type(exc).__name__ == "BinderException" or getattr(exc, "sqlstate", None) == "42703"
