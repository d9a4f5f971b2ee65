"""Normalise assets (group ``normalise``): each source's payload as unified offerings and
prices with provenance; unusable records are counted with their reason."""


import dagster as dg

from assets.normalise.identity import UNMATCHED
from assets.normalise.records import NormalisedBatch, Provenance
from assets.sources.assets import fetch_record
from assets.sources.fetch import FetchOutcome
from assets.sources.registry import ALL_SOURCES
from assets.sources.spec import SourceModule


def _preview(batch: NormalisedBatch) -> dg.MetadataValue:
    columns = ["provider_id", "provider_model_id", "model_key", "context_window", "source_kind"]
    return dg.MetadataValue.md(batch.offerings[columns].head(10).to_markdown(index=False))


def build_records_asset(module: SourceModule) -> dg.AssetsDefinition:
    name = module.SPEC.name

    @dg.asset(
        name=f"{name}_records",
        group_name="normalise",
        kinds={"pandas"},
        ins={"outcome": dg.AssetIn(f"{name}_raw")},
        description=(
            f"{name}'s models as unified offerings and prices (USD per 1M tokens), each row with its "
            "source, badge, source URL and fetch time; records that cannot be used are counted by reason."
        ),
    )
    def _records(context: dg.AssetExecutionContext, outcome: FetchOutcome) -> NormalisedBatch:
        provenance = Provenance(
            source=name,
            source_kind=outcome.badge or "cached",
            source_url=outcome.url,
            fetched_at=outcome.fetched_at or outcome.attempted_at,
        )
        batch = module.normalise(outcome.entries, provenance)
        batch.fetch = fetch_record(outcome)
        unmatched = int((batch.offerings["identity_method"] == UNMATCHED).sum())
        for reason, count in batch.reject_reasons.items():
            context.log.info(f"{name}: {count} record(s) not used: {reason}")
        context.add_output_metadata(
            {
                "dagster/row_count": len(batch.offerings),
                "entries": batch.entries,
                "offerings": len(batch.offerings),
                "prices": len(batch.prices),
                "rejected": len(batch.rejects),
                "rejected_reasons": dg.MetadataValue.json(batch.reject_reasons),
                "unmatched_creator": unmatched,
                "badge": provenance.source_kind,
                "preview": _preview(batch),
            }
        )
        return batch

    return _records


def records_assets() -> list[dg.AssetsDefinition]:
    return [build_records_asset(m) for m in ALL_SOURCES]
