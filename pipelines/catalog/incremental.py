"""Incremental catalog runs by data version: what a refresh must recompute after its fetches.

Every source asset reports a data version (its payload's hash and how it is served, see
``FetchOutcome.data_version``); Dagster records, with each derived asset's materialization, the
data versions of the inputs it was computed from and its code version. An asset is **stale** when
an input's version or its code version has changed since (or **missing** when it never ran). The
CLI asks Dagster's own stale-status resolver (the one behind the UI's "Materialize stale") and
runs only those assets and what depends on them; the daemon reaches the same result with the
automation condition :func:`on_input_change` on every derived asset.
"""

from __future__ import annotations

from typing import Iterable

import dagster as dg


def on_input_change() -> dg.AutomationCondition:
    """Dagster's ``eager`` condition, keyed on data versions rather than on every upstream run:
    request the asset when it has never run, when its code version changed, or when an input
    was materialized with a new data version; not while an input is missing or in progress, nor
    while an input's blocking check fails (nothing is committed that the checks held back)."""
    condition = dg.AutomationCondition
    trigger = (
        condition.newly_missing()
        | condition.code_version_changed()
        | condition.any_deps_match(condition.data_version_changed())
    )
    return (
        trigger.since_last_handled()
        & condition.all_deps_blocking_checks_passed()
        & ~condition.any_deps_missing()
        & ~condition.any_deps_in_progress()
        & ~condition.in_progress()
    ).with_label("on_input_change")


def stale_or_missing(definitions: dg.Definitions, instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> set[dg.AssetKey]:
    """Which of ``keys`` Dagster reports as stale or missing on ``instance`` now."""
    # Dagster's resolver is not exported at the top level; it is what the UI and the scheduler's
    # ``stale_assets_only`` run requests use.
    from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
    from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
    from dagster._core.storage.event_log.base import AssetRecord
    from dagster._time import get_current_datetime

    graph = definitions.resolve_asset_graph()
    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=graph,
    )
    # Every asset's record in one query, not one query (and one SQLite connection) per asset.
    AssetRecord.blocking_get_many(view, graph.get_all_asset_keys())
    resolver = CachingStaleStatusResolver(instance=instance, asset_graph=graph, loading_context=view)
    return {key for key in keys if resolver.get_status(key) in (StaleStatus.STALE, StaleStatus.MISSING)}
