"""What one run of the ``catalog`` asset computes: every source merged onto the state the warehouse
holds, as the tables the asset outputs (``pipelines/catalog/merge.py`` declares the asset)."""


import json
from datetime import datetime, timezone
from typing import Iterator

import dagster as dg
import pandas as pd

from core.catalog.changes import (
    ChangeFeed,
    PreviousState,
    build_feed,
    healthy_sources,
    listings,
    removed_after_runs,
    track_presence,
)
from core.catalog.merge import (
    PRICE_KEY,
    benchmark_history,
    disagreement_tolerance,
    measurement_history,
    merge_catalog,
    price_history,
    provider_table,
)
from core.catalog.quarantine import hold_previous, quarantine_state
from core.catalog.reference import basis_counts
from core.catalog.retention import PreviousCatalog, carry_unlisted, renamed_keys
from core.identity import UNMATCHED, default_rules
from core.records import NormalisedBatch
from core.sources.registry import ALL_SOURCES
from core.stores.warehouse import Warehouse
from pipelines.catalog.checks import submit_table_checks
from pipelines.resources.warehouse import SnapshotStoreResource, WarehouseResource

SOURCE_PRIORITY = {m.SPEC.name: m.SPEC.priority for m in ALL_SOURCES}


def _source_run_rows(run_id: str, batches: list[NormalisedBatch]) -> pd.DataFrame:
    rows = []
    for batch in batches:
        fetch = batch.fetch
        scored = batch.benchmarks
        rows.append(
            {
                "run_id": run_id,
                "source": batch.source,
                "status": fetch.get("status", "ok"),
                "badge": fetch.get("badge"),
                # Offerings, plus the models a benchmark source scored (each counted once).
                "rows": len(batch.offerings) + scored["source_id"].nunique(),
                "entries": batch.entries,
                "rejected": len(batch.rejects),
                "rejected_reasons": json.dumps(batch.reject_reasons, sort_keys=True) if batch.reject_reasons else None,
                "unmatched": int((batch.offerings["identity_method"] == UNMATCHED).sum())
                + int(scored.loc[scored["identity_method"] == UNMATCHED, "source_id"].nunique()),
                "url": fetch.get("url"),
                "http_status": fetch.get("http_status"),
                "conditional": bool(fetch.get("conditional")),
                "not_modified": bool(fetch.get("not_modified")),
                "payload_sha256": fetch.get("sha256"),
                "payload_fetched_at": fetch.get("fetched_at"),
                "started_at": fetch.get("attempted_at") or datetime.now(timezone.utc),
                "error": fetch.get("error"),
                "forced": bool(fetch.get("forced")),
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("payload_fetched_at", "started_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["http_status"] = frame["http_status"].astype("Int64")
    return frame


def _previous_state(store: Warehouse) -> PreviousState:
    """The change feed's inputs from the warehouse (None while it has never been written)."""
    return PreviousState(
        models=store.state("models"),
        presence=store.state("model_presence"),
        disagreements=store.state("price_disagreements"),
        changes=store.state("changes"),
    )


def open_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource, snapshots: SnapshotStoreResource) -> Warehouse:
    """The warehouse, migrated; an existing home whose history lived only in snapshot files has
    it imported once from its latest snapshot."""
    store = warehouse.open()
    applied = store.migrate()
    if applied:
        context.log.info(f"warehouse {store.location}: applied migrations {', '.join(applied)}")
    latest = snapshots.open().latest_path()
    if latest is not None and store.is_empty():
        imported = store.import_snapshot(latest)
        context.log.info(f"warehouse {store.location}: history imported once from snapshot {latest.name}: "
                         + ", ".join(f"{t}={n}" for t, n in imported.items()))
    return store


def _log_feed(context: dg.AssetExecutionContext, feed: ChangeFeed) -> None:
    """One line in the run log: the baseline, or this run's changes by kind."""
    if feed.baseline:
        context.log.info(f"first publish: {len(feed.presence)} models recorded as the baseline; no changes reported")
    elif len(feed.new):
        counts = feed.new["kind"].value_counts().to_dict()
        context.log.info("changes: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))


def _feed_metadata(feed: ChangeFeed) -> dict[str, dict[str, object]]:
    """Asset metadata of the change feed's outputs: this run's changes by kind, the baseline
    note, and the disagreement figure per pair of sources."""
    by_kind = {str(k): int(v) for k, v in feed.new["kind"].value_counts().items()}
    changes: dict[str, object] = {"new_changes": len(feed.new), "new_by_kind": dg.MetadataValue.json(by_kind)}
    if feed.baseline:
        changes["note"] = (
            f"First publish of an empty store: {len(feed.presence)} models recorded as the baseline; "
            "no model_added (or other change) emitted."
        )
    removing = feed.presence[(feed.presence["missing_runs"] > 0) & feed.presence["removed_at"].isna()]
    pairs = [
        {"pair": f"{r.source_a},{r.source_b}", "offerings_compared": int(r.offerings_compared), "disagreements": int(r.disagreements), "share": float(r.share)}
        for r in feed.source_disagreements.itertuples()
    ]
    return {
        "changes": changes,
        "model_presence": {
            "missing_not_yet_removed": len(removing),
            "removed": int(feed.presence["removed_at"].notna().sum()),
            "removed_after_runs": removed_after_runs(),
        },
        "price_disagreements": {"tolerance": disagreement_tolerance(), "new": int((feed.new["kind"] == "source_disagreement").sum())},
        "source_disagreements": {
            "disagreements_total": int(feed.source_disagreements["disagreements"].sum()),
            "by_pair": dg.MetadataValue.json(pairs),
            "tolerance": disagreement_tolerance(),
        },
    }


def merged_tables(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, snapshots: SnapshotStoreResource, batches: list[NormalisedBatch]
) -> Iterator[dg.Output[pd.DataFrame]]:
    """The catalog's outputs, one per table of ``TABLE_DESCRIPTIONS``, from ``batches`` (one per source,
    in the registry's order)."""
    now = datetime.now(timezone.utc)
    merged = merge_catalog(batches, SOURCE_PRIORITY, default_rules().first_party)
    store = open_warehouse(context, warehouse, snapshots)
    previous = _previous_state(store)
    previous_prices = store.state("prices")
    runs = _source_run_rows(context.run.run_id, batches)
    listed = listings([b.offerings for b in batches], merged.offerings)
    healthy = healthy_sources(runs)
    previous_aliases = store.state("model_aliases")
    renamed = renamed_keys(previous_aliases, merged.model_aliases, set(merged.models["model_key"]))
    if renamed and previous.presence is not None:  # renamed, not removed: no longer tracked
        previous.presence = previous.presence[~previous.presence["model_key"].isin(renamed)]
    presence = track_presence(previous.presence, previous.models, listed, healthy, now, removed_after_runs())
    merged, carried = carry_unlisted(
        merged,
        PreviousCatalog(
            models=previous.models,
            offerings=store.state("offerings"),
            prices=previous_prices,
            aliases=previous_aliases,
            reference_prices=store.state("reference_prices"),
        ),
        presence.table,
        now,
    )
    if carried:  # providers count the offerings carried too
        merged.providers = provider_table(merged.offerings, SOURCE_PRIORITY, default_rules().first_party)
    # Final from here on: validated beside the rest of the merge (the check steps take the outcomes).
    submit_table_checks(context.run.run_id, {"models": merged.models, "offerings": merged.offerings})
    current = hold_previous(merged.prices, merged.quarantine, previous_prices, PRICE_KEY)
    quarantine = quarantine_state(merged.quarantine, current, store.state("quarantine"), PRICE_KEY, now)
    prices = price_history(previous_prices, current, now)
    submit_table_checks(context.run.run_id, {"prices": prices})
    performance = measurement_history(store.state("performance"), merged.performance)
    benchmarks = benchmark_history(store.state("benchmarks"), merged.benchmarks)
    previous_runs = store.state("source_runs")
    store.close()  # everything this run builds on is read
    feed = build_feed(
        previous, merged.models, listed, healthy, prices, merged.comparisons, now, context.run.run_id, removed_after_runs(), presence
    )
    if carried:
        context.log.info(f"{len(carried)} model(s) no longer listed kept until their removal is confirmed")
    if len(quarantine):
        by_rule = quarantine["rule"].value_counts().to_dict()
        context.log.warning("quarantined: " + ", ".join(f"{n} {rule}" for rule, n in sorted(by_rule.items())))
    if previous_runs is not None and not previous_runs.empty:
        runs = pd.concat([previous_runs[runs.columns], runs], ignore_index=True)

    badge_counts = merged.models["source_kind"].value_counts().to_dict()
    opened = int((prices["valid_from"] == pd.Timestamp(now)).sum())
    closed = int((prices["valid_to"] == pd.Timestamp(now)).sum())
    if len(merged.disagreements):
        context.log.info(f"{len(merged.disagreements)} price(s) differ by more than {disagreement_tolerance():.1%} between sources")
    _log_feed(context, feed)
    tables = {
        "providers": merged.providers,
        "models": merged.models,
        "offerings": merged.offerings,
        "prices": prices,
        "model_aliases": merged.model_aliases,
        "performance": performance,
        "benchmarks": benchmarks,
        "source_runs": runs,
        "changes": feed.changes,
        "model_presence": feed.presence,
        "price_disagreements": feed.price_disagreements,
        "source_disagreements": feed.source_disagreements,
        "quarantine": quarantine,
        "reference_prices": merged.reference_prices,
    }
    extra: dict[str, dict[str, object]] = {
        "models": {
            "models_by_badge": dg.MetadataValue.json({str(k): int(v) for k, v in badge_counts.items()}),
            "models_by_status": dg.MetadataValue.json({str(k): int(v) for k, v in merged.models["status"].value_counts().items()}),
            "unlisted_awaiting_removal": len(carried),
        },
        "reference_prices": {"models_by_basis": dg.MetadataValue.json(basis_counts(merged.reference_prices, merged.models))},
        "quarantine": {"by_rule": dg.MetadataValue.json({str(k): int(v) for k, v in quarantine["rule"].value_counts().items()})},
        "model_aliases": {
            "by_method": dg.MetadataValue.json({str(k): int(v) for k, v in merged.model_aliases["method"].value_counts().items()}),
        },
        "prices": {
            "current_prices": int(prices["valid_to"].isna().sum()),
            "price_rows_opened": opened,
            "price_rows_closed": closed,
            "source_disagreements": len(merged.disagreements),
        },
        **_feed_metadata(feed),
    }
    for name, frame in tables.items():
        metadata: dict[str, object] = {
            "dagster/row_count": len(frame),
            "preview": dg.MetadataValue.md(frame.head(5).to_markdown(index=False)),
        }
        metadata.update(extra.get(name, {}))
        yield dg.Output(frame, output_name=name, metadata=metadata)
