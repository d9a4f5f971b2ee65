"""The Dagster UI as an operator uses it: a real dagster-webserver on this workspace, its
GraphQL API showing the asset graph, and a catalog_job run launched from it that publishes
a snapshot fetched from the replay server. The daemon runs beside it (as `aisi ui` starts
both): runs launched from the UI wait in Dagster's run queue until the daemon launches them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import duckdb
import httpx
import pytest

from tests.aisi_process import REPO, child_env, venv_script
from tests.conftest import SOURCE_ROUTES, free_port

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_S = 90
RUN_TIMEOUT_S = 120

EXPECTED_GROUPS = {
    **{f"{s}_raw": "sources" for s in ("openrouter", "models_dev", "litellm", "model_defaults")},
    **{f"{s}_records": "normalise" for s in ("openrouter", "models_dev", "litellm", "model_defaults")},
    **{t: "core" for t in ("providers", "models", "offerings", "prices", "source_runs")},
    "duckdb_snapshot": "publish",
    "warehouse": "warehouse",
}

WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message stack }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

REPOSITORIES_QUERY = """
query Repositories {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes { name location { name } pipelines { name } schedules { name } }
    }
    ... on PythonError { message }
  }
}
"""

ASSET_NODES_QUERY = """
query AssetNodes {
  assetNodes {
    assetKey { path }
    groupName
    description
    jobNames
    dependencyKeys { path }
  }
}
"""

LAUNCH_RUN_MUTATION = """
mutation Launch($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId jobName status tags { key value } stepStats { stepKey status } }
    ... on Error { message }
  }
}
"""


SOURCE_HEALTH_QUERY = """
query SourceHealth($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    __typename
    ... on AssetNode {
      assetChecksOrError {
        __typename
        ... on AssetChecks {
          checks {
            name
            blocking
            executionForLatestMaterialization { runId status evaluation { severity success description } }
          }
        }
      }
    }
  }
}
"""


class Webserver:
    def __init__(self, process: subprocess.Popen, url: str, log: Path):
        self.process = process
        self.url = url
        self.log = log
        self.client = httpx.Client(base_url=url, timeout=30)

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, f"{response.status_code}: {response.text[:2000]}"
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def wait_ready(self, timeout: float) -> None:
        """Until the server answers and the `aisi` code location has loaded (or failed to)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"dagster-webserver exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.client.get("/server_info", timeout=5).status_code == 200:
                    workspace = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
                    entries = {e["name"]: e for e in workspace.get("locationEntries", [])}
                    entry = entries.get("aisi")
                    last = str(workspace)
                    if entry and entry["loadStatus"] == "LOADED":
                        location = entry["locationOrLoadError"]
                        assert location and location["__typename"] == "RepositoryLocation", (
                            f"code location failed to load: {location}"
                        )
                        return
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.5)
        pytest.fail(f"dagster-webserver not ready after {timeout}s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        self.client.close()
        stop_group(self.process)


def stop_group(process: subprocess.Popen) -> None:
    """Stops ``process`` and the process group it leads (its code server, any run worker)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:  # stragglers of the group (a run worker) once the leader is gone
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def webserver(replay, home: Path, tmp_path: Path) -> Iterator[Webserver]:
    from pipelines.cli import prepare_instance

    dagster_home = prepare_instance()  # AISI_HOME is set by the `home` fixture
    assert dagster_home == home / "dagster"
    port = free_port()
    log = tmp_path / "webserver.log"
    command = [
        *venv_script("dagster-webserver", "dagster_webserver"),
        "-w", str(REPO / "workspace.yaml"),
        "-h", "127.0.0.1",
        "-p", str(port),
    ]  # fmt: skip
    env = child_env(DAGSTER_HOME=str(dagster_home), AISI_HOME=str(home))
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Webserver(process, f"http://127.0.0.1:{port}", log)
    daemon: subprocess.Popen | None = None
    try:
        server.wait_ready(STARTUP_TIMEOUT_S)  # the instance's SQLite storage exists from here on
        # The daemon launches the queued runs (dagster.yaml: QueuedRunCoordinator), as in `aisi ui`.
        daemon_command = [*venv_script("dagster-daemon", "dagster._daemon"), "run", "-w", str(REPO / "workspace.yaml")]
        with (tmp_path / "daemon.log").open("wb") as out:
            daemon = subprocess.Popen(
                daemon_command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        yield server
    finally:
        server.stop()
        if daemon is not None:
            stop_group(daemon)


def test_ui_shows_the_asset_graph_and_runs_catalog_job(webserver: Webserver, replay, home: Path):
    # The repository behind the `aisi` code location, with the job and its schedule.
    repositories = webserver.graphql(REPOSITORIES_QUERY)["repositoriesOrError"]
    assert repositories["__typename"] == "RepositoryConnection", repositories
    [repository] = [r for r in repositories["nodes"] if r["location"]["name"] == "aisi"]
    assert repository["name"] == "__repository__"
    assert "catalog_job" in {p["name"] for p in repository["pipelines"]}
    assert {"sources_every_5_minutes", "sources_hourly", "sources_every_6_hours", "sources_daily"} <= {
        s["name"] for s in repository["schedules"]}

    # The asset graph: every asset, in its group, in catalog_job, described, wired.
    nodes = {"/".join(n["assetKey"]["path"]): n for n in webserver.graphql(ASSET_NODES_QUERY)["assetNodes"]}
    assert set(EXPECTED_GROUPS) <= set(nodes), sorted(set(EXPECTED_GROUPS) - set(nodes))
    assert {name: nodes[name]["groupName"] for name in EXPECTED_GROUPS} == EXPECTED_GROUPS
    for name in EXPECTED_GROUPS:
        assert "catalog_job" in nodes[name]["jobNames"], name
        assert (nodes[name]["description"] or "").strip(), name
    deps = {name: {"/".join(d["path"]) for d in node["dependencyKeys"]} for name, node in nodes.items()}
    assert deps["openrouter_records"] == {"openrouter_raw"}
    assert {f"{s}_records" for s in ("openrouter", "models_dev", "litellm", "model_defaults")} <= deps["models"]
    assert {"providers", "models", "offerings", "prices", "source_runs"} <= deps["warehouse"]
    assert deps["duckdb_snapshot"] == {"warehouse"}

    # Launch catalog_job as the UI's "Materialize all" does, and wait for it.
    snapshots = home / "snapshots"
    before = set(snapshots.glob("*.duckdb")) if snapshots.exists() else set()
    launched = webserver.graphql(
        LAUNCH_RUN_MUTATION,
        {
            "executionParams": {
                "selector": {
                    "repositoryLocationName": "aisi",
                    "repositoryName": repository["name"],
                    "jobName": "catalog_job",
                },
                "runConfigData": {},
                "executionMetadata": {"tags": [{"key": "aisi/trigger", "value": "test-ui"}]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    deadline = time.monotonic() + RUN_TIMEOUT_S
    run: dict = {}
    while time.monotonic() < deadline:
        run = webserver.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert run.get("status") == "SUCCESS", f"run {run_id}: {run}\n{webserver.log_tail()}"
    assert run["jobName"] == "catalog_job"
    assert {"key": "aisi/trigger", "value": "test-ui"} in run["tags"]
    assert {s["status"] for s in run["stepStats"]} == {"SUCCESS"}

    # The run published a new snapshot, with every source fetched from the replay server.
    after = set(snapshots.glob("*.duckdb"))
    new = sorted(p for p in after - before if p.name != "latest.duckdb")
    assert new, f"no new snapshot in {snapshots}: {sorted(after)}"
    assert (snapshots / "latest.duckdb").resolve() == new[-1].resolve()
    for prefix, path, _ in SOURCE_ROUTES.values():
        assert replay.seen(prefix + path), f"the run never fetched {prefix + path}"
    with duckdb.connect(str(new[-1]), read_only=True) as con:
        runs = dict(con.execute("SELECT source, status FROM source_runs WHERE run_id = ?", [run_id]).fetchall())
    assert {k: runs[k] for k in ("openrouter", "models_dev", "litellm", "model_defaults")} == {
        "openrouter": "ok", "models_dev": "ok", "litellm": "ok", "model_defaults": "ok"}
    assert runs["openai"] == "skipped"  # no key in the webserver's environment

    # Each source asset shows its source_health check (WARN) with this run's verdict: the replayed
    # sources pass, a keyless one passes as skipped, and the endpoints fan-out (no routes here) fails.
    def source_health(asset: str) -> dict:
        node = webserver.graphql(SOURCE_HEALTH_QUERY, {"path": [asset]})["assetNodeOrError"]
        assert node["__typename"] == "AssetNode", node
        [check] = [c for c in node["assetChecksOrError"]["checks"] if c["name"] == "source_health"]
        assert check["blocking"] is False
        execution = check["executionForLatestMaterialization"]
        assert execution["runId"] == run_id and execution["evaluation"]["severity"] == "WARN", execution
        return execution

    assert source_health("openrouter_raw")["status"] == "SUCCEEDED"
    skipped = source_health("openai_raw")
    assert skipped["status"] == "SUCCEEDED" and "skipped: no API key" in skipped["evaluation"]["description"]
    endpoints = source_health("openrouter_endpoints_raw")
    assert endpoints["status"] == "FAILED" and "HTTP 404" in endpoints["evaluation"]["description"]
