"""The catalog area's definitions: the source, records, merge, warehouse and snapshot assets,
their checks, the catalog job, one schedule per source cadence and the automation sensor that
recomputes what an input's change calls for."""

from __future__ import annotations

from typing import Any, Mapping

import dagster as dg

from core.code_version import derivation_version
from pipelines.catalog.checks import quality_checks
from pipelines.catalog.incremental import on_input_change
from pipelines.catalog.job import CATALOG_GROUPS, cadence_schedules, catalog_automation, catalog_executor, catalog_job
from pipelines.catalog.merge import catalog
from pipelines.catalog.normalise import records_assets
from pipelines.catalog.publish import duckdb_snapshot, warehouse_history
from pipelines.catalog.sources import source_assets
from pipelines.resources.defaults import shared_resources

__all__ = ["CATALOG_GROUPS", "all_assets", "definitions", "derived_assets"]


def derived_assets() -> list[dg.AssetsDefinition]:
    """Everything computed from the sources' payloads, versioned by the code that computes it
    and run when an input's data version (or that code) changed."""
    version = derivation_version()
    return list(dg.map_asset_specs(
        lambda spec: spec.replace_attributes(code_version=version, automation_condition=on_input_change()),
        [*records_assets(), catalog, warehouse_history, duckdb_snapshot],
    ))


def all_assets() -> list[dg.AssetsDefinition]:
    return [*source_assets(), *derived_assets()]


def definitions(resources: Mapping[str, Any] | None = None) -> dg.Definitions:
    """The catalog area, on the shared resources given by the root (or the defaults when alone)."""
    return dg.Definitions(
        assets=all_assets(),
        asset_checks=quality_checks(),
        jobs=[catalog_job],
        schedules=cadence_schedules(),
        sensors=[catalog_automation()],
        resources=dict(resources or shared_resources()),
        # The runs automation starts (the derived assets, no named job) execute like catalog_job.
        executor=catalog_executor(),
    )
