"""``aisi refresh`` as the CLI runs it: the catalog area's refresh, then the notify area's work for
its runs (record their notifications, flush the outbox to the configured alert channels), so a
refresh from cron alerts like the Dagster daemon would. It sits beside the root because it drives
two areas (an area never imports another)."""

from __future__ import annotations

from typing import Callable

import dagster as dg

from pipelines.catalog.refresh import RefreshSummary, run_refresh
from pipelines.notify.after_refresh import notify_refresh


def run_refresh_with_alerts(sources: list[str], progress: Callable[[str], None], force: bool = False,
                            instance: dg.DagsterInstance | None = None) -> RefreshSummary:
    """Fetches, recomputes what changed, then records the notifications of its runs and flushes
    the outbox; ``summary.alerts`` says what that did. Alerting never fails the refresh.
    ``force`` (``aisi sync --force``) and ``instance`` as for ``run_refresh``."""
    instance = instance or dg.DagsterInstance.get()
    summary = run_refresh(sources, progress, force=force, instance=instance)
    summary.alerts = notify_refresh([summary.fetch_run_id, summary.run_id], instance=instance).render()
    return summary
