"""The warehouse, its snapshot exports and PostgreSQL maintenance access as Dagster resources
(the stores themselves are ``core.stores.warehouse``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource
from pydantic import Field

from core.paths import WAREHOUSE_FILE, aisi_home, snapshots_dir

if TYPE_CHECKING:  # the stores (and pandas) are imported when a run opens one, not to define the resources
    from core.stores.warehouse import DuckDBWarehouse, PostgresWarehouse, SnapshotStore


class SnapshotStoreResource(ConfigurableResource):
    """DuckDB snapshot directory; default ``$AISI_HOME/snapshots``."""

    directory: str | None = Field(default=None, description="Snapshot directory; default $AISI_HOME/snapshots.")
    keep: int = Field(default=30, description="How many snapshot files to keep (the newest).")

    def open(self) -> SnapshotStore:
        from core.stores.warehouse import SnapshotStore

        return SnapshotStore(Path(self.directory) if self.directory else snapshots_dir(), keep=self.keep)


class WarehouseResource(ConfigurableResource):
    """The system of record: PostgreSQL ``curated`` when ``url`` (AISI_DATABASE_URL) is set,
    otherwise the DuckDB file ``path`` (default ``$AISI_HOME/warehouse.duckdb``)."""

    url: str | None = Field(default=None, description="postgresql:// URL (AISI_DATABASE_URL); empty: the embedded DuckDB warehouse.")
    path: str | None = Field(default=None, description="The embedded warehouse file; default $AISI_HOME/warehouse.duckdb.")

    def open(self) -> DuckDBWarehouse | PostgresWarehouse:
        from core.stores.warehouse import DuckDBWarehouse, PostgresWarehouse

        if self.url:
            return PostgresWarehouse(self.url)
        return DuckDBWarehouse(Path(self.path) if self.path else aisi_home() / WAREHOUSE_FILE)


class PostgresResource(ConfigurableResource):
    """PostgreSQL for maintenance (VACUUM of ``curated`` and ``monitor``); empty ``url`` skips it."""

    url: str | None = Field(default=None, description="postgresql:// URL (AISI_DATABASE_URL); empty disables it.")
