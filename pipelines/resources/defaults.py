"""The resources every area shares, built once by the root and handed to each area's
``definitions`` (swap resources, not code: tests pass their own). Secrets are ``EnvVar``s,
resolved by Dagster at run time and never stored; everything else comes from core.settings."""

from __future__ import annotations

from typing import Any

import dagster as dg

from core.settings import settings
from core.sources.registry import key_variables
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.browser import BrowserResource
from pipelines.resources.http import HttpClientResource
from pipelines.resources.keys import keys_from_environment
from pipelines.resources.monitor import AlertChannelResource, MonitorStoreResource
from pipelines.resources.run_storage import RunScopedIOManager
from pipelines.resources.warehouse import PostgresResource, SnapshotStoreResource, WarehouseResource


def shared_resources() -> dict[str, Any]:
    """Resource key -> resource, as the environment configures them now."""
    env = settings()
    database = dg.EnvVar("AISI_DATABASE_URL") if env.database_url else None
    return {
        "http": HttpClientResource(max_attempts=env.http_max_attempts, backoff_initial_s=env.http_backoff_s),
        # Each run's outputs in a folder of its own: concurrent runs never read each other's files.
        "io_manager": RunScopedIOManager(),
        "archive": RawArchiveResource(),
        "browser": BrowserResource(executable_path=env.chromium),
        # Keys are EnvVars: Dagster reads them at run time; they are never stored or logged.
        "api_keys": keys_from_environment(key_variables()),
        "snapshots": SnapshotStoreResource(keep=env.snapshot_keep),
        "postgres": PostgresResource(url=database) if database else PostgresResource(),
        "warehouse": WarehouseResource(url=database) if database else WarehouseResource(),
        "monitor": MonitorStoreResource(database_url=database) if database else MonitorStoreResource(),
        "alert_channel": (AlertChannelResource(slack_webhook_url=dg.EnvVar("SLACK_WEBHOOK_URL")) if env.raw("SLACK_WEBHOOK_URL")
                          else AlertChannelResource()),
    }
