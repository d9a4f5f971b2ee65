"""``aisi refresh``: fetch the sources, then recompute only what their new data calls for.

Two in-process runs of the catalog job on this home's Dagster instance: the first fetches the
sources (conditionally: an unchanged source answers 304 and keeps its data version); the second
materialises the derived assets Dagster reports as stale or missing (``pipelines.catalog.incremental``)
and everything downstream of them. When no source's data changed there is no second run: nothing
is re-parsed, re-merged or published. ``aisi refresh`` then flushes the notifications of these
runs (``pipelines.refresh_alerts``) into ``RefreshSummary.alerts``.

``--source`` names fetch those sources alone and the summary lists only them. ``force`` (``aisi sync
SOURCE --force``) reaches each named source's fetch through the run config of its asset
(``SourceFetchConfig``): no conditional request, and a payload the guard would hold back let
through once; the source's records and the merge then run again, so its ``source_runs`` row says
``forced``. While a rollback is in effect (``aisi rollback``) the merge runs again too, so the
refresh publishes even when no source changed, and the summary says it replaces the rollback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import dagster as dg

from core.paths import aisi_home
from core.quality import expectations, validation_worker
from core.settings import settings
from core.sources.registry import HTTP_SOURCES
from core.sources.spec import SOURCES_VARIABLE, chosen_sources, is_chosen
from core.stores.rollbacks import active_rollback
from pipelines.catalog.definitions import CATALOG_GROUPS
from pipelines.catalog.definitions import definitions as catalog_definitions
from pipelines.catalog.incremental import stale_or_missing
from pipelines.catalog.job import CATALOG_TAGS
from pipelines.catalog.merge import SOURCE_NAMES
from pipelines.resources.run_storage import prune_run_storage
from pipelines.run_sweep import process_tags

DERIVED_GROUPS = CATALOG_GROUPS[1:]
MERGE_GROUP = "core"  # the catalog's merged tables


@dataclass
class RefreshSummary:
    success: bool
    run_id: str  # the last run: the derive run when there was one, else the fetch run
    fetch_run_id: str  # the run that fetched the sources (their source_health checks are there)
    sources: list[dict[str, object]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    snapshot: str | None = None
    warehouse: str = ""
    recomputed: list[str] = field(default_factory=list)  # the derived assets the second run materialised
    errors: list[str] = field(default_factory=list)
    alerts: str | None = None  # what flushing the notifications outbox did (set by pipelines.refresh_alerts)
    selected: list[str] = field(default_factory=list)  # the --source names (empty: every source)
    forced: bool = False
    replaced_rollback: str | None = None  # the rollback this refresh's publish replaces

    @property
    def sources_failed(self) -> list[str]:
        """The --source names whose fetch failed (``failed``, or ``cached``: the last good payload
        served instead), for the exit code."""
        return [str(s["source"]) for s in self.sources if s["source"] in self.selected and s["status"] in ("failed", "cached")]

    def render(self, elapsed_s: float) -> str:
        lines = [f"\nRefresh {'succeeded' if self.success else 'FAILED'} in {elapsed_s:.1f}s (run {self.run_id})", "Sources:"]
        counts: dict[str, int] = {}
        for s in self.sources:
            counts[str(s["status"])] = counts.get(str(s["status"]), 0) + 1
            error = f"  ({s['error']})" if s.get("error") else ""
            lines.append(f"  {s['source']:<29} {s['status']:<7} badge={s['badge'] or '-':<10} rows={s['rows']:<6} rejected={s['rejected']}{error}")
        lines.append("  " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        if self.success and not self.recomputed:
            lines.append("Unchanged: no source's data changed since the last publish; nothing recomputed, no new snapshot.")
        else:
            lines.append(f"Recomputed: {len(self.recomputed)} assets")
        lines.append("Rows: " + ", ".join(f"{t}={n}" for t, n in self.rows.items()))
        lines.append(f"Snapshot: {self.snapshot or 'none'}")
        lines.append(f"Warehouse: {self.warehouse or 'not written'}")
        if self.replaced_rollback:
            lines.append(f"Rollback replaced: {self.replaced_rollback}; the snapshot above is served now")
        for name in self.sources_failed:
            hint = "" if self.forced else f" (a payload held back by the guard goes through with `aisi sync {name} --force`)"
            lines.append(f"Error: source {name} did not deliver fresh data{hint}")
        lines.extend(f"Error: {e}" for e in self.errors)
        if self.alerts:
            lines.append(self.alerts)
        return "\n".join(lines)


def _needs_fetch(name: str, sources: list[str], last: dg.EventLogEntry | None) -> bool:
    """Whether this refresh fetches ``name`` (``last``: its source asset's latest materialization):
    a source never fetched on this instance always (the merge needs every input); with
    ``--source``, the sources named; otherwise every source AISI_SOURCES runs, and a source it
    leaves out only until it has been recorded as skipped."""
    if last is None:
        return True
    if sources:
        return name in sources
    if is_chosen(name):
        return True
    status = last.asset_materialization.metadata.get("status") if last.asset_materialization else None
    return status is None or status.value != "skipped"


def _fetch_selection(sources: list[str], instance: dg.DagsterInstance) -> dg.AssetSelection:
    for named, where in ((chosen_sources() or set(), f"{SOURCES_VARIABLE} names"), (set(sources), "--source names")):
        if unknown := sorted(named - set(SOURCE_NAMES)):
            raise SystemExit(f"{where} unknown source(s): {', '.join(unknown)}; known: {', '.join(SOURCE_NAMES)}")
    # Every source asset's latest materialization in one query.
    records = instance.get_asset_records([dg.AssetKey(f"{n}_raw") for n in SOURCE_NAMES])
    last = {r.asset_entry.asset_key: r.asset_entry.last_materialization for r in records}
    return dg.AssetSelection.assets(*[f"{n}_raw" for n in SOURCE_NAMES if _needs_fetch(n, sources, last.get(dg.AssetKey(f"{n}_raw")))])


def _pending_removals(instance: dg.DagsterInstance) -> int:
    """Models absent from every healthy source that listed them, not yet confirmed removed (the
    metadata of the last ``model_presence``). The removal rule counts healthy refreshes, so while
    any is pending the merge runs again even when no source's data changed."""
    event = instance.get_latest_materialization_event(dg.AssetKey("model_presence"))
    pending = event.asset_materialization.metadata.get("missing_not_yet_removed") if event and event.asset_materialization else None
    return int(pending.value) if pending is not None else 0


def _errors(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        f"{event.step_key}: {event.step_failure_data.error.message.strip()}"
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error
    ]


def _execute(job: dg.JobDefinition, instance: dg.DagsterInstance, keys: set[dg.AssetKey], sources: list[str],
             phase: str, forced: Sequence[str] = ()) -> dg.ExecuteInProcessResult:
    # The console logger at INFO shows each source's outcome and each publish as it happens.
    run_config: dict[str, object] = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    tags = {**CATALOG_TAGS, **process_tags(), "aisi/trigger": "cli", "aisi/sources": ",".join(sources) or "all", "aisi/phase": phase}
    if forced:  # the force reaches each fetch through its asset's config (SourceFetchConfig)
        run_config["ops"] = {f"{name}_raw": {"config": {"force": True}} for name in forced}
        tags["aisi/forced"] = ",".join(forced)
    return job.execute_in_process(
        instance=instance, asset_selection=sorted(keys), raise_on_error=False, run_config=run_config, tags=tags,
    )


def forceable(name: str) -> bool:
    """Whether a source's fetch can be forced: the HTTP sources (the defaults file is read from
    the repository; the endpoints fan-out keeps its own schedule of requests)."""
    return any(m.SPEC.name == name for m in HTTP_SOURCES)


def _start_validation() -> None:
    """Has Great Expectations imported beside the work, in a worker forked from this process (a first
    refresh has had one since ``aisi refresh`` took the lock: ``pipelines/cli.py``). pandas is
    imported first: this refresh needs it too, and the worker then shares it instead of
    importing it again (an unchanged refresh never gets here, nor imports pandas). What exists by
    now lives as long as the process: it is frozen out of the garbage collector's scans first
    (``gc.freeze``), which also keeps the fork from copying its pages."""
    import gc

    import pandas  # noqa: F401

    gc.freeze()
    validation_worker.start(expectations.warm)


def run_refresh(sources: list[str], progress: Callable[[str], None], force: bool = False,
                instance: dg.DagsterInstance | None = None) -> RefreshSummary:
    """``force``: the named ``sources`` are fetched unconditionally, the payload guard overridden once.
    ``instance``: the Dagster instance to run on (default: DAGSTER_HOME's)."""
    try:
        summary = _run_refresh(sources, progress, force, instance or dg.DagsterInstance.get())
    finally:
        validation_worker.stop()
    if sources:  # the sources asked for, not the 21 the merge recorded
        summary.sources = [s for s in summary.sources if s["source"] in sources]
    return summary


def _run_refresh(sources: list[str], progress: Callable[[str], None], force: bool, instance: dg.DagsterInstance) -> RefreshSummary:
    definitions = catalog_definitions()
    job = definitions.resolve_job_def("catalog_job")
    graph = definitions.resolve_asset_graph()

    if instance.get_latest_materialization_event(dg.AssetKey("models")) is None:
        # Nothing merged yet: this refresh will validate, so GX is imported beside the fetches.
        _start_validation()
    fetch_keys = _fetch_selection(sources, instance).resolve(graph)
    progress(f"Fetching {len(fetch_keys)} sources; Dagster's INFO lines below are the progress.")
    forced = [name for name in sources if forceable(name)] if force else []
    if force and (unforced := sorted(set(sources) - set(forced))):
        progress(f"--force does not apply to {', '.join(unforced)} (no conditional request, no payload guard): fetched as usual")
    fetched = _execute(job, instance, fetch_keys, sources, "fetch", forced)
    summary = RefreshSummary(success=fetched.success, run_id=fetched.run_id, fetch_run_id=fetched.run_id, errors=_errors(fetched),
                             selected=list(sources), forced=bool(forced))
    for key in sorted(fetch_keys):
        outcome = fetched.output_for_node(key.path[-1]) if fetched.success else None
        if outcome is not None:
            summary.sources.append({"source": outcome.source, "status": outcome.status, "badge": outcome.badge,
                                    "rows": outcome.count, "rejected": "-", "error": outcome.error})
    if not fetched.success:
        return summary
    # The fetch run keeps every output it made (each payload and its parsed entries) for
    # output_for_node; let it go before the derive run, which reads them again from storage.
    del fetched
    outcome = None

    derived = dg.AssetSelection.groups(*DERIVED_GROUPS)
    stale = stale_or_missing(definitions, instance, derived.resolve(graph))
    # A forced source's records run again from the forced fetch, so its source_runs row says so.
    stale |= {dg.AssetKey(f"{name}_records") for name in forced}
    rollback = active_rollback(aisi_home(), settings().database_url)
    if rollback is not None:
        progress(f"the {rollback.describe()} is in effect: this refresh publishes again and replaces it.")
        stale |= dg.AssetSelection.groups(MERGE_GROUP).resolve(graph)
    if not stale and (pending := _pending_removals(instance)):
        progress(f"{pending} model(s) await the confirmation of their removal: merging again.")
        stale = dg.AssetSelection.groups(MERGE_GROUP).resolve(graph)
    if not stale:
        prune_run_storage(instance)
        return summary
    chosen = dg.AssetSelection.assets(*stale)
    if stale.isdisjoint(dg.AssetSelection.groups("normalise", MERGE_GROUP).resolve(graph)):
        # Only the commit or the export is stale (a blocking check held them back last time): the
        # merge runs again with its checks, so nothing is committed that they have not passed.
        chosen = chosen | dg.AssetSelection.groups(MERGE_GROUP)
    todo = ((chosen | chosen.downstream()) & derived).resolve(graph)
    summary.recomputed = sorted(k.to_user_string() for k in todo)
    progress(f"Recomputing {len(todo)} assets whose inputs changed.")
    _start_validation()
    result = _execute(job, instance, todo, sources, "derive")
    summary.success, summary.run_id = result.success, result.run_id
    summary.errors.extend(_errors(result))
    if not result.success:
        return summary
    prune_run_storage(instance)
    if dg.AssetKey("source_runs") in todo:
        runs = result.output_for_node("catalog", "source_runs")
        latest = runs[runs["run_id"] == result.run_id]
        columns = latest[["source", "status", "badge", "rows", "rejected", "error"]]
        summary.sources = columns.astype(object).where(columns.notna(), None).to_dict("records")
    if dg.AssetKey("duckdb_snapshot") in todo:
        publication = result.output_for_node("duckdb_snapshot")
        summary.snapshot = publication.path
        summary.rows = dict(publication.rows)
        commit = result.output_for_node("warehouse")
        summary.warehouse = f"{commit.location}: committed as {commit.snapshot_id}"
        summary.replaced_rollback = rollback.describe() if rollback is not None else None
    return summary
