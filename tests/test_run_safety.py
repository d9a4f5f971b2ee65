"""Runs that cannot trip over each other, with real `aisi refresh` processes on one AISI_HOME:
two started together take turns (or the second, with --no-wait, says who holds the home), and a
refresh killed while it holds the `browser` pool does not block the next one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import dagster as dg
import duckdb
import pytest

from core.run_lock import LOCK_NAME, read_holder
from core.sources.registry import HTTP_SOURCES
from tests.aisi_process import REPO, aisi_command, child_env, run_aisi
from tests.conftest import free_port
from tests.replay import HangingServer
from tests.test_browser import chromium  # noqa: F401  (fixture: fails in CI when Chromium is missing)

pytestmark = pytest.mark.slow

OPENROUTER_PATH = "/openrouter/api/v1/models"

REFRESH_TIMEOUT_S = 300


class Refresh:
    """`aisi refresh` started in the background, in its own session, output to files."""

    def __init__(self, name: str, logs: Path, env: dict[str, str], *args: str):
        self.out = logs / f"{name}.out"
        self.err = logs / f"{name}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(aisi_command("refresh", *args), cwd=REPO, env=env, stdout=out, stderr=err,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def describe(self) -> str:
        return f"exit {self.process.returncode}\n--- stdout\n{self.stdout()[-3000:]}\n--- stderr\n{self.stderr()[-3000:]}"

    def wait(self, timeout: float = REFRESH_TIMEOUT_S) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"refresh {self.pid} still running after {timeout}s:\n{self.describe()}")

    def kill_group(self) -> None:
        """Ends whatever this refresh left running (its browser, Dagster's log tailers)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=30)


def wait_for(condition: Callable[[], object], timeout: float, what: str, describe: Callable[[], str] = str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not {what} after {timeout}s\n{describe()}")


def summary(refresh: Refresh) -> tuple[str, Path]:
    """(run id, snapshot path) from a refresh's summary."""
    text = refresh.stdout()
    run = re.search(r"^Refresh succeeded in .* \(run ([0-9a-f-]+)\)$", text, re.MULTILINE)
    snapshot = re.search(r"^Snapshot: (.+)$", text, re.MULTILINE)
    assert run and snapshot, refresh.describe()
    return run.group(1), Path(snapshot.group(1).strip())


def snapshot_runs(snapshot: Path) -> dict[str, int]:
    """Run id -> source_runs rows in a snapshot."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return dict(con.execute("SELECT run_id, count(*) FROM source_runs GROUP BY run_id").fetchall())


def instance() -> dg.DagsterInstance:
    from pipelines.cli import prepare_instance

    prepare_instance()  # DAGSTER_HOME is the test's $AISI_HOME/dagster (the `home` fixture)
    return dg.DagsterInstance.get()


def test_two_refreshes_started_together_take_turns(replay, home: Path, tmp_path: Path):
    env = child_env()
    first = Refresh("first", tmp_path, env)
    second: Refresh | None = None
    try:
        wait_for(lambda: read_holder(home / LOCK_NAME).pid == first.pid, 60, "holding the lock", first.describe)

        # With --no-wait the next refresh fails at once, naming the one that holds the home.
        refused = run_aisi("refresh", "--no-wait", env=env, timeout=60)
        assert refused.returncode == 75, refused.describe()
        assert f"another refresh (pid {first.pid}, started " in refused.stderr, refused.describe()
        assert f"holds {home}; not waiting (--no-wait)" in refused.stderr, refused.describe()
        assert refused.elapsed_s < 20 and "Snapshot:" not in refused.stdout

        # Without it, the next one waits for the first and then runs; OpenRouter's listing changes
        # once the first has fetched it, so the second has something new to publish.
        wait_for(lambda: bool(replay.seen(OPENROUTER_PATH)), 60, "fetching", first.describe)
        route = replay.routes[OPENROUTER_PATH]
        route.body = route.body.replace(b'"prompt": "0.0000025"', b'"prompt": "0.000002"')
        second = Refresh("second", tmp_path, env)
        wait_for(lambda: f"another refresh (pid {first.pid}, started" in second.stderr(), 60, "waiting", second.describe)
        assert f"holds {home}; waiting" in second.stderr()
        assert first.wait() == 0, first.describe()
        assert second.wait() == 0, second.describe()
    finally:
        first.kill_group()
        if second is not None:
            second.kill_group()

    first_run, first_snapshot = summary(first)
    second_run, second_snapshot = summary(second)
    assert first_snapshot != second_snapshot and first_snapshot.is_file() and second_snapshot.is_file()
    assert (home / "snapshots" / "latest.duckdb").resolve() == second_snapshot
    # Each snapshot holds its own run's sources; the second adds its run to the first's history.
    first_rows = snapshot_runs(first_snapshot)
    second_rows = snapshot_runs(second_snapshot)
    assert set(first_rows) == {first_run}, first_rows
    assert set(second_rows) == {first_run, second_run} and second_rows[first_run] == first_rows[first_run], second_rows
    assert second_rows[second_run] == first_rows[first_run]  # every source once per run
    # The runs did not overlap.
    records = {r.dagster_run.run_id: r for r in instance().get_run_records()}
    assert {records[i].dagster_run.status for i in (first_run, second_run)} == {dg.DagsterRunStatus.SUCCESS}
    assert records[second_run].start_time >= records[first_run].end_time
    assert (home / LOCK_NAME).read_text() == ""  # released by the last holder


def rendered_sources(url: str, timeout_s: str) -> dict[str, str]:
    """Every page rendered in Chromium pointed at ``url``, each with ``timeout_s``."""
    env = {}
    for module in HTTP_SOURCES:
        if module.SPEC.rendered:
            env[module.SPEC.url_variable] = url
            env[f"AISI_SOURCE_{module.SPEC.env_name}_TIMEOUT"] = timeout_s
    return env


def test_a_refresh_killed_in_the_browser_pool_does_not_block_the_next(home: Path, tmp_path: Path, chromium):  # noqa: F811
    dagster = instance()
    storage = dagster.event_log_storage
    with HangingServer() as hung:
        killed = Refresh("killed", tmp_path, child_env(**rendered_sources(hung.url, "120")))
        try:
            # Its first rendered page hangs: the run is STARTED and its step holds the only `browser` slot.
            def holding() -> str | None:
                if "browser" not in storage.get_concurrency_keys():
                    return None
                slots = storage.get_concurrency_info("browser").claimed_slots
                running = {r.run_id for r in dagster.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))}
                return next((s.run_id for s in slots if s.run_id in running), None)

            run_id = str(wait_for(holding, 120, "holding the browser pool", killed.describe))
            time.sleep(1)
            os.kill(killed.pid, signal.SIGKILL)
            killed.process.wait(timeout=30)
            assert dagster.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED  # left behind as it was
            assert [s.run_id for s in storage.get_concurrency_info("browser").claimed_slots] == [run_id]

            # The next refresh sweeps the dead run, gets the slot, and finishes.
            dead = f"http://127.0.0.1:{free_port()}"
            after = run_aisi("refresh", "--wait-timeout", "60", env=child_env(**rendered_sources(dead, "5")),
                             timeout=REFRESH_TIMEOUT_S)
        finally:
            killed.kill_group()

    assert after.returncode == 0, after.describe()
    assert f"Run {run_id} (catalog_job, STARTED) marked FAILURE: its process (pid {killed.pid}" in after.stderr, after.describe()
    assert "freed its slot(s) in pool browser" in after.stderr
    assert "waiting" not in after.stderr  # the kernel released the dead refresh's lock
    assert dagster.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    [failure] = dagster.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "is gone (killed or crashed)" in failure.message
    new_run = re.search(r"\(run ([0-9a-f-]+)\)", after.stdout)
    assert new_run and dagster.get_run_by_id(new_run.group(1)).status == dg.DagsterRunStatus.SUCCESS
    assert storage.get_concurrency_info("browser").claimed_slots == []
