"""Normalise assets (group ``normalise``): each source's payload as unified offerings and
prices with provenance; unusable records are counted with their reason.

Each ``<source>_records`` carries its WARN checks (``records_valid``, and ``payload_guard`` for a
fetched source) as check specs, evaluated in its own step after its output
(``pipelines/catalog/record_checks.py``)."""


from typing import Iterator

import dagster as dg

from core.fetch.engine import FetchOutcome, take_normalised
from core.identity import UNMATCHED
from core.records import NormalisedBatch, Provenance
from core.sources.registry import ALL_SOURCES, HTTP_SOURCES
from core.sources.spec import SourceModule
from pipelines.catalog.record_checks import records_check_results, records_check_specs
from pipelines.catalog.sources import fetch_record
from pipelines.resources.archive import RawArchiveResource


def _preview(batch: NormalisedBatch) -> dg.MetadataValue:
    columns = ["provider_id", "provider_model_id", "model_key", "context_window", "source_kind"]
    return dg.MetadataValue.md(batch.offerings[columns].head(10).to_markdown(index=False))


def build_records_asset(module: SourceModule) -> dg.AssetsDefinition:
    """``<source>_records`` and its WARN checks, one step. A single-asset ``multi_asset`` so that
    its checks can be selected apart from it: the asset without its checks, or a check alone
    (the UI's "execute check": the batch is normalised again from ``<source>_raw`` and checked,
    nothing materialised)."""
    name = module.SPEC.name
    asset = f"{name}_records"
    guarded = any(m.SPEC.name == name for m in HTTP_SOURCES)

    @dg.multi_asset(
        name=asset,
        outs={
            asset: dg.AssetOut(
                is_required=False,  # not produced when only its checks are selected
                group_name="normalise",
                kinds={"pandas"},
                description=(
                    f"{name}'s models as unified offerings and prices (USD per 1M tokens), each row with its "
                    "source, badge, source URL and fetch time; records that cannot be used are counted by reason."
                ),
            )
        },
        ins={"outcome": dg.AssetIn(f"{name}_raw")},
        check_specs=records_check_specs(name, guarded),
        can_subset=True,
    )
    def _records(
        context: dg.AssetExecutionContext, outcome: FetchOutcome, archive: RawArchiveResource
    ) -> Iterator[dg.Output[NormalisedBatch] | dg.AssetCheckResult]:
        provenance = Provenance(
            source=name,
            source_kind=outcome.badge or "cached",
            source_url=outcome.url,
            fetched_at=outcome.fetched_at or outcome.attempted_at,
        )
        # Normalised while it was fetched when that was in this process (the same payload and provenance).
        # A 304's entries are its archived payload's, parsed only now that they are needed.
        fresh = take_normalised(name, outcome.sha256, provenance)
        batch = fresh.batch if fresh else module.normalise(outcome.load_entries(module, archive.open()), provenance)
        batch.fetch = fetch_record(outcome)
        if dg.AssetKey(asset) in context.selected_asset_keys:
            unmatched = int((batch.offerings["identity_method"] == UNMATCHED).sum())
            for reason, count in batch.reject_reasons.items():
                context.log.info(f"{name}: {count} record(s) not used: {reason}")
            yield dg.Output(
                batch,
                output_name=asset,
                metadata={
                    "dagster/row_count": len(batch.offerings),
                    "entries": batch.entries,
                    "offerings": len(batch.offerings),
                    "prices": len(batch.prices),
                    "rejected": len(batch.rejects),
                    "rejected_reasons": dg.MetadataValue.json(batch.reject_reasons),
                    "unmatched_creator": unmatched,
                    "badge": provenance.source_kind,
                    "preview": _preview(batch),
                },
            )
        yield from records_check_results(context, name, batch, fresh.validations if fresh else None)

    return _records


def records_assets() -> list[dg.AssetsDefinition]:
    return [build_records_asset(m) for m in ALL_SOURCES]
