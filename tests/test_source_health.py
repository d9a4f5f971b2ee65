"""A failing source is visible where operators look: its asset's ``source_health`` check fails
(WARN, with the error) in the Dagster instance the UI reads, while the run stays green; and
``/api/v1/status`` shows it failed / cached / stale with the error and an overall ``healthy: false``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.sources import cadence
from tests.conftest import REPO

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"


def check_evaluations(run_id: str) -> dict[str, Any]:
    """``asset -> evaluation`` of every ``source_health`` check the run recorded."""
    instance = dg.DagsterInstance.get()
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000).records
    found: dict[str, Any] = {}
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.check_name == "source_health":
            found[evaluation.asset_key.to_user_string()] = evaluation
    return found


def test_a_failing_source_fails_its_warn_check_and_the_run_stays_green(replay, home: Path, refresh, monkeypatch):
    first = refresh()
    assert first.success, first.errors
    good = check_evaluations(first.fetch_run_id)
    for asset in ("openrouter_raw", "models_dev_raw", "litellm_raw", "model_defaults_raw"):
        assert good[asset].passed, (asset, good[asset].description)

    replay.routes[OPENROUTER_PATH].mode = "500"
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
    second = refresh()
    assert second.success, second.errors  # the run stays green ...
    checks = check_evaluations(second.fetch_run_id)
    # ... the asset does not: openrouter served its last good payload as cached, and says why.
    openrouter = checks["openrouter_raw"]
    assert not openrouter.passed
    assert openrouter.severity == dg.AssetCheckSeverity.WARN
    assert "HTTP 500" in openrouter.description and "cached" in openrouter.description
    metadata = {k: v.value for k, v in openrouter.metadata.items()}
    assert metadata["status"] == "cached" and metadata["badge"] == "cached"
    assert metadata["http_status"] == 500 and "HTTP 500" in metadata["error"]
    assert metadata["stale"] is False and metadata["payload_age_seconds"] >= 0
    # Healthy sources pass; a keyless source passes as skipped, saying so.
    assert checks["models_dev_raw"].passed and checks["litellm_raw"].passed and checks["model_defaults_raw"].passed
    openai = checks["openai_raw"]
    assert openai.passed and "skipped: no API key" in openai.description
    assert {k: v.value for k, v in openai.metadata.items()}["status"] == "skipped"

    # The latest evaluation (what the asset's page in the UI shows) is the failed one.
    instance = dg.DagsterInstance.get()
    key = dg.AssetCheckKey(dg.AssetKey("openrouter_raw"), "source_health")
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert latest.run_id == second.fetch_run_id and latest.status.value == "FAILED"

    # /api/v1/status over the snapshot this run published: the same verdict, and the overall flag.
    with TestClient(create_app(home=home)) as client:
        body = client.get("/api/v1/status").json()
    sources = {s["source"]: s for s in body["sources"]}
    assert sources["openrouter"]["status"] == "cached" and sources["openrouter"]["healthy"] is False
    assert "HTTP 500" in sources["openrouter"]["error"] and sources["openrouter"]["stale"] is False
    assert sources["models_dev"]["healthy"] is True and sources["openai"]["healthy"] is True
    assert body["health"]["healthy"] is False and body["health"]["cached"] == 1
    assert "openrouter" in body["health"]["unhealthy_sources"]


def test_a_held_back_payload_fails_source_health_as_held_back(replay, home: Path, refresh):
    route = replay.routes[OPENROUTER_PATH]
    models = json.loads(route.body)["data"]
    assert refresh().success
    route.body = json.dumps({"data": models[:3], "total_count": 3}).encode()  # 7 -> 3 models: held back
    summary = refresh()
    assert summary.success, summary.errors
    check = check_evaluations(summary.fetch_run_id)["openrouter_raw"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description.startswith("held back: sudden drop: 3 models vs 7 in the last good run")
    assert "serving the last good payload from" in check.description
    metadata = {k: v.value for k, v in check.metadata.items()}
    assert (metadata["status"], metadata["held_back"], metadata["http_status"]) == ("cached", True, 200)


def test_source_health_runs_with_a_one_source_refresh(replay, home: Path, refresh):
    assert refresh().success
    summary = refresh("models_dev")
    assert summary.success, summary.errors
    checks = check_evaluations(summary.fetch_run_id)
    assert checks["models_dev_raw"].passed
    assert "openrouter_raw" not in checks  # not refreshed, not judged


def test_definitions_load_with_source_health_and_freshness():
    from core.sources.registry import ALL_SOURCES
    from pipelines.definitions import build_definitions

    definitions = build_definitions()
    dg.Definitions.validate_loadable(definitions)
    graph = definitions.resolve_asset_graph()
    for module in ALL_SOURCES:
        asset = dg.AssetKey(f"{module.SPEC.name}_raw")
        assert dg.AssetCheckKey(asset, "source_health") in graph.asset_check_keys, asset
        policy = graph.get(asset).freshness_policy
        if module.SPEC.cadence:
            assert policy.fail_window.to_timedelta() == cadence.allowed_age(module.SPEC.cadence), asset
        else:
            assert policy is None, asset


def test_dagsters_freshness_daemon_judges_the_source_assets_by_their_cadence(replay, home: Path, refresh):
    """Dagster's own freshness (materialised recently enough?) as the daemon of `aisi ui` evaluates it:
    fresh right after a refresh; three hours later the hourly sources fail it and the daily ones do not."""
    import asyncio

    from dagster._core.test_utils import freeze_time
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._daemon.freshness import FreshnessDaemon

    assert refresh().success
    instance = dg.DagsterInstance.get()
    assert instance.freshness_enabled  # the project's dagster.yaml leaves Dagster's default on
    keys = [dg.AssetKey(k) for k in ("openrouter_raw", "lmarena_raw", "model_defaults_raw")]

    def states() -> dict[str, str]:
        with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(REPO / "workspace.yaml")])) as workspace:
            asyncio.run(FreshnessDaemon()._evaluate_assets(workspace))  # noqa: SLF001 (one daemon tick)
        records = instance.get_freshness_state_records(keys)
        return {key.to_user_string(): records[key].freshness_state.value for key in keys}

    assert states() == {"openrouter_raw": "PASS", "lmarena_raw": "PASS", "model_defaults_raw": "NOT_APPLICABLE"}
    with freeze_time(datetime.now(timezone.utc) + timedelta(hours=3)):
        assert states() == {"openrouter_raw": "FAIL", "lmarena_raw": "PASS", "model_defaults_raw": "NOT_APPLICABLE"}
