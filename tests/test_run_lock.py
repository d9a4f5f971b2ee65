"""The per-home catalog lock: held across processes, named when busy, gone with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.run_lock import LOCK_NAME, CatalogBusy, LockHolder, catalog_lock, read_holder
from tests.aisi_process import REPO, child_env

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from core.run_lock import catalog_lock\n"
    "with catalog_lock(Path(sys.argv[1]), False, command='aisi refresh --source litellm') as lock:\n"
    "    lock.note(run_id='run-of-the-holder')\n"
    "    print('held', flush=True)\n"
    "    time.sleep(float(sys.argv[2]))\n"
)


def hold(home: Path, seconds: float) -> subprocess.Popen:
    """Another process holding ``home``'s lock for ``seconds``; returns once it holds it."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(home), str(seconds)], cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_lock_is_refused_at_once_naming_its_holder(tmp_path: Path):
    holder = hold(tmp_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(CatalogBusy) as busy:
            with catalog_lock(tmp_path, False):
                pytest.fail("acquired a lock another process holds")
        assert time.monotonic() - started < 2
        assert busy.value.holder.pid == holder.pid
        message = str(busy.value)
        assert f"pid {holder.pid}" in message and "aisi refresh --source litellm" in message, message
        assert "run-of-the-holder" in message and str(tmp_path) in message and "--no-wait" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_lock_is_taken_when_the_holder_is_killed(tmp_path: Path):
    holder = hold(tmp_path, 60)
    seen: list[LockHolder] = []
    try:
        # A bounded wait gives up, saying how long it waited.
        with pytest.raises(CatalogBusy, match=r"gave up after waiting"):
            with catalog_lock(tmp_path, 0.5, on_wait=seen.append):
                pass
        assert [h.pid for h in seen] == [holder.pid]  # told once whom it waits for
        os.kill(holder.pid, signal.SIGKILL)  # no clean-up runs: the kernel drops the flock
        holder.wait()
        started = time.monotonic()
        with catalog_lock(tmp_path, 10) as lock:
            assert time.monotonic() - started < 2
            assert read_holder(tmp_path / LOCK_NAME).pid == os.getpid() == lock.holder.pid
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert (tmp_path / LOCK_NAME).read_text() == ""  # released: names nobody


def test_waiting_for_ever_gets_the_lock_when_the_holder_ends(tmp_path: Path):
    holder = hold(tmp_path, 1.5)
    started = time.monotonic()
    try:
        with catalog_lock(tmp_path, True) as lock:
            assert time.monotonic() - started > 1.0  # only once the holder let go
            assert read_holder(tmp_path / LOCK_NAME) == lock.holder and lock.holder.pid == os.getpid()
    finally:
        holder.wait()


def test_wait_must_be_a_flag_or_seconds(tmp_path: Path):
    with pytest.raises(ValueError, match="wait must be"):
        with catalog_lock(tmp_path, -1):
            pass
