"""Backfills of dated price snapshots: the history assets and the partitioned job an operator
launches over a date range (Dagster UI: job ``price_backfill_job`` > Launchpad / Backfill, or the
``daily_price_snapshot`` asset's partitions). Resources ``http`` and ``archive`` are the
catalog's own (pipelines.catalog.default_resources)."""

from __future__ import annotations

import dagster as dg

from assets.backfill.assets import backfilled_price_history, daily_price_snapshot

HISTORY_GROUP = "history"

# Partitioned by day like its asset (assets.backfill.assets.daily_partitions). One run per date:
# a date without a payload fails alone, the others still land.
price_backfill_job = dg.define_asset_job(
    "price_backfill_job",
    selection=dg.AssetSelection.assets(daily_price_snapshot),
    description=(
        "Dated price snapshot of one day (partition): each dated source's payload as of that day from the raw "
        "archive or git, normalised, written to $AISI_HOME/history/prices/date=YYYY-MM-DD/. Launch a backfill "
        "over a date range, then materialise backfilled_price_history (price_history_job)."
    ),
    executor_def=dg.in_process_executor,
)

# The history over every dated snapshot (not partitioned).
price_history_job = dg.define_asset_job(
    "price_history_job",
    selection=dg.AssetSelection.assets(backfilled_price_history),
    description="Rebuilds the price history and price changes from every dated price snapshot.",
    executor_def=dg.in_process_executor,
)


def backfill_assets() -> list[dg.AssetsDefinition]:
    return [daily_price_snapshot, backfilled_price_history]


def backfill_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    return [price_backfill_job, price_history_job]
