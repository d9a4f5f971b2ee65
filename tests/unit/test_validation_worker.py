"""The validation worker (core/quality/validation_worker.py): GX validations handed to a forked
process give the outcome the calling process computes itself; a dead worker falls back.

Each case runs in a fresh interpreter: the worker refuses to fork a process that runs other
threads, and a pytest-xdist worker does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO

PRELUDE = """
import os, signal, threading
import pandas as pd
from core.quality import expectations as gxe, validation_worker

frame = pd.DataFrame({"key": ["a", "b", "b", "c"], "price": [1.0, -2.0, 3.0, None]})
suite = [gxe.columns_exist(["key", "price"]), gxe.unique("key"), gxe.not_null("price"), gxe.between("price", 0, 100)]

def summary(outcome):
    return (outcome.success, outcome.rows, outcome.evaluated,
            [(f.expectation, f.unexpected_count, f.error, f.sample.astype(object).where(f.sample.notna(), None).to_dict("records"))
             for f in outcome.failed])
"""


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_validation_in_the_worker_equals_one_made_here() -> None:
    out = run("""
        here = summary(gxe.validate(frame, "prices", suite, ["key"]))
        assert "great_expectations" in __import__("sys").modules
        """)
    assert out == ""
    out = run("""
        assert validation_worker.start(gxe.warm)
        assert validation_worker.submit(os.getpid).result() != os.getpid(), "the call ran in another process"
        there = summary(gxe.validate(frame, "prices", suite, ["key"]))
        assert "great_expectations" not in __import__("sys").modules, "GX was imported in the worker only"
        validation_worker.stop()
        assert not validation_worker.running()
        here = summary(gxe.validate(frame, "prices", suite, ["key"]))
        assert there == here, (there, here)
        failed = [name for name, *_ in there[3]]
        assert failed == ["key is unique", "price is not null", "price >= 0 and price <= 100"], failed
        print("same")
        """)
    assert out.strip() == "same"


def test_an_error_comes_back_and_a_dead_worker_falls_back() -> None:
    out = run("""
        assert validation_worker.start(gxe.warm)
        try:
            validation_worker.submit(int, "not a number").result()
        except ValueError as exc:
            print("raised", type(exc).__name__)
        worker = validation_worker.submit(os.getpid).result()
        os.kill(worker, signal.SIGKILL)
        outcome = gxe.validate(frame, "prices", suite, ["key"])  # the worker is gone: validated here
        assert not validation_worker.running() and not outcome.success
        print("fell back", len(outcome.failed))
        """)
    assert out.splitlines() == ["raised ValueError", "fell back 3"]


def test_a_submitted_call_is_taken_later_where_the_work_is() -> None:
    """``submit`` hands a call over at once and its result is taken later: made in the worker when
    one runs (by the time it is asked for), here otherwise; an error raised once is raised again."""
    out = run("""
        import time
        early = validation_worker.submit(os.getpid)  # no worker yet: kept until asked for
        assert validation_worker.start(gxe.warm)
        pending = gxe.validate_later(frame, "prices", suite, ["key"])
        failing = validation_worker.submit(int, "not a number")
        assert early.result() != os.getpid(), "asked for once a worker ran: made there"
        assert summary(pending.result()) == summary(pending.result())
        for _ in range(2):
            try:
                failing.result()
            except ValueError as exc:
                print("raised", type(exc).__name__)
        worker = validation_worker.submit(os.getpid).result()
        slow = validation_worker.submit(time.sleep, 0.5)
        queued = [validation_worker.submit(os.getpid) for _ in range(5)]
        validation_worker.stop()  # cancels what is not yet on its way to the worker
        pids = [q.result() for q in queued]
        assert set(pids) <= {worker, os.getpid()} and pids[-1] == os.getpid(), pids  # cancelled there: made here
        assert slow.result() is None
        here = summary(gxe.validate(frame, "prices", suite, ["key"]))
        assert summary(pending.result()) == here
        print("same")
        """)
    assert out.splitlines() == ["raised ValueError", "raised ValueError", "same"]


def test_the_catalog_step_hands_the_table_checks_over_and_the_check_steps_take_them() -> None:
    """``submit_table_checks`` (the catalog step, as soon as each table is final) gives the check
    steps of the same run the outcome they would compute, made in the worker; another run's or
    another suite's check validates itself. Without a worker nothing is handed over."""
    out = run("""
        import sys
        from pipelines.catalog import checks
        from core.quality.tables import table_contract
        tables = {name: pd.DataFrame({"model_key": ["a/b", None], "context_window": [-1, 8000]}) for name in checks.TABLE_RULES}
        checks.submit_table_checks("run-1", tables)
        assert checks._SUBMITTED == {}, "no worker: nothing handed over"
        assert validation_worker.start(gxe.warm)
        checks.submit_table_checks("run-1", tables)
        contract = table_contract("offerings")
        _, every = checks._suite(contract, checks.TABLE_RULES["offerings"])
        other_run = checks._validated("run-2", "offerings", tables["offerings"], every, contract)
        taken = checks._validated("run-1", "offerings", tables["offerings"], every, contract)
        _, fewer = checks._suite(contract, checks.TABLE_RULES["offerings"][:1])
        subset = checks._validated("run-1", "models", tables["models"], fewer, contract)
        assert "great_expectations" not in sys.modules, "every validation so far was made in the worker"
        validation_worker.stop()
        here = gxe.validate(tables["offerings"], "offerings_quality", every, sample_columns=contract.primary_key)
        assert summary(taken) == summary(here) == summary(other_run)
        assert not taken.success and len(subset.failed) < len(taken.failed)
        assert sorted(table for _, table in checks._SUBMITTED) == ["prices"], "each taken once; models' suite differed"
        checks.submit_table_checks("run-3", {})
        assert checks._SUBMITTED == {}, "what run-1 handed over and nobody took is dropped by the next run"
        print("same")
        """)
    assert out.strip() == "same"


def test_no_fork_while_another_thread_runs() -> None:
    out = run("""
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        print(validation_worker.start(gxe.warm), validation_worker.running())
        stop.set(); thread.join()
        outcome = gxe.validate(frame, "prices", suite, ["key"])
        print(len(outcome.failed))
        """)
    assert out.splitlines() == ["False False", "3"]


def test_the_worker_dies_with_a_killed_refresh_process() -> None:
    """A refresh killed while its worker runs must not leave the worker (holding the refresh's
    open files, the catalog lock among them) behind."""
    import os
    import time

    code = PRELUDE + textwrap.dedent("""
        assert validation_worker.start(gxe.warm)
        print(validation_worker.submit(os.getpid).result(), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == -9, done.stderr[-2000:]
    worker = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{worker}") and "Z" not in _state(worker):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{worker}") or "Z" in _state(worker), "the worker outlived its refresh"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"
