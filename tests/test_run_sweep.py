"""The start-up sweep on a real Dagster instance (SQLite under a temporary AISI_HOME): runs
whose process is gone are failed and their pool slots freed; live runs are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from pipelines.run_sweep import (
    HOST_TAG,
    PID_TAG,
    DagsterRunsBusy,
    active_catalog_runs,
    process_alive,
    process_tags,
    sweep_dead_runs,
    wait_for_catalog_runs,
)


@pytest.fixture
def instance(home: Path) -> dg.DagsterInstance:
    from pipelines.cli import prepare_instance

    prepare_instance()  # the project's dagster.yaml: pools default_limit 1
    return dg.DagsterInstance.get()


def dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def started_run(instance: dg.DagsterInstance, tags: dict[str, str], job: str = "catalog_job") -> dg.DagsterRun:
    run = dg.DagsterRun(job_name=job, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED, tags=tags)
    return instance.add_run(run)


def hold_slot(instance: dg.DagsterInstance, run: dg.DagsterRun, step: str = "openai_pricing_raw") -> None:
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default("browser")
    assert storage.claim_concurrency_slot("browser", run.run_id, step).is_claimed


def claimed(instance: dg.DagsterInstance) -> list[str]:
    return [slot.run_id for slot in instance.event_log_storage.get_concurrency_info("browser").claimed_slots]


def test_a_run_of_a_dead_process_is_failed_and_its_slot_freed(instance: dg.DagsterInstance):
    dead = started_run(instance, {PID_TAG: str(dead_pid()), HOST_TAG: process_tags()[HOST_TAG], "aisi/trigger": "cli"})
    hold_slot(instance, dead)
    alive = started_run(instance, {**process_tags(), "aisi/trigger": "cli"})  # this very process

    report = sweep_dead_runs(instance, lock_held=True)

    assert [s.run_id for s in report.swept] == [dead.run_id]
    assert report.swept[0].pools == ["browser"] and report.swept[0].marked == "FAILURE"
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
    assert (alive.run_id, f"its process (pid {os.getpid()} on {process_tags()[HOST_TAG]}) is alive") in report.kept
    assert claimed(instance) == []  # the next run can render a page
    [failure] = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "is gone (killed or crashed)" in failure.message
    assert any("marked FAILURE" in line and "browser" in line for line in report.lines())


def test_the_pid_dagster_recorded_is_used_without_tags(instance: dg.DagsterInstance):
    """An in-process run records "Executing steps in process (pid: N)"; a UI run worker
    "Started process for run (pid: N)": either names the process without aisi tags."""
    dead = started_run(instance, {})
    instance.report_engine_event("Executing steps in process", dead, EngineEventData.in_process(dead_pid()))
    live = started_run(instance, {})
    instance.report_engine_event("Started process for run", live, EngineEventData.in_process(os.getpid()))
    unknown = started_run(instance, {})  # a UI run with no pid yet: not a CLI run, left alone

    report = sweep_dead_runs(instance, lock_held=True)

    assert [s.run_id for s in report.swept] == [dead.run_id]
    assert report.swept[0].owner.how == "engine event"
    assert {run_id for run_id, _ in report.kept} == {live.run_id, unknown.run_id}
    # The live and the unknown UI-launched catalog runs are what a CLI refresh waits for.
    assert {r.run_id for r in active_catalog_runs(instance)} == {live.run_id, unknown.run_id}
    with pytest.raises(DagsterRunsBusy, match=live.run_id):
        wait_for_catalog_runs(instance, deadline=None, no_wait=True)


def test_a_cli_run_without_pid_is_dead_only_under_the_lock(instance: dg.DagsterInstance):
    orphan = started_run(instance, {"aisi/trigger": "cli"})  # killed before it recorded a pid
    assert sweep_dead_runs(instance, lock_held=False).swept == []
    assert [s.run_id for s in sweep_dead_runs(instance, lock_held=True).swept] == [orphan.run_id]


def test_a_run_on_another_host_is_left_alone(instance: dg.DagsterInstance):
    elsewhere = started_run(instance, {PID_TAG: "1", HOST_TAG: "some-other-host"})
    report = sweep_dead_runs(instance, lock_held=True)
    assert report.swept == [] and (elsewhere.run_id, "it runs on some-other-host") in report.kept


def test_slots_of_an_ended_run_are_freed(instance: dg.DagsterInstance):
    ended = started_run(instance, {})
    hold_slot(instance, ended)
    instance.report_run_failed(ended, "ended without freeing its slot")
    report = sweep_dead_runs(instance, lock_held=True)
    assert report.freed == {ended.run_id: ["browser"]} and claimed(instance) == []


def test_process_alive_tells_a_reused_pid_from_its_first_owner():
    assert process_alive(os.getpid())
    assert process_alive(os.getpid(), existed_at=2_000_000_000.0)
    assert not process_alive(os.getpid(), existed_at=1_000_000.0)  # this process started long after 1970
    assert not process_alive(dead_pid())
    assert not process_alive(0)


def test_the_instance_queues_runs_one_catalog_run_at_a_time(tmp_path: Path):
    """The run queue (launched by the daemon) lets one run tagged aisi/area=catalog be in
    progress at a time, run monitoring is on, pool browser has one slot; the PostgreSQL
    instance config says the same."""
    import yaml
    from dagster._core.run_coordinator import QueuedRunCoordinator

    from core.paths import CONFIG_DIR, REPO_ROOT
    from pipelines.run_sweep import AREA_TAG, CATALOG_AREA

    (tmp_path / "dagster.yaml").write_bytes((REPO_ROOT / "dagster.yaml").read_bytes())
    with dg.DagsterInstance.from_config(str(tmp_path)) as loaded:
        assert isinstance(loaded.run_coordinator, QueuedRunCoordinator)
        queue = loaded.get_concurrency_config()
        assert queue.run_queue_config.tag_concurrency_limits == [{"key": AREA_TAG, "value": CATALOG_AREA, "limit": 1}]
        assert queue.pool_config.default_pool_limit == 1
        assert loaded.run_monitoring_enabled
        assert loaded.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
    sqlite = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    postgres = yaml.safe_load((CONFIG_DIR / "dagster-postgres.yaml").read_text())
    for section in ("run_coordinator", "concurrency", "run_monitoring"):
        assert postgres[section] == sqlite[section], section
