"""Refresh benchmark: the full catalog refresh on the real reference data, served locally.

Each refresh is ``python -m pipelines.cli refresh`` in its own child process, so its wall
time includes start-up (imports, Dagster instance) exactly as an operator sees it, and its
peak RSS is that process's own high-water mark (``run_child``), not a maximum over earlier children.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from benchmarks import REFERENCE, REPO, SOURCES, child_env
from core.sources.registry import HTTP_SOURCES
from tests.replay import ReplayServer

# The first refresh runs three times (the later ones each in a home of its own, discarded), the
# unchanged one five times (on the first's home), the two kinds alternating (``plan``); the ratio
# and the wall goal take their medians: one run alone, or a run of one kind only, is at the mercy
# of whatever else the machine does at that moment (its speed varies by half within minutes here).
FIRST_RUNS = 3
UNCHANGED_RUNS = 5


def plan(home: Path) -> list[tuple[str, Path]]:
    """The runs in order, (name, AISI_HOME): the first refresh of the empty ``home``, then unchanged
    refreshes of ``home`` and the other first refreshes (each in an empty home of its own) in turn,
    until the firsts are done, then the remaining unchanged ones."""
    firsts = [(f"first{i}", home.with_name(f"{home.name}-first{i}")) for i in range(2, FIRST_RUNS + 1)]
    unchanged = [(f"unchanged{i}", home) for i in range(1, UNCHANGED_RUNS + 1)]
    order = [("first", home)]
    while firsts or unchanged:
        for runs in (unchanged, firsts):
            if runs:
                order.append(runs.pop(0))
    return order


@dataclass
class RefreshFigures:
    run: str
    wall_s: float
    cpu_s: float  # user + system CPU of the refresh process
    peak_rss_mib: float
    models: int
    offerings: int
    prices: int
    new_price_rows: int
    not_modified: int  # sources answered 304
    requests: int  # source requests made
    snapshot: str

    @property
    def rows_per_s(self) -> float:
        return (self.offerings + self.prices) / self.wall_s if self.wall_s else 0.0


def snapshot_counts(home: Path) -> tuple[str, dict[str, int]]:
    """Snapshot id and row counts of models, offerings, prices in ``latest.duckdb``."""
    import duckdb

    latest = home / "snapshots" / "latest.duckdb"
    if not latest.exists():
        return "", {"models": 0, "offerings": 0, "prices": 0}
    path = latest.resolve()
    with duckdb.connect(str(path), read_only=True) as con:
        counts = {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in ("models", "offerings", "prices")}
    return path.stem, counts


def run_child(command: list[str], env: dict[str, str], log: Path) -> tuple[int, float, float, float, list[tuple[float, int]]]:
    """Runs ``command``; returns (exit code, wall s, CPU s, peak RSS MiB, all of that child alone, and
    its resident memory sampled every 0.1 s as (epoch s, KiB))."""
    from benchmarks.server import rss_kib

    samples: list[tuple[float, int]] = []
    peak_kib = 0
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                try:
                    memory = rss_kib(proc.pid)
                    samples.append((time.time(), memory["VmRSS"]))
                    peak_kib = max(peak_kib, memory["VmHWM"])
                except (OSError, KeyError):  # exiting between the wait and the read
                    pass
                time.sleep(0.1)
        except BaseException:  # interrupted (Ctrl-C, a test's timeout): the child goes too
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    # The peak is the child's own VmHWM (its high-water mark, reset by exec), read up to 0.1 s
    # before it exits. Not ru_maxrss: Linux carries the parent's high-water mark across the
    # fork and exec into it, so a child of a benchmark that made 300 MB of payloads "peaks" there.
    peak_mib = peak_kib / 1024 if peak_kib else usage.ru_maxrss / 1024
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, peak_mib, samples


def closed_port() -> int:
    """A local port nothing listens on: a source pointed at it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def public_sources_env(urls: Mapping[str, str], timeout_s: str) -> dict[str, str]:
    """The environment of a refresh of the three public sources at ``urls`` (env name, as in
    ``benchmarks.SOURCES``, -> base URL) and the defaults file. Every other source points at a
    closed local port (nothing leaves the machine) and is left out by AISI_SOURCES; the OpenRouter
    endpoints fan-out is off (there is no reference data for it)."""
    dead = f"http://127.0.0.1:{closed_port()}"
    extra = {module.SPEC.url_variable: dead for module in HTTP_SOURCES}
    extra["AISI_OPENROUTER_ENDPOINTS_PER_RUN"] = "0"
    extra["AISI_SOURCES"] = "openrouter,models_dev,litellm,model_defaults"
    for env_name, url in urls.items():
        extra[f"AISI_SOURCE_{env_name}_URL"] = url
        extra[f"AISI_SOURCE_{env_name}_TIMEOUT"] = timeout_s
    return extra


def run(home: Path, logs: Path) -> list[RefreshFigures]:
    with ReplayServer() as server:
        list_paths = {prefix + path for prefix, path, _ in SOURCES.values()}
        for prefix, path, reference in SOURCES.values():
            server.add(prefix + path, REFERENCE / reference)
        extra = public_sources_env({env_name: server.url + prefix for env_name, (prefix, _, _) in SOURCES.items()}, "30")
        command = [sys.executable, "-m", "pipelines.cli", "refresh"]
        figures = []
        for name, run_home in plan(home):
            env = child_env(run_home, **extra)
            _, before = snapshot_counts(run_home)
            seen_before = len(server.requests)
            log = logs / f"refresh-{name}.log"
            code, wall, cpu, rss, _ = run_child(command, env, log)
            if code != 0:
                tail = log.read_text(errors="replace").splitlines()[-40:]
                raise SystemExit(f"{name} refresh failed (exit {code}); last lines of {log}:\n" + "\n".join(tail))
            snapshot, after = snapshot_counts(run_home)
            seen = [r for r in server.requests[seen_before:] if r.path in list_paths]
            figures.append(
                RefreshFigures(
                    run=name, wall_s=wall, cpu_s=cpu, peak_rss_mib=rss, models=after["models"], offerings=after["offerings"],
                    prices=after["prices"], new_price_rows=after["prices"] - before["prices"],
                    not_modified=sum(1 for s in seen if s.status == 304), requests=len(seen), snapshot=snapshot,
                )
            )
    return figures
