"""``/api/v1/status`` judges each source's last run: failed, cached (held back too) and stale
sources are visible with their error, and the overall ``health`` says so. A real DuckDB snapshot
(written by the publish code) holds hand-made ``source_runs`` rows with known ages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.stores.warehouse import TABLES, SnapshotStore


def run_row(source: str, status: str, *, badge: str | None, age: timedelta | None, started: datetime,
            error: str | None = None, http_status: int | None = None) -> dict[str, Any]:
    return {
        "run_id": "run-2", "source": source, "status": status, "badge": badge, "rows": 0, "entries": 0, "rejected": 0,
        "rejected_reasons": None, "unmatched": 0, "url": f"http://127.0.0.1/{source}", "http_status": http_status,
        "conditional": False, "not_modified": False, "payload_sha256": None,
        "payload_fetched_at": started - age if age is not None else None, "started_at": started, "error": error,
    }


@pytest.fixture
def status_body(home: Path) -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    started = now - timedelta(minutes=2)
    runs = pd.DataFrame([
        run_row("models_dev", "ok", badge="aggregator", age=timedelta(0), started=started, http_status=200),
        run_row("openrouter", "cached", badge="cached", age=timedelta(minutes=50), started=started,
                error="HTTP 500", http_status=500),
        run_row("litellm", "failed", badge=None, age=None, started=started, error="connection refused"),
        run_row("anthropic_pricing", "cached", badge="cached", age=timedelta(hours=1), started=started, http_status=200,
                error="sudden drop: 3 models vs 9 in the last good run (-67 %); new data held back"),
        # daily cadence, payload three days old: stale although its fetch says ok (a 304 long ago)
        run_row("lmarena", "ok", badge="scraped", age=timedelta(days=3), started=started, http_status=200),
        run_row("openai", "skipped", badge=None, age=None, started=started, error="skipped: no API key (set OPENAI_API_KEY)"),
        run_row("model_defaults", "ok", badge="config", age=timedelta(days=400), started=started),  # no cadence
    ])
    publishes = pd.DataFrame([{"snapshot_id": "s1", "run_id": "run-2", "published_at": started, "models": 1,
                               "offerings": 1, "prices": 1}])
    tables = {t: pd.DataFrame() for t in TABLES} | {"source_runs": runs, "publishes": publishes}
    SnapshotStore(home / "snapshots").write("20261201T120000Z", tables)
    with TestClient(create_app(home=home)) as client:
        response = client.get("/api/v1/status")
    assert response.status_code == 200, response.text
    return response.json()


def test_status_shows_each_source_verdict_with_its_error(status_body: dict[str, Any]):
    sources = {s["source"]: s for s in status_body["sources"]}
    ok = sources["models_dev"]
    assert (ok["healthy"], ok["stale"], ok["status"]) == (True, False, "ok") and ok["payload_age_seconds"] >= 100
    assert ok["cadence"] == "0 * * * *" and ok["allowed_age_seconds"] == 2 * 3600 + 15 * 60

    cached = sources["openrouter"]
    assert (cached["healthy"], cached["stale"], cached["badge"], cached["error"]) == (False, False, "cached", "HTTP 500")
    assert cached["health"].startswith("failed: HTTP 500; serving the last good payload from ")
    assert cached["payload_age_seconds"] >= 52 * 60

    failed = sources["litellm"]
    assert (failed["healthy"], failed["stale"], failed["payload_age_seconds"]) == (False, False, None)
    assert failed["health"] == "failed: connection refused; no archived payload to serve"

    held = sources["anthropic_pricing"]
    assert held["healthy"] is False and held["held_back"] is True and held["health"].startswith("held back: sudden drop")

    stale = sources["lmarena"]
    assert (stale["status"], stale["healthy"], stale["stale"]) == ("ok", False, True)
    assert "stale: payload from " in stale["health"] and "3d 0h old, cadence 0 6 * * *" in stale["health"]

    skipped = sources["openai"]
    assert (skipped["healthy"], skipped["stale"]) == (True, False) and "not configured" in skipped["health"]

    config = sources["model_defaults"]
    assert (config["healthy"], config["stale"], config["cadence"]) == (True, False, None)


def test_status_health_counts_what_is_wrong(status_body: dict[str, Any]):
    assert status_body["health"] == {
        "healthy": False, "sources": 7, "failed": 1, "cached": 2, "stale": 1, "held_back": 1, "skipped": 1,
        "unhealthy_sources": ["anthropic_pricing", "litellm", "lmarena", "openrouter"],
    }


def test_status_without_a_catalog_has_no_health(home: Path):
    with TestClient(create_app(home=home)) as client:
        body = client.get("/api/v1/status").json()
    assert body["sources"] == [] and body["health"] is None and "no catalog published yet" in body["note"]
