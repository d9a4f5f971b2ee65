"""Publish assets (group ``publish``): the DuckDB snapshot file and PostgreSQL ``curated``."""


from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg
import pandas as pd

from resources.warehouse import PostgresResource, SnapshotStoreResource

CORE_TABLES = (
    "providers", "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs",
    "changes", "model_presence", "price_disagreements", "source_disagreements", "quarantine", "reference_prices",
)


@dataclass(frozen=True)
class Publication:
    snapshot_id: str
    path: str
    tables: dict[str, pd.DataFrame]


def _publishes(previous: pd.DataFrame | None, row: dict[str, object]) -> pd.DataFrame:
    current = pd.DataFrame([row])
    current["published_at"] = pd.to_datetime(current["published_at"], utc=True)
    if previous is None or previous.empty:
        return current
    return pd.concat([previous[current.columns], current], ignore_index=True)


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    ins={name: dg.AssetIn(name) for name in CORE_TABLES},
    description=(
        "The published snapshot: $AISI_HOME/snapshots/<UTC timestamp>.duckdb, written aside and renamed "
        "into place, with latest.duckdb pointing at it. Tables providers, models, offerings, prices, "
        "source_runs, changes, source_disagreements, quarantine, reference_prices, publishes and the view current_prices. Analysts open it with DuckDB."
    ),
    retry_policy=dg.RetryPolicy(max_retries=1, delay=1),
)
def duckdb_snapshot(context: dg.AssetExecutionContext, snapshots: SnapshotStoreResource, **tables: pd.DataFrame) -> Publication:
    store = snapshots.open()
    now = datetime.now(timezone.utc)
    snapshot_id = store.new_snapshot_id(now)
    full = dict(tables)
    full["publishes"] = _publishes(
        store.read_table("snapshot/previous_publishes.sql"),
        {
            "snapshot_id": snapshot_id,
            "run_id": context.run.run_id,
            "published_at": now,
            "models": len(tables["models"]),
            "offerings": len(tables["offerings"]),
            "prices": int(tables["prices"]["valid_to"].isna().sum()),
        },
    )
    published = store.write(snapshot_id, full)
    context.log.info(f"snapshot {published.path} ({published.rows})")
    context.add_output_metadata(
        {
            "path": dg.MetadataValue.path(str(published.path)),
            "latest": dg.MetadataValue.path(str(store.latest)),
            "snapshot_id": snapshot_id,
            "rows": dg.MetadataValue.json(published.rows),
        }
    )
    return Publication(snapshot_id=snapshot_id, path=str(published.path), tables=published.tables)


@dg.asset(
    group_name="publish",
    kinds={"postgres"},
    description=(
        "The same tables in PostgreSQL schema `curated`, migrated by yoyo from sql/migrations and "
        "replaced in one transaction per publish. Skipped when AISI_DATABASE_URL is not set."
    ),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
)
def postgres_curated(context: dg.AssetExecutionContext, postgres: PostgresResource, duckdb_snapshot: Publication) -> dict[str, object]:
    warehouse = postgres.open()
    if warehouse is None:
        context.log.info("PostgreSQL publish skipped: AISI_DATABASE_URL is not set")
        context.add_output_metadata({"status": "skipped", "reason": "AISI_DATABASE_URL not set"})
        return {"status": "skipped"}
    applied = warehouse.migrate()
    rows = warehouse.publish(duckdb_snapshot.tables)
    context.add_output_metadata(
        {"status": "published", "snapshot_id": duckdb_snapshot.snapshot_id, "migrations_applied": len(applied), "rows": dg.MetadataValue.json(rows)}
    )
    return {"status": "published", "snapshot_id": duckdb_snapshot.snapshot_id, "rows": rows}
