"""The embedded instance's event log (pipelines/resources/event_log.py): Dagster's own SQLite files,
written through connections kept open, and run databases copied from an empty template."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines.resources import event_log
from pipelines.resources.event_log import PooledSqliteEventLogStorage


@dg.asset
def numbers() -> int:
    return 7


@dg.asset_check(asset=numbers)
def numbers_positive(numbers: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=numbers > 0)


job = dg.define_asset_job("numbers_job", selection=[numbers])
defs = dg.Definitions(assets=[numbers], asset_checks=[numbers_positive], jobs=[job])


@pytest.fixture(autouse=True)
def _own_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


def _instance(home: Path, pooled: bool) -> dg.DagsterInstance:
    """An instance in ``home``; the pooled storage finds its files through DAGSTER_HOME, as
    under `aisi`, the webserver and the daemon."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)  # restored by _own_dagster_home
    config = "telemetry:\n  enabled: false\n"
    if pooled:
        config += "event_log_storage:\n  module: pipelines.resources.event_log\n  class: PooledSqliteEventLogStorage\n"
    (home / "dagster.yaml").write_text(config)
    return dg.DagsterInstance.from_config(str(home))


def _schema(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str]]]:
    with sqlite3.connect(path) as con:
        objects = con.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
        version = con.execute("SELECT version_num FROM alembic_version").fetchall()
    return objects, version


def test_runs_written_pooled_read_back_by_dagsters_own_storage(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    with _instance(home, pooled=True) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        results = [defs.resolve_job_def("numbers_job").execute_in_process(instance=instance) for _ in range(3)]
        assert all(r.success for r in results)
        pooled_events = {r.run_id: [e.dagster_event_type for e in instance.all_logs(r.run_id) if e.dagster_event] for r in results}
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key([dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_positive")])
        assert check, "the asset check evaluation was stored"
        run_id = results[-1].run_id
    # Dagster's own class, on the same files, sees the same runs and the same events.
    plain = SqliteEventLogStorage(str(home / "history" / "runs"))
    for run_id, types in pooled_events.items():
        assert [e.dagster_event_type for e in plain.get_logs_for_run(run_id) if e.dagster_event] == types
        assert dg.DagsterEventType.ASSET_MATERIALIZATION in types and dg.DagsterEventType.RUN_SUCCESS in types
    latest = plain.get_latest_materialization_events([dg.AssetKey("numbers")])[dg.AssetKey("numbers")]
    assert latest is not None and latest.run_id == run_id
    # And the other way round: a home whose runs Dagster's class wrote is read by the pooled one.
    with _instance(tmp_path / "plain", pooled=False) as instance:
        old = defs.resolve_job_def("numbers_job").execute_in_process(instance=instance).run_id
    pooled = PooledSqliteEventLogStorage(str(tmp_path / "plain" / "history" / "runs"))
    assert any(e.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS for e in pooled.get_logs_for_run(old) if e.dagster_event)


def test_a_run_database_from_the_template_is_what_dagster_builds(tmp_path: Path) -> None:
    with _instance(tmp_path / "pooled", pooled=True) as instance:
        copied = defs.resolve_job_def("numbers_job").execute_in_process(instance=instance).run_id
    with _instance(tmp_path / "plain", pooled=False) as instance:
        built = defs.resolve_job_def("numbers_job").execute_in_process(instance=instance).run_id
    runs = tmp_path / "pooled" / "history" / "runs"
    templates = list(runs.glob(".run-template-*.sqlite"))
    assert len(templates) == 1, "one template per Dagster version"
    assert _schema(runs / f"{copied}.db") == _schema(tmp_path / "plain" / "history" / "runs" / f"{built}.db")
    # The template is not a run: Dagster lists only the run databases.
    assert set(instance.event_log_storage.get_all_run_ids()) == {built}
    assert SqliteEventLogStorage(str(runs)).get_all_run_ids() == [copied]


def test_open_databases_are_bounded_and_wipe_starts_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_log, "OPEN_SHARDS", 2)
    with _instance(tmp_path / "dagster", pooled=True) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        runs = [defs.resolve_job_def("numbers_job").execute_in_process(instance=instance).run_id for _ in range(4)]
        assert len(storage._engines) <= 2
        # A run whose engine was closed is still read (its engine opens again).
        assert any(e.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS for e in instance.all_logs(runs[0]) if e.dagster_event)
        storage.wipe()
        assert storage.get_all_run_ids() == []
        assert set(storage._engines) <= {"index"}, "no run database is held open after a wipe"
        again = defs.resolve_job_def("numbers_job").execute_in_process(instance=instance)
        assert again.success and storage.get_all_run_ids() == [again.run_id]


def test_an_instance_opened_by_its_path_reads_its_own_event_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`aisi` writes the instance's own directory into its copy of dagster.yaml: a process whose
    DAGSTER_HOME points elsewhere (a benchmark, a test, another home's tool) that opens the
    instance by its path reads the runs written there, not an empty log of its own."""
    from pipelines.cli import prepare_instance

    monkeypatch.setenv("AISI_HOME", str(tmp_path / "home"))
    home = prepare_instance()  # sets DAGSTER_HOME to tmp_path/home/dagster
    with dg.DagsterInstance.get() as instance:
        run_id = defs.resolve_job_def("numbers_job").execute_in_process(instance=instance).run_id
    os.environ["DAGSTER_HOME"] = str(tmp_path / "elsewhere")
    with dg.DagsterInstance.from_config(str(home)) as opened:
        assert isinstance(opened.event_log_storage, PooledSqliteEventLogStorage)
        stats = opened.get_run_step_stats(run_id)
        assert [s.step_key for s in stats] == ["numbers", "numbers_numbers_positive"]
        assert all(s.end_time is not None for s in stats)
    assert not (tmp_path / "elsewhere" / "history").exists()
