"""A multi-process installation as deploy/docker-compose.yml describes it, started here: the code
location as a gRPC code server, the Dagster webserver, the daemon and the read API as four
processes, each running the command its Compose service runs (tests/compose.py substitutes host,
ports and workspace only), on one Dagster instance: deploy/dagster.yaml, PostgreSQL storage on a
fresh database, the QueuedRunCoordinator, the `browser` pool and one catalog run at a time.

What an operator relies on, seen through the webserver's GraphQL API, PostgreSQL, the read API
and a local Slack receiver:

1. catalog_job launched from the UI waits in the queue, the daemon launches it, it runs with the
   multiprocess executor (AISI_EXECUTOR=multiprocess: one process per step) and publishes a
   snapshot with the same rows as an in-process `aisi refresh` of the same sources;
2. a schedule switched on in the UI (a one-minute test cadence for models_dev,
   AISI_SOURCE_MODELS_DEV_CADENCE) fires, the daemon launches its run, the automation sensor
   (switched on too) recomputes what the changed payload calls for and a new snapshot is
   published; the read API (its own process) serves it;
3. a run that really fails (its input's stored output is gone) reaches Slack through the
   `slack_run_failures` sensor exactly once, however many ticks follow.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import dagster as dg
import duckdb
import httpx
import psycopg
import pytest

from tests.aisi_process import REPO, aisi_command, child_env
from tests.compose import INSTANCE_FILE, local_command, local_workspace
from tests.conftest import FIXTURES, free_port
from tests.receiver import Post, Receiver
from tests.replay import ReplayServer
from tests.test_dagster_ui import LAUNCH_RUN_MUTATION, RUN_QUERY, Webserver, stop_group

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240
# The schedule fires on the next minute; the scheduler, the queue and the automation sensor
# (every 30 s) each add a tick.
SCHEDULED_PUBLISH_TIMEOUT_S = 240
SENSOR_TICKS_AFTER_DELIVERY = 2
SOURCES = "openrouter,models_dev,litellm"  # the others are skipped: no request, no browser
LOCATION = {"repositoryLocationName": "aisi", "repositoryName": "__repository__"}
TEST_MODEL = "gpt-deploy-test"

START_SCHEDULE = """
mutation Start($selector: ScheduleSelector!) {
  startSchedule(scheduleSelector: $selector) {
    __typename
    ... on ScheduleStateResult { scheduleState { status } }
    ... on PythonError { message }
  }
}
"""

START_SENSOR = """
mutation Start($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on PythonError { message }
  }
}
"""

SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 50) { status timestamp } } }
  }
}
"""

RUNS_QUERY = """
query Runs($filter: RunsFilter!) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId jobName status tags { key value } } }
  }
}
"""


@dataclass
class Installation:
    webserver: Webserver
    api: httpx.Client
    home: Path
    database: str
    replay: ReplayServer
    slack: Receiver
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def logs_tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}" for p in sorted(self.logs.glob("*.log")))

    def alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited with {process.returncode}\n{self.logs_tail()}"

    def wait(self, what: str, timeout: float, probe: Callable[[], Any], interval: float = 1.0) -> Any:
        """``probe()``'s first truthy answer, or a failure naming ``what`` with every log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.alive()
            if answer := probe():
                return answer
            time.sleep(interval)
        pytest.fail(f"{what}: not within {timeout:.0f}s\n{self.logs_tail()}")

    def launch(self, job: str, tags: dict[str, str], assets: list[str] | None = None) -> str:
        selector: dict[str, Any] = {**LOCATION, "jobName": job}
        if assets is not None:
            selector["assetSelection"] = [{"path": [a]} for a in assets]
        launched = self.webserver.graphql(LAUNCH_RUN_MUTATION, {"executionParams": {
            "selector": selector, "runConfigData": {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def run(self, run_id: str) -> dict:
        run = self.webserver.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        return run

    def finished(self, run_id: str, timeout: float = RUN_TIMEOUT_S) -> dict:
        return self.wait(f"run {run_id} to finish", timeout,
                         lambda: (r := self.run(run_id))["status"] in ("SUCCESS", "FAILURE", "CANCELED") and r)

    def runs(self, **tags: str) -> list[dict]:
        found = self.webserver.graphql(RUNS_QUERY, {"filter": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}})
        return found["runsOrError"]["results"]

    def start_sensor(self, name: str) -> None:
        started = self.webserver.graphql(START_SENSOR, {"selector": {**LOCATION, "sensorName": name}})["startSensor"]
        assert started["__typename"] == "Sensor" and started["sensorState"]["status"] == "RUNNING", started

    def sensor_ticks(self, name: str) -> list[dict]:
        sensor = self.webserver.graphql(SENSOR_TICKS, {"selector": {**LOCATION, "sensorName": name}})["sensorOrError"]
        assert sensor["__typename"] == "Sensor", sensor
        return sensor["sensorState"]["ticks"]

    def snapshots(self) -> set[Path]:
        folder = self.home / "snapshots"
        return {p for p in folder.glob("*.duckdb") if p.name != "latest.duckdb"} if folder.is_dir() else set()

    def events(self, run_id: str, kind: dg.DagsterEventType) -> list[dict]:
        """The run's events of one type, read from the instance's PostgreSQL event log."""
        with psycopg.connect(self.database) as conn:
            rows = conn.execute("SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = %s ORDER BY id",
                                [run_id, kind.value]).fetchall()
        return [json.loads(row[0]) for row in rows]


def _changed_models_dev() -> bytes:
    """models_dev's fixture with one more OpenAI model: a payload with a new data version."""
    document = json.loads((FIXTURES / "models_dev_api.json").read_text(encoding="utf-8"))
    model = dict(document["openai"]["models"]["gpt-4o-mini"], id=TEST_MODEL, name="GPT deploy test")
    document["openai"]["models"][TEST_MODEL] = model
    return json.dumps(document).encode()


def _start(name: str, command: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    with (logs / f"{name}.log").open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def installation(replay: ReplayServer, home: Path, pg_database: str, tmp_path: Path) -> Iterator[Installation]:
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copyfile(INSTANCE_FILE, dagster_home / "dagster.yaml")
    logs = tmp_path / "logs"
    logs.mkdir()
    code_port, web_port, api_port = free_port(), free_port(), free_port()
    workspace = local_workspace(tmp_path / "workspace.yaml", code_port)
    env = child_env(
        PYTHONPATH=str(REPO),  # this checkout's code, whatever the virtual environment has installed
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_COMPUTE_LOGS_DIR=str(tmp_path / "compute_logs"),
        AISI_HOME=str(home),
        AISI_DAGSTER_PG_URL=pg_database,
        AISI_SOURCES=SOURCES,
        AISI_EXECUTOR="multiprocess",
        AISI_EXECUTOR_MAX_CONCURRENCY="2",
        AISI_SOURCE_MODELS_DEV_CADENCE="* * * * *",
        AISI_DAGSTER_URL=f"http://127.0.0.1:{web_port}",
    )
    with Receiver() as slack:
        env["SLACK_WEBHOOK_URL"] = slack.url
        processes: dict[str, subprocess.Popen] = {}
        webserver: Webserver | None = None
        api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30)
        try:
            processes["code-server"] = _start("code-server", local_command("code-server", code_port), env, logs)
            _wait_healthy("code-server", local_command("code-server", code_port, healthcheck=True), env,
                          processes["code-server"], logs)
            processes["webserver"] = _start("webserver", local_command("webserver", web_port, workspace), env, logs)
            processes["api"] = _start("api", local_command("api", api_port), env, logs)
            webserver = Webserver(processes["webserver"], f"http://127.0.0.1:{web_port}", logs / "webserver.log")
            webserver.wait_ready(STARTUP_TIMEOUT_S)  # the code server answers over gRPC from here on
            processes["daemon"] = _start("daemon", local_command("daemon", workspace=workspace), env, logs)
            yield Installation(webserver, api, home, pg_database, replay, slack, logs, processes)
        finally:
            api.close()
            if webserver is not None:
                webserver.client.close()
            # The daemon first (it launches runs), the code server last (its runs are its children).
            for name in ("daemon", "webserver", "api", "code-server"):
                if name in processes:
                    stop_group(processes[name])


def _wait_healthy(name: str, healthcheck: list[str], env: dict[str, str], process: subprocess.Popen, logs: Path) -> None:
    """Until the service's own Compose health check passes."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{(logs / f'{name}.log').read_text(errors='replace')[-4000:]}")
        if subprocess.run(healthcheck, cwd=REPO, env=env, capture_output=True, timeout=60).returncode == 0:
            return
        time.sleep(1)
    pytest.fail(f"{name} not healthy after {STARTUP_TIMEOUT_S}s:\n{(logs / f'{name}.log').read_text(errors='replace')[-4000:]}")


def _rows(snapshot: Path, moved: tuple[str, str] = ("", "")) -> dict[str, list[tuple]]:
    """Every table of a snapshot, without what differs between two runs of the same data (run ids,
    times, file paths), sorted: what an analyst would compare. ``moved``: (old, new) part of a
    source URL that the two runs fetched from different paths."""
    volatile = ("run_id", "_at", "valid_from", "valid_to", "created", "updated", "snapshot", "path", "duration", "elapsed")
    tables: dict[str, list[tuple]] = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                    "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall():
            columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                                 "ORDER BY ordinal_position", [table]).fetchall()]
            kept = [c for c in columns if not any(v in c.lower() for v in volatile)]
            if not kept:
                continue
            select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in kept)
            rows = con.execute(f'SELECT {select} FROM "{table}"').fetchall()
            if moved[0]:
                rows = [tuple(v.replace(*moved) if isinstance(v, str) else v for v in row) for row in rows]
            tables[table] = sorted(rows, key=repr)
    return tables


def test_a_multi_process_installation(installation: Installation, tmp_path: Path) -> None:
    inst = installation
    started = time.monotonic()
    timings: dict[str, float] = {}
    # Switched on first: the failure sensor's cursor starts before any run, and the one-minute
    # schedule's ticks queue behind catalog_job (one catalog run at a time).
    inst.start_sensor("slack_run_failures")
    schedule = inst.webserver.graphql(START_SCHEDULE, {"selector": {**LOCATION, "scheduleName": "sources_every_1_minutes"}})
    assert schedule["startSchedule"]["scheduleState"]["status"] == "RUNNING", schedule

    # 1. catalog_job from the UI: queued, launched by the daemon, one process per step.
    run_id = inst.launch("catalog_job", {"aisi/trigger": "test-deployment"})
    run = inst.finished(run_id)
    assert run["status"] == "SUCCESS", f"{run}\n{inst.logs_tail()}"
    # models_dev changes from here on: the next scheduled fetch gets a new data version.
    inst.replay.add("/models_dev/api.json", _changed_models_dev())
    inst.start_sensor("catalog_automation")
    timings["multiprocess catalog_job"] = time.monotonic() - started
    assert {"key": "aisi/area", "value": "catalog"} in run["tags"]
    assert inst.events(run_id, dg.DagsterEventType.RUN_ENQUEUED), "the run did not go through the queue"
    engine = " ".join(e.get("user_message", "") for e in inst.events(run_id, dg.DagsterEventType.ENGINE_EVENT))
    assert "multiprocess executor" in engine.lower(), engine[:2000]
    workers = {e["dagster_event"]["step_key"] for e in inst.events(run_id, dg.DagsterEventType.STEP_WORKER_STARTED)}
    assert {"openrouter_raw", "models_dev_raw", "litellm_raw", "catalog", "warehouse", "duckdb_snapshot"} <= workers, sorted(workers)
    # Sources fetched in parallel: at some moment two source steps' processes were at work at once
    # (from the step's process start to its success).
    spans = {e["dagster_event"]["step_key"]: [e["timestamp"]] for e in inst.events(run_id, dg.DagsterEventType.STEP_WORKER_STARTED)}
    for e in inst.events(run_id, dg.DagsterEventType.STEP_SUCCESS):
        spans[e["dagster_event"]["step_key"]].append(e["timestamp"])
    sources = {k: v for k, v in spans.items() if k.endswith("_raw")}
    assert any(a[0] < b[1] and b[0] < a[1] for x, a in sources.items() for y, b in sources.items() if x < y), sources
    [first] = inst.snapshots()
    assert (inst.home / "snapshots" / "latest.duckdb").resolve() == first.resolve()
    # No scheduled run ran beside it (a tick during it waited in the queue).
    for scheduled in inst.runs(**{"dagster/schedule_name": "sources_every_1_minutes"}):
        starts = inst.events(scheduled["runId"], dg.DagsterEventType.RUN_START)
        assert not starts or starts[0]["timestamp"] >= inst.events(run_id, dg.DagsterEventType.RUN_SUCCESS)[0]["timestamp"] - 1

    # Meanwhile, the same sources refreshed in process (`aisi refresh`, SQLite) as the baseline:
    # models_dev as catalog_job saw it (its original payload, under a path of its own).
    baseline = tmp_path / "in_process"
    inst.replay.add("/models_dev_before/api.json", FIXTURES / "models_dev_api.json")
    with (inst.logs / "refresh.log").open("wb") as out:
        refresh = subprocess.Popen(aisi_command("refresh"), cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                   env=child_env(PYTHONPATH=str(REPO), AISI_HOME=str(baseline), DAGSTER_HOME=str(baseline / "dagster"),
                                                 AISI_SOURCES=SOURCES, AISI_SOURCE_MODELS_DEV_URL=inst.replay.url + "/models_dev_before"))
    try:
        # 3. A run that really fails: openrouter_records alone, after the stored output of its input
        # (openrouter_raw, from the run above) was removed.
        stored = inst.home / "dagster" / "storage" / "runs" / run_id / "openrouter_raw"
        assert stored.is_file(), sorted(p.name for p in stored.parent.iterdir())
        stored.unlink()
        failing = inst.launch("__ASSET_JOB", {"aisi/trigger": "test-failure"}, assets=["openrouter_records"])
        failed = inst.finished(failing)
        assert failed["status"] == "FAILURE", failed

        # 2. The schedule's run fetches the changed payload; the automation sensor's run publishes.
        def scheduled_success() -> dict | None:
            runs = inst.runs(**{"dagster/schedule_name": "sources_every_1_minutes"})
            assert all(r["status"] not in ("FAILURE", "CANCELED") for r in runs), runs
            return next((r for r in runs if r["status"] == "SUCCESS"), None)

        scheduled = inst.wait("the scheduled run to succeed", SCHEDULED_PUBLISH_TIMEOUT_S, scheduled_success, interval=2)
        assert scheduled["jobName"] == "sources_every_1_minutes"
        new = inst.wait("a snapshot published by the automation sensor's run", SCHEDULED_PUBLISH_TIMEOUT_S,
                        lambda: sorted(inst.snapshots() - {first}), interval=2)[-1]
        timings["scheduled fetch + automation publish"] = time.monotonic() - started
        automation_runs = inst.runs(**{"dagster/sensor_name": "catalog_automation"})
        assert automation_runs and {"key": "aisi/area", "value": "catalog"} in automation_runs[0]["tags"], automation_runs
        with duckdb.connect(str(new), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM models WHERE model_key = ?", [f"openai/{TEST_MODEL}"]).fetchone()[0] == 1

        # The read API (its own process, same AISI_HOME) serves the new snapshot, with the new model.
        def serving_new() -> bool:
            try:
                listing = inst.api.get("/api/v1/models", params={"limit": 1})
            except httpx.HTTPError:
                return False
            return listing.status_code == 200 and listing.headers.get("x-snapshot-id") == new.stem

        inst.wait("the read API to serve the new snapshot", 30, serving_new)
        model = inst.api.get(f"/api/v1/models/openai/{TEST_MODEL}")
        assert model.status_code == 200, model.text[:500]
        assert model.headers["x-snapshot-id"] == new.stem and new.stem in model.headers["etag"]
        assert model.json()["model_key"] == f"openai/{TEST_MODEL}", model.json()

        # The failed run reached Slack once: on one tick, and not again on the ticks after it.
        def delivered() -> list[Post]:
            return [p for p in inst.slack.posts if p.status == 200 and failing in json.dumps(p.body)]

        [post] = inst.wait("the run failure message in Slack", 120, delivered)
        inst.wait(f"{SENSOR_TICKS_AFTER_DELIVERY} more ticks of slack_run_failures", 120,
                  lambda: len([t for t in inst.sensor_ticks("slack_run_failures") if t["timestamp"] > post.received_at])
                  >= SENSOR_TICKS_AFTER_DELIVERY, interval=2)
        assert len(delivered()) == 1, [p.body for p in inst.slack.posts]
        assert "openrouter_raw" in json.dumps(post.body) and "gone" in json.dumps(post.body), post.body
        assert len(inst.slack.delivered()) == 1, [p.body for p in inst.slack.posts]  # nothing else failed

        # The multiprocess run published the rows an in-process refresh of the same sources publishes.
        assert refresh.wait(timeout=RUN_TIMEOUT_S) == 0, (inst.logs / "refresh.log").read_text(errors="replace")[-4000:]
    finally:
        stop_group(refresh)
    in_process = _rows((baseline / "snapshots" / "latest.duckdb").resolve(), moved=("/models_dev_before/", "/models_dev/"))
    multiprocess = _rows(first)
    assert {t: len(r) for t, r in multiprocess.items()} == {t: len(r) for t, r in in_process.items()}
    assert len(multiprocess["models"]) > 10 and len(multiprocess["prices"]) > 10
    assert multiprocess == in_process
    timings["whole test"] = time.monotonic() - started
    print("\n" + "; ".join(f"{what}: {seconds:.0f}s" for what, seconds in timings.items()))
