"""Monitor assets (group ``monitor``): what providers' status pages say, and what our probes see.

Each materialisation is one minute's reading, appended to the monitor store (with its hourly and
daily rollups, in the same transaction); uptime and latency percentiles are a view over those
rollups, outages and silent degradation views over the checks.
"""


from contextlib import closing
from datetime import datetime, timezone

import dagster as dg

from core.settings import settings
from pipelines.resources.keys import ApiKeysResource
from pipelines.resources.monitor import MonitorStoreResource


@dg.asset(
    group_name="monitor",
    kinds={"http", "duckdb"},
    description=(
        "What each provider says about itself: its status page (Atlassian Statuspage v2 or compatible) "
        "read every minute with conditional requests. Lands in status_checks (overall indicator per read), "
        "status_components, status_incidents (upserted by incident id, with impact, components, started and "
        "resolved times) and status_incident_updates."
    ),
)
def status_pages(context: dg.AssetExecutionContext, monitor: MonitorStoreResource) -> dg.MaterializeResult:
    from core.availability.cycle import status_cycle
    from core.availability.targets import load_targets

    with closing(monitor.open()) as store:
        cycle = status_cycle(store, load_targets(), datetime.now(timezone.utc), timeout_s=settings().status_timeout_s)
    for provider_id, error in cycle.errors.items():
        context.log.warning(f"status page of {provider_id}: {error}")
    return dg.MaterializeResult(metadata={
        "pages": len(cycle.readings),
        "unreadable": len(cycle.errors),
        "not_modified": sum(1 for r in cycle.readings if r.not_modified),
        "indicators": {r.provider_id: r.indicator or "unknown" for r in cycle.readings},
        "incidents_seen": sum(len(r.incidents) for r in cycle.readings),
    })


@dg.asset(
    group_name="monitor",
    kinds={"http", "duckdb"},
    description=(
        "What we measure ourselves: one cheap call per provider (its model-listing endpoint, with the key "
        "when set) every minute: latency, HTTP status and error kind (timeout, dns, tls, refused, closed, "
        "4xx, 429, 5xx); a 401 without a key counts as reachable, unauthenticated. Optional canary "
        "completions (AISI_CANARY, off by default, with a daily token budget) add time to first token and "
        "tokens per second. Appended to availability_checks (and summed into availability_rollups per hour and "
        "day); once a day old rows and their rollups are dropped by retention."
    ),
)
def availability_checks(context: dg.AssetExecutionContext, monitor: MonitorStoreResource, api_keys: ApiKeysResource) -> dg.MaterializeResult:
    from core.availability.canary import canary_config_from_env
    from core.availability.cycle import housekeeping, probe_cycle
    from core.availability.targets import load_targets
    from core.stores.monitor import retention_days

    now = datetime.now(timezone.utc)
    with closing(monitor.open()) as store:
        cycle = probe_cycle(store, load_targets(), lambda p: api_keys.key_for(p.probe.source) if p.probe and p.probe.source else None,
                            now, timeout_s=settings().probe_timeout_s, canary=canary_config_from_env())
        kept = housekeeping(store, now, retention_days())
    for note in cycle.notes:
        context.log.info(note)
    if kept is not None:
        context.log.info(f"retention: {kept}")
    listing = [r for r in cycle.rows if r["probe"] == "listing"]
    return dg.MaterializeResult(metadata={
        "probes": len(listing),
        "up": sum(1 for r in listing if r["up"]),
        "failed": dg.MetadataValue.json(cycle.failed),
        "max_latency_ms": max((float(r["latency_ms"] or 0) for r in listing), default=0.0),
        "canaries": len(cycle.rows) - len(listing),
    })
