"""History assets (group ``history``): daily price snapshots an operator backfills over a
date range, and the price history built from them."""

from datetime import date

import dagster as dg
import pandas as pd

from core.history.dated import DATED_SOURCES, DatedPayload, DatedSource, NoPayload, payload_as_of
from core.history.history import day_prices, history_from_days, split_days
from core.records import Provenance
from core.settings import settings
from core.stores.backfill import day_dir, days_glob, has_days, history_dir, read_days, write_day, write_frame
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.http import HttpClientResource

# Early enough for LiteLLM's cost map at any date worth having (the file is older still);
# AISI_BACKFILL_START moves it. end_offset=1: today's partition is included.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=settings().backfill_start, end_offset=1, timezone="UTC"
)


def _snapshot(dated: DatedSource, payload: DatedPayload) -> tuple[pd.DataFrame, dict[str, object]]:
    """The payload normalised by its source's own parser, badge of the source, dated by the payload."""
    spec = dated.module.SPEC
    provenance = Provenance(source=spec.name, source_kind=spec.kind, source_url=payload.url, fetched_at=payload.fetched_at)
    batch = dated.module.normalise(payload.entries, provenance)
    frame = day_prices(batch, payload.day, payload.sha256)
    summary = {
        "origin": payload.origin,
        "url": payload.url,
        "commit": payload.commit,
        "payload_sha256": payload.sha256,
        "payload_date": payload.fetched_at.isoformat(),
        "entries": batch.entries,
        "offerings": len(batch.offerings),
        "prices": len(frame),
        "rejected": len(batch.rejects),
    }
    return frame, summary


@dg.asset(
    name="daily_price_snapshot",
    group_name="history",
    partitions_def=daily_partitions,
    kinds={"parquet"},
    description=(
        "Prices as of one day (UTC), per dated source, in $AISI_HOME/history/prices/date=YYYY-MM-DD/<source>.parquet. "
        "Each source's payload of that day comes from the raw archive (its last good fetch of the day) or, for LiteLLM, "
        "from github BerriAI/litellm at the newest commit on or before the day (AISI_BACKFILL_LITELLM_COMMITS_URL, "
        "AISI_BACKFILL_LITELLM_RAW_URL); models.dev and OpenRouter are included on days the archive holds them. "
        "Backfill a date range from this asset's partitions (select backfilled_price_history too to rebuild the "
        "history once the range is done). Re-materialising a day replaces its files."
    ),
)
def daily_price_snapshot(
    context: dg.AssetExecutionContext, http: HttpClientResource, archive: RawArchiveResource
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    store = archive.open()
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, object] = {}
    missing: dict[str, str] = {}
    for dated in DATED_SOURCES:
        try:
            payload, looked = payload_as_of(dated, day, http, store)
        except NoPayload as exc:
            if dated.required:
                raise dg.Failure(description=str(exc), metadata={"source": dated.name, "date": day.isoformat(),
                                                                  "looked": dg.MetadataValue.json(exc.looked)}) from None
            missing[dated.name] = str(exc)
            context.log.info(str(exc))
            continue
        frame, summary = _snapshot(dated, payload)
        frames[dated.name] = frame
        sources[dated.name] = summary
        context.log.info(f"{dated.name} as of {day}: {summary['prices']} prices from {payload.origin} ({'; '.join(looked)})")
    if not frames:
        raise dg.Failure(description=f"no dated source has a payload for {day.isoformat()}: " + "; ".join(missing.values()))
    paths = write_day(day, frames)
    rows = sum(len(f) for f in frames.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "date": day.isoformat(),
            "path": str(day_dir(day)),
            "files": dg.MetadataValue.json({k: str(v) for k, v in paths.items()}),
            "sources": dg.MetadataValue.json(sources),
            "missing_sources": dg.MetadataValue.json(missing),
            "prices_by_source": dg.MetadataValue.json({k: len(v) for k, v in frames.items()}),
        }
    )


def _sample(changes: pd.DataFrame, limit: int = 15) -> dg.MetadataValue:
    if changes.empty:
        return dg.MetadataValue.md("_no price changes_")
    top = changes.assign(_abs=changes["pct_change"].abs()).sort_values("_abs", ascending=False, na_position="last")
    return dg.MetadataValue.md(top.drop(columns="_abs").head(limit).to_markdown(index=False))


@dg.asset(
    name="backfilled_price_history",
    group_name="history",
    kinds={"parquet", "duckdb"},
    deps=[dg.AssetDep("daily_price_snapshot", partition_mapping=dg.AllPartitionMapping())],
    description=(
        "The price history built from every dated price snapshot, day after day in date order (valid_from / valid_to "
        "at the day's midnight UTC, one history per source), and the list of price changes between consecutive days "
        "(offering, price type, old, new, % change, date): $AISI_HOME/history/price_history.parquet and price_changes.parquet."
    ),
)
def backfilled_price_history(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    if not has_days():
        raise dg.Failure(description=f"no dated price snapshots at {days_glob()}: backfill daily_price_snapshot first")
    days = split_days(read_days())
    history, changes = history_from_days(days)
    root = history_dir()
    write_frame(history, root / "price_history.parquet")
    write_frame(changes, root / "price_changes.parquet")
    per_day = {str(k): int(v) for k, v in changes.groupby("changed_on").size().items()} if not changes.empty else {}
    per_type = {str(k): int(v) for k, v in changes.groupby("price_type").size().items()} if not changes.empty else {}
    context.log.info(f"price history from {len(days)} day(s): {len(history)} rows, {len(changes)} change(s)")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(history),
            "days": len(days),
            "first_day": days[0][0].isoformat() if days else "none",
            "last_day": days[-1][0].isoformat() if days else "none",
            "rows": len(history),
            "open_rows": int(history["valid_to"].isna().sum()),
            "changes": len(changes),
            "changes_by_date": dg.MetadataValue.json(per_day),
            "changes_by_price_type": dg.MetadataValue.json(per_type),
            "history_path": str(root / "price_history.parquet"),
            "changes_path": str(root / "price_changes.parquet"),
            "sample": _sample(changes),
        }
    )


def history_assets() -> list[dg.AssetsDefinition]:
    return [daily_price_snapshot, backfilled_price_history]

