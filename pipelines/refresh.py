"""``aisi refresh``: one in-process run of the catalog job, with progress and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import dagster as dg

from assets.core.assets import SOURCE_NAMES
from pipelines.catalog import CATALOG_GROUPS, build_definitions


@dataclass
class RefreshSummary:
    success: bool
    run_id: str
    sources: list[dict[str, object]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None
    warehouse: str = ""
    errors: list[str] = field(default_factory=list)

    def render(self, elapsed_s: float) -> str:
        lines = [f"\nRefresh {'succeeded' if self.success else 'FAILED'} in {elapsed_s:.1f}s (run {self.run_id})", "Sources:"]
        counts: dict[str, int] = {}
        for s in self.sources:
            counts[str(s["status"])] = counts.get(str(s["status"]), 0) + 1
            error = f"  ({s['error']})" if s.get("error") else ""
            lines.append(f"  {s['source']:<29} {s['status']:<7} badge={s['badge'] or '-':<10} rows={s['rows']:<6} rejected={s['rejected']}{error}")
        lines.append("  " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        lines.append("Rows: " + ", ".join(f"{t}={n}" for t, n in self.rows.items()))
        lines.append(f"Snapshot: {self.snapshot or 'none'}")
        lines.append(f"Warehouse: {self.warehouse or 'not written'}")
        lines.extend(f"Error: {e}" for e in self.errors)
        return "\n".join(lines)


def _selection(sources: list[str]) -> dg.AssetSelection:
    if not sources:
        return dg.AssetSelection.groups(*CATALOG_GROUPS)
    unknown = sorted(set(sources) - set(SOURCE_NAMES))
    if unknown:
        raise SystemExit(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(SOURCE_NAMES)}")
    instance = dg.DagsterInstance.get()
    # Sources never materialised on this instance are fetched too: the merge needs every input.
    chosen = [
        name
        for name in SOURCE_NAMES
        if name in sources or instance.get_latest_materialization_event(dg.AssetKey(f"{name}_records")) is None
    ]
    roots = dg.AssetSelection.assets(*[f"{n}_raw" for n in chosen], *[f"{n}_records" for n in chosen])
    return roots | roots.downstream()


def run_refresh(sources: list[str], progress: Callable[[str], None]) -> RefreshSummary:
    definitions = build_definitions()
    job = definitions.resolve_job_def("catalog_job")
    instance = dg.DagsterInstance.get()
    selection = _selection(sources)
    asset_keys = selection.resolve(definitions.resolve_asset_graph())

    progress(f"Refreshing {len(asset_keys)} assets; Dagster's INFO lines below are the progress.")
    # The console logger at INFO shows each source's outcome and each publish as it happens.
    result = job.execute_in_process(
        instance=instance,
        asset_selection=list(asset_keys),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={"aisi/trigger": "cli", "aisi/sources": ",".join(sources) or "all"},
    )

    summary = RefreshSummary(success=result.success, run_id=result.run_id)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            summary.errors.append(f"{event.step_key}: {event.step_failure_data.error.message.strip()}")
    if not result.success:
        return summary
    runs = result.output_for_node("catalog", "source_runs")
    latest = runs[runs["run_id"] == result.run_id]
    columns = latest[["source", "status", "badge", "rows", "rejected", "error"]]
    summary.sources = columns.astype(object).where(columns.notna(), None).to_dict("records")
    publication = result.output_for_node("duckdb_snapshot")
    summary.snapshot = publication.path
    summary.rows = {name: len(frame) for name, frame in publication.tables.items()}
    commit = result.output_for_node("warehouse")
    summary.warehouse = f"{commit.location}: committed as {commit.snapshot_id}"
    return summary
