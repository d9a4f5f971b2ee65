"""Backfills of dated price snapshots: the history assets and the partitioned job an operator
launches over a date range (Dagster UI: job ``price_backfill_job`` > Launchpad / Backfill, or the
``daily_price_snapshot`` asset's partitions). Resources ``http`` and ``archive`` are the shared
ones (pipelines.resources.defaults)."""

from __future__ import annotations

from typing import Any, Mapping

import dagster as dg

from pipelines.history.assets import backfilled_price_history, daily_price_snapshot
from pipelines.resources.defaults import shared_resources

HISTORY_GROUP = "history"

# Partitioned by day like its asset (pipelines.history.assets.daily_partitions). One run per date:
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


def definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The history area: the dated snapshot and history assets and their two jobs."""
    return dg.Definitions(assets=backfill_assets(), jobs=backfill_jobs(), resources=dict(resources or shared_resources()))
