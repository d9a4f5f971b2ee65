"""The API server the read API benchmarks measure: ``benchmarks.asgi`` (the product's app plus
one static route) under uvicorn in a child process, with the settings of ``aisi serve``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

from benchmarks import REPO, child_env
from benchmarks.asgi import STATIC_PATH


@dataclass
class Server:
    """A running server: its base URL, its process id (for /proc) and its log."""

    url: str
    pid: int
    log: Path


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (resident now) and ``VmHWM`` (its peak) of process ``pid`` in KiB, from /proc/<pid>/status."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


@contextmanager
def api_server(home: Path, logs: Path, static_file: Path, name: str = "api-server") -> Iterator[Server]:
    """Starts the server on ``home`` serving ``static_file`` at ``STATIC_PATH``; waits until it
    answers; stops it after the block. The rate limit is left as configured (clients on
    loopback are spared) except that ``AISI_API_RATE_LIMIT_LOOPBACK`` is dropped: the
    benchmark's clients are all one loopback address."""
    port = free_port()
    env = child_env(home, AISI_BENCH_STATIC_FILE=str(static_file))
    env.pop("AISI_API_RATE_LIMIT_LOOPBACK", None)
    # Same uvicorn settings as `aisi serve` (log level info: its access log included), our app factory.
    command = [sys.executable, "-m", "uvicorn", "benchmarks.asgi:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    log = logs / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + STATIC_PATH, timeout=5.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise SystemExit(f"API server did not start (see {log}):\n{tail}")
            time.sleep(0.1)
        yield Server(url, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
