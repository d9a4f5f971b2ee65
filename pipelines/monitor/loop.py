"""``aisi monitor``: the status + probe cycle without Dagster, once or every minute.

Does what the per-minute Dagster jobs and the alert sensor do, in this process, so a user who
only wants the monitor needs no daemon. Data lands in the same store the API reads. Each cycle
ends by flushing the notifications outbox to every configured alert channel (Slack, PagerDuty,
the JSON webhook), so messages recorded by ``aisi refresh`` go out too.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping

from core.availability.health import ProviderHealth
from core.settings import settings


@dataclass
class CycleReport:
    started_at: datetime
    seconds: float
    health: dict[str, ProviderHealth]
    probes: int
    pages: int
    page_errors: dict[str, str]
    alerts: dict[str, int]
    notes: list[str]

    def render(self) -> str:
        lines = [f"monitor cycle at {self.started_at:%Y-%m-%d %H:%M:%S} UTC: {self.probes} probes, {self.pages} status pages "
                 f"in {self.seconds:.2f} s; alerts new {self.alerts['new']}, delivered {self.alerts['delivered']}, failed {self.alerts['failed']}"]
        lines.append(f"  {'provider':<14} {'state':<9} {'probe':<28} {'latency_ms':>10}  {'page':<11} reason")
        for pid, h in sorted(self.health.items()):
            probe = h.last_probe or {}
            outcome = (probe.get("state") or "-") + (f" ({probe['error_kind']})" if probe.get("error_kind") else "")
            if probe.get("http_status"):
                outcome += f" {probe['http_status']}"
            latency = f"{probe['latency_ms']:.0f}" if probe.get("latency_ms") is not None else "-"
            lines.append(f"  {pid:<14} {h.state:<9} {outcome:<28} {latency:>10}  {h.page_indicator or '-':<11} {h.reason}")
        for pid, error in sorted(self.page_errors.items()):
            lines.append(f"  status page {pid}: {error}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def run_cycle(environ: Mapping[str, str] | None = None, now: datetime | None = None) -> CycleReport:
    """One status + probe cycle, retention when due, and the alerts it calls for."""
    import time

    from core.availability.alerts import LogSink, dispatch, transitions
    from core.availability.canary import canary_config_from_env
    from core.availability.cycle import ALERT_CURSOR, housekeeping, keys_from, probe_cycle, status_cycle
    from core.availability.health import current_health, down_after_from_env
    from core.availability.targets import load_targets
    from core.notify.channels import configured_channels
    from core.stores.monitor import PostgresMonitorStore, open_monitor_store, retention_days

    env = dict(os.environ if environ is None else environ)
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    providers = load_targets(env)
    store = open_monitor_store(database_url=settings(env).database_url or "")
    try:
        if isinstance(store, PostgresMonitorStore):
            store.ensure_migrated()
        # Pages and probes run side by side: one cycle costs the slower of the two, not their sum.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pages = pool.submit(status_cycle, store, providers, now, settings(env).status_timeout_s)
            probes = probe_cycle(store, providers, keys_from(env), now, settings(env).probe_timeout_s, canary=canary_config_from_env(env))
            status = pages.result()
        housekeeping(store, now, retention_days())
        health = current_health(store, [p.provider_id for p in providers], now, down_after_from_env())
        alerts, following = transitions(store.get_state(ALERT_CURSOR) or {}, health, now)
        # Records the new alerts and flushes the whole outbox (messages `aisi refresh` or a sensor left
        # pending too) to every configured channel.
        delivered = dispatch(store, alerts, configured_channels(env) or [LogSink()], now)
        store.set_state(ALERT_CURSOR, following, now)
    finally:
        store.close()
    return CycleReport(now, time.monotonic() - started, health, len(probes.rows), len(status.readings),
                       status.errors, delivered, probes.notes)


def run_forever(interval_s: float, emit: Callable[[str], None]) -> None:
    """Runs a cycle every ``interval_s`` seconds (aligned to the interval) until SIGINT/SIGTERM."""
    import time

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        try:
            emit(run_cycle().render())
        except Exception as exc:  # one bad cycle (a store busy too long, a config typo) must not end the monitor
            emit(f"monitor cycle failed: {type(exc).__name__}: {exc}")
        stop.wait(interval_s - (time.time() % interval_s))
