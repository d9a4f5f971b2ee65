"""The warehouse commit (group ``warehouse``) and the snapshot exported from it (group ``publish``)."""


from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg

from core.frames import Frame
from core.stores.commit import WarehouseCommit
from pipelines.resources.warehouse import SnapshotStoreResource, WarehouseResource

CORE_TABLES = (
    "providers", "models", "offerings", "prices", "model_aliases", "performance", "benchmarks", "source_runs",
    "changes", "model_presence", "price_disagreements", "source_disagreements", "quarantine", "reference_prices",
)


@dataclass(frozen=True)
class Publication:
    """What a publish wrote: its id, file and rows per table (not the tables: this output is kept
    by the run and stored by the IO manager, and the whole catalog twice over was the refresh's
    largest output at 10x)."""

    snapshot_id: str
    path: str
    rows: dict[str, int]


@dg.asset(
    name="warehouse",
    group_name="warehouse",
    kinds={"duckdb", "postgres"},
    ins={name: dg.AssetIn(name) for name in CORE_TABLES},
    description=(
        "The system of record: the catalog and its whole history (price rows with valid_from / valid_to, the "
        "change feed, benchmarks, performance, source runs, publishes). PostgreSQL schema `curated` when "
        "AISI_DATABASE_URL is set, otherwise $AISI_HOME/warehouse.duckdb. Each run commits once, in one "
        "transaction: current tables replaced, history merged by key (new price rows open, changed ones close, "
        "the rest appended; nothing stored is written twice). The catalog reads its starting state from here."
    ),
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
)
def warehouse_history(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, snapshots: SnapshotStoreResource, **tables: Frame
) -> WarehouseCommit:
    with warehouse.open() as store:
        store.migrate()
        commit = store.commit(tables, context.run.run_id, datetime.now(timezone.utc), taken=snapshots.open().snapshot_ids())
    written = {t: {"inserted": commit.inserted.get(t, 0), "updated": commit.updated.get(t, 0)} for t in commit.inserted}
    context.log.info(
        f"warehouse {store.location}: committed as {commit.snapshot_id}; price rows opened "
        f"{commit.inserted.get('prices', 0)}, updated {commit.updated.get('prices', 0)}, changes {commit.inserted.get('changes', 0)}"
    )
    context.add_output_metadata({
        "store": store.kind,
        "location": store.location,
        "snapshot_id": commit.snapshot_id,
        "price_rows_inserted": commit.inserted.get("prices", 0),
        "price_rows_updated": commit.updated.get("prices", 0),
        "changes_appended": commit.inserted.get("changes", 0),
        "rows_written": dg.MetadataValue.json(written),
    })
    return commit


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    ins={"commit": dg.AssetIn("warehouse")},
    description=(
        "The published snapshot: an immutable point-in-time export of the warehouse, "
        "$AISI_HOME/snapshots/<UTC timestamp>.duckdb, written aside and renamed into place, with latest.duckdb "
        "pointing at it. Tables providers, models, offerings, prices, source_runs, changes, source_disagreements, "
        "quarantine, reference_prices, publishes and the view current_prices. The read API serves it; analysts "
        "open it with DuckDB. Deleting snapshots loses nothing: the next publish exports the warehouse again."
    ),
    retry_policy=dg.RetryPolicy(max_retries=1, delay=1),
)
def duckdb_snapshot(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, snapshots: SnapshotStoreResource, commit: WarehouseCommit
) -> Publication:
    store = snapshots.open()
    with warehouse.open() as source:
        published = store.write(commit.snapshot_id, source)
    context.log.info(f"snapshot {published.path} ({published.rows})")
    context.add_output_metadata(
        {
            "path": dg.MetadataValue.path(str(published.path)),
            "latest": dg.MetadataValue.path(str(store.latest)),
            "snapshot_id": commit.snapshot_id,
            "rows": dg.MetadataValue.json(published.rows),
        }
    )
    return Publication(snapshot_id=commit.snapshot_id, path=str(published.path), rows=published.rows)
