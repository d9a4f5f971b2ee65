"""Core assets (group ``core``): the merged catalog tables an analyst or the API reads.

The merge itself (``pipelines/catalog/merge_tables.py``, and with it pandas and the catalog's rules)
is imported when the asset runs, not when the code location loads: a refresh whose sources all
answered 304 decides that nothing is stale without loading it."""


import dagster as dg

from core.records import NormalisedBatch
from core.sources.registry import ALL_SOURCES
from pipelines.resources.warehouse import SnapshotStoreResource, WarehouseResource

SOURCE_NAMES = [m.SPEC.name for m in ALL_SOURCES]

TABLE_DESCRIPTIONS = {
    "providers": "Who serves models (first-party labs, clouds, hosts, routers), with model and offering counts.",
    "models": "One row per model `creator/model`: name, limits, modalities, described by the best source that has each field.",
    "offerings": "Each model as served by each provider under its own id, with limits and the badge of its source.",
    "prices": "Price history per offering and price type in USD per 1M tokens; open rows are current prices.",
    "model_aliases": "Every source id and the model key it maps to, with the method (exact, rule, alias_file, folded, unmatched).",
    "performance": "Measured speed and uptime per offering (time to first token, throughput, latency, uptime), with history.",
    "benchmarks": "Benchmark scores per model (Artificial Analysis evaluations, LMArena Elo) with their dates and history.",
    "source_runs": "One row per source per run: ok / cached / failed, rows contributed, badge used, rejected records and why.",
    "changes": "Append-only change feed: models added / removed, prices, context windows and status changed, new source disagreements.",
    "model_presence": "Which sources listed each model and for how many healthy runs it has been missing (the state behind model_removed).",
    "price_disagreements": "Current prices on which two sources differ by more than the tolerance, each with when it was first seen.",
    "source_disagreements": "Quality figure per pair of sources: offerings both price and how many of them they disagree on.",
    "quarantine": "Source prices that failed a plausibility rule (above the ceiling, 100x from every other source, output 0 on a "
                  "metered text model): not published, each with its rule and reason; the previous value stays current.",
    "reference_prices": "What each model costs at its creator's own offering (manual > official page > first-party API > "
                        "aggregators' consensus > one aggregator), with the source, basis and spread across sources.",
}


@dg.multi_asset(
    group_name="core",
    outs={name: dg.AssetOut(description=text, kinds={"pandas"}) for name, text in TABLE_DESCRIPTIONS.items()},
    ins={f"{name}_records": dg.AssetIn(f"{name}_records") for name in SOURCE_NAMES},
    description=(
        "Merges every source by priority (manual > api > scraped > aggregator > cached > config) onto the state "
        "the warehouse holds (its price history, change feed, presence): each output is its table as this run "
        "leaves it, which the `warehouse` asset commits."
    ),
)
def catalog(context: dg.AssetExecutionContext, warehouse: WarehouseResource, snapshots: SnapshotStoreResource, **records: NormalisedBatch):
    from pipelines.catalog.merge_tables import merged_tables

    yield from merged_tables(context, warehouse, snapshots, [records[f"{name}_records"] for name in SOURCE_NAMES])
