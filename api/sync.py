"""Manual sync: ``POST /api/v1/sync/{source}`` starts ``aisi refresh --source NAME`` as a
separate process (a Dagster run on the platform's instance); the API itself never imports Dagster."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

# The sources a refresh can be asked for (pipelines' HTTP sources; a test keeps them equal).
SYNCABLE_SOURCES = ("openrouter", "models_dev", "litellm", "openai", "anthropic", "google", "mistral", "cohere", "replicate", "huggingface",
                    "artificial_analysis", "artificial_analysis_language", "artificial_analysis_page", "lmarena", "lmarena_history",
                    "openai_pricing", "anthropic_pricing", "google_pricing", "mistral_pricing")


class SyncBusy(Exception):
    """A sync of this source is still running."""


@dataclass(frozen=True)
class Launched:
    source: str
    pid: int
    log: str
    started_at: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A finished child we started stays a zombie until reaped.
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return reaped == 0


def launch_sync(source: str, home: Path) -> Launched:
    """Starts ``aisi refresh --source SOURCE`` unless one is running; raises SyncBusy if so.

    The check and the launch hold ``sync/<source>.lock`` (an flock): requests arriving together,
    in one API process or several, launch one refresh and the others are told it runs. The child
    is reaped by a thread waiting on it, so a finished sync leaves no zombie behind."""
    runs = home / "sync"
    runs.mkdir(parents=True, exist_ok=True)
    with open(runs / f"{source}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _launch_unless_running(source, home, runs)


def _launch_unless_running(source: str, home: Path, runs: Path) -> Launched:
    pidfile = runs / f"{source}.pid"
    if pidfile.exists():
        try:
            previous = int(pidfile.read_text().strip())
        except ValueError:
            previous = 0
        if previous and _alive(previous):
            raise SyncBusy(f"a sync of {source} is already running (pid {previous})")
    started = datetime.now(timezone.utc)
    log_path = runs / f"{source}-{started:%Y%m%dT%H%M%SZ}.log"
    env = dict(os.environ, AISI_HOME=str(home))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "refresh", "--source", source],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    pidfile.write_text(str(process.pid))
    threading.Thread(target=process.wait, name=f"reap-sync-{source}-{process.pid}", daemon=True).start()
    return Launched(source=source, pid=process.pid, log=str(log_path), started_at=started.isoformat())
