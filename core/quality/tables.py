"""The published tables' contract, read from the migrations the snapshot is built from.

Each catalog frame is published into the table of the same name (``sql/migrations``, run into
every DuckDB snapshot and applied to PostgreSQL). The table says which columns must exist,
their SQL types, which may not be null and the primary key, so the checks follow any migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from core.quality.expectations import NUMBER, STRING, TIMESTAMP

# SQL type -> the kind of value the frame must hold (others, such as DATE, BOOLEAN and
# VARCHAR[], are not type-checked: pandas holds them as objects of several types).
SQL_KINDS = {
    "VARCHAR": STRING,
    "DOUBLE": NUMBER,
    "FLOAT": NUMBER,
    "REAL": NUMBER,
    "BIGINT": NUMBER,
    "INTEGER": NUMBER,
    "SMALLINT": NUMBER,
    "HUGEINT": NUMBER,
    "TIMESTAMP WITH TIME ZONE": TIMESTAMP,
    "TIMESTAMP": TIMESTAMP,
}


@dataclass(frozen=True)
class TableContract:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, SQL type) in table order
    not_null: tuple[str, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def kind(self, column: str) -> str | None:
        return SQL_KINDS.get(dict(self.columns)[column])


@lru_cache(maxsize=1)
def table_contracts() -> dict[str, TableContract]:
    """Every table of the snapshot, from the migrations run into an in-memory DuckDB."""
    import duckdb

    from core.stores.warehouse import create_schema

    with duckdb.connect() as con:
        create_schema(con)
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
        keys = dict(
            con.execute(
                "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
        )
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for table, column, data_type, nullable in rows:
        tables.setdefault(table, []).append((column, data_type, nullable))
    return {
        table: TableContract(
            name=table,
            columns=tuple((c, t) for c, t, _ in columns),
            not_null=tuple(c for c, _, n in columns if n == "NO"),
            primary_key=tuple(keys.get(table, ())),
        )
        for table, columns in tables.items()
    }


def table_contract(name: str) -> TableContract:
    return table_contracts()[name]
