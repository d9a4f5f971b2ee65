"""Helpers for tests that run the project's commands as real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def venv_script(name: str, module: str) -> list[str]:
    """The console script beside this interpreter (the installed entry point), else ``python -m``."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", module]


def aisi_command(*args: str) -> list[str]:
    return [*venv_script("aisi", "pipelines.cli"), *args]


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment (as the fixtures left it) plus ``overrides``."""
    env = dict(os.environ)
    env.update(overrides)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str
    elapsed_s: float

    def describe(self) -> str:
        return f"exit {self.returncode} after {self.elapsed_s:.1f}s\n--- stdout\n{self.stdout[-4000:]}\n--- stderr\n{self.stderr[-4000:]}"


def run_aisi(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Completed:
    started = time.monotonic()
    proc = subprocess.run(
        aisi_command(*args),
        cwd=REPO,
        env=env if env is not None else child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
