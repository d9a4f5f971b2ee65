"""The `aisi` command as a user runs it, and the code location as Dagster loads it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.catalog.definitions import CATALOG_GROUPS
from pipelines.definitions import build_definitions
from tests.aisi_process import REPO, child_env, run_aisi, venv_script
from tests.conftest import free_port

pytestmark = pytest.mark.slow

SOURCES = ("openrouter", "models_dev", "litellm", "model_defaults")
HEAVY_MODULES = ("pandas", "duckdb", "great_expectations", "playwright", "httpx", "psycopg")


def summary_statuses(stdout: str) -> dict[str, str]:
    """Source -> status from the `Sources:` block of the refresh summary."""
    statuses = {}
    for line in stdout.splitlines():
        match = re.match(r"^\s{2}(\w+)\s+(ok|cached|failed|skipped)\s+badge=", line)
        if match:
            statuses[match.group(1)] = match.group(2)
    return statuses


def test_refresh_with_every_source_down_falls_back_to_config_quickly(home: Path):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    env = child_env(**{f"AISI_SOURCE_{name}_URL": dead for name in ("OPENROUTER", "MODELS_DEV", "LITELLM", "HUGGINGFACE")})
    for name in ("AISI_HTTP_BACKOFF_S", "AISI_HTTP_MAX_ATTEMPTS"):  # the product's retry defaults
        env.pop(name, None)

    result = run_aisi("refresh", env=env, timeout=120)

    assert result.returncode == 0, result.describe()
    assert result.elapsed_s < 60, result.describe()
    assert summary_statuses(result.stdout) == {
        "openrouter": "failed",
        "models_dev": "failed",
        "litellm": "failed",
        "huggingface": "failed",
        "lmarena": "failed",
        "lmarena_history": "failed",
        "artificial_analysis_page": "failed",  # no key: the public page is tried (nothing listens)
        **{name: "failed" for name in ("openai_pricing", "anthropic_pricing", "google_pricing", "mistral_pricing")},
        "openrouter_endpoints": "skipped",  # no model list to fan out over
        "model_defaults": "ok",
        # no keys: the keyed provider APIs are skipped, not failed
        **{name: "skipped" for name in ("openai", "anthropic", "google", "mistral", "cohere", "replicate",
                                        "artificial_analysis", "artificial_analysis_language")},
    }, result.describe()
    assert "Refresh succeeded" in result.stdout
    assert "BetaWarning" not in result.stderr  # the source assets' data versions are a known beta API
    match = re.search(r"^Snapshot: (.+)$", result.stdout, re.MULTILINE)
    assert match, result.describe()
    snapshot = Path(match.group(1).strip())
    assert snapshot.is_file() and snapshot.parent == home / "snapshots", snapshot
    assert (home / "snapshots" / "latest.duckdb").resolve() == snapshot
    # The instance it ran on is the project's SQLite one under $AISI_HOME/dagster, its event log there.
    from pipelines.cli import instance_config

    written = (home / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
    assert written == instance_config(REPO / "dagster.yaml", home / "dagster")
    assert f"base_dir: {home / 'dagster' / 'history' / 'runs'}" in written
    assert any((home / "dagster" / "history" / "runs").glob("*.db"))


def test_refresh_of_an_unknown_source_names_the_known_ones(home: Path):
    result = run_aisi("refresh", "--source", "nope", timeout=120)
    assert result.returncode != 0, result.describe()
    output = result.stdout + result.stderr
    assert "nope" in output
    for source in SOURCES:
        assert source in output, result.describe()
    assert not (home / "snapshots").exists()  # nothing ran


def test_help_lists_the_commands():
    result = run_aisi("--help", timeout=60)
    assert result.returncode == 0, result.describe()
    commands = re.search(r"Commands:\n((?:\s+.+\n?)+)", result.stdout)
    assert commands, result.stdout
    names = {line.split()[0] for line in commands.group(1).splitlines() if line.strip()}
    assert {"refresh", "serve", "ui"} <= names


def test_definitions_module_imports_nothing_heavy():
    code = (
        "import json, sys\n"
        "import pipelines.definitions\n"
        f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_a_refresh_decides_what_is_stale_without_pandas():
    """What ``aisi refresh`` loads up to Dagster's stale verdict (the catalog's definitions and asset
    graph, the refresh and its alerts) imports no pandas, numpy or pyarrow and not the merge: a
    refresh whose sources all answered 304 stops there (``python -m benchmarks`` measures it)."""
    code = (
        "import json, sys\n"
        "import pipelines.refresh_alerts\n"
        "from pipelines.catalog.definitions import definitions\n"
        "definitions().resolve_asset_graph()\n"
        "print(json.dumps([m for m in ('pandas', 'numpy', 'pyarrow', 'pipelines.catalog.merge_tables') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_definitions_have_the_job_the_schedule_and_described_grouped_assets(home: Path):
    defs = build_definitions()

    job = defs.resolve_job_def("catalog_job")
    assert job.name == "catalog_job"
    # One schedule per cadence, each fetching its sources only; the derived assets follow by
    # their automation condition, and carry the code version they are computed with.
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["sources_every_5_minutes"].cron_schedule == "*/5 * * * *"
    assert schedules["sources_hourly"].cron_schedule == "0 * * * *"
    assert schedules["sources_every_6_hours"].cron_schedule == "0 */6 * * *"
    assert schedules["sources_daily"].cron_schedule == "0 6 * * *"
    hourly = defs.resolve_job_def("sources_hourly")
    assert {"openrouter_raw", "models_dev_raw", "litellm_raw", "openrouter_endpoints_raw", "model_defaults_raw"} <= {
        k.to_user_string() for k in hourly.asset_layer.selected_asset_keys}
    assert all(s.default_status == dg.DefaultScheduleStatus.STOPPED for n, s in schedules.items() if n.startswith("sources_"))

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert {f"{s}_raw" for s in SOURCES} | {f"{s}_records" for s in SOURCES} <= {k.to_user_string() for k in keys}
    for key in keys:
        node = graph.get(key)
        assert (node.description or "").strip(), f"{key.to_user_string()} has no description"
        assert node.group_name in (*CATALOG_GROUPS, "monitor", "history"), f"{key.to_user_string()} is in group {node.group_name!r}"
        if node.group_name in CATALOG_GROUPS[1:]:
            assert node.code_version and node.automation_condition is not None, key.to_user_string()
            assert node.automation_condition.get_label() == "on_input_change"
    catalog_keys = {k for k in keys if graph.get(k).group_name in CATALOG_GROUPS}
    monitor_keys = {k.to_user_string() for k in keys if graph.get(k).group_name == "monitor"}
    assert monitor_keys == {"status_pages", "availability_checks"}
    # catalog_job covers the whole catalog graph and none of the monitor's per-minute assets.
    assert set(job.asset_layer.asset_graph.get_all_asset_keys()) >= catalog_keys
    assert not {k.to_user_string() for k in job.asset_layer.executable_asset_keys} & monitor_keys
    # The monitor: two per-minute jobs on their schedules, and the alert sensor.
    for name, asset in (("status", "status_pages"), ("probe", "availability_checks")):
        schedule = defs.resolve_schedule_def(f"{name}_every_minute")
        assert (schedule.job_name, schedule.cron_schedule) == (f"{name}_job", "* * * * *")
        monitor_job = defs.resolve_job_def(f"{name}_job")
        assert {k.to_user_string() for k in monitor_job.asset_layer.executable_asset_keys} == {asset}
    assert defs.resolve_sensor_def("provider_alerts").minimum_interval_seconds == 60


def test_workspace_code_location_loads_through_dagster(home: Path):
    """The lazy @dg.definitions root, loaded the way the webserver and daemon load it."""
    from pipelines.cli import prepare_instance

    prepare_instance()
    command = [*venv_script("dagster", "dagster"), "definitions", "validate", "-w", str(REPO / "workspace.yaml")]
    proc = subprocess.run(command, cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=180)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Validation successful for code location aisi" in output, output[-4000:]
