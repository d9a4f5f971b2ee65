"""Read API benchmark: ``/api/v1/models?provider=openai`` against the same bytes served
as a constant response by the same server process, interleaved on one keep-alive client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import REPO, child_env
from benchmarks.asgi import STATIC_PATH

API_PATH = "/api/v1/models?provider=openai"


@dataclass
class LatencyFigures:
    target: str
    n: int
    p50_ms: float
    p99_ms: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    rank = max(1, min(len(sorted_ns), -(-len(sorted_ns) * q // 100)))
    return sorted_ns[int(rank) - 1] / 1e6


def expected_bytes(home: Path) -> bytes:
    """The API's body for ``API_PATH``, computed in this process (its own app, own cache),
    so the server's answer is compared with an independent rendering of the same snapshot."""
    import asyncio
    import os

    async def fetch(app: object) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            return await client.get(API_PATH)

    previous = os.environ.get("AISI_HOME")
    os.environ["AISI_HOME"] = str(home)
    try:
        from api.app import create_app

        response = asyncio.run(fetch(create_app()))
    finally:
        if previous is None:
            os.environ.pop("AISI_HOME", None)
        else:
            os.environ["AISI_HOME"] = previous
    if response.status_code != 200:
        raise SystemExit(f"GET {API_PATH} in-process answered {response.status_code}: {response.text[:300]}")
    return response.content


def run(home: Path, logs: Path, n: int = 2000, warmup: int = 200, budget_s: float = 60.0) -> tuple[list[LatencyFigures], dict[str, object]]:
    static_file = logs / "models_openai.json"
    body = expected_bytes(home)
    static_file.write_bytes(body)

    port = _free_port()
    env = child_env(home, AISI_BENCH_STATIC_FILE=str(static_file))
    # Same uvicorn settings as `aisi serve` (log level info: its access log included), our app factory.
    command = [sys.executable, "-m", "uvicorn", "benchmarks.asgi:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    log = logs / "api-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10.0) as client:  # one keep-alive connection
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get(STATIC_PATH).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                    raise SystemExit(f"API server did not start (see {log}):\n{tail}")
                time.sleep(0.1)

            first = client.get(API_PATH)
            checks = {
                "status": first.status_code,
                "etag": first.headers.get("etag"),
                "same_bytes": first.content == body,
                "bytes": len(body),
                "items": first.json().get("total") if first.status_code == 200 else None,
                "not_modified": client.get(API_PATH, headers={"If-None-Match": first.headers.get("etag", "")}).status_code,
            }
            static_first = client.get(STATIC_PATH)
            checks["static_same_bytes"] = static_first.content == body

            targets = {"api": API_PATH, "static": STATIC_PATH}
            for _ in range(warmup):
                for path in targets.values():
                    client.get(path)

            timings: dict[str, list[int]] = {name: [] for name in targets}
            mismatches = 0
            order = list(targets.items())
            started = time.monotonic()
            for i in range(n):
                # ABBA: neither target always goes first after the other.
                for name, path in order if i % 2 == 0 else order[::-1]:
                    t0 = time.perf_counter_ns()
                    response = client.get(path)
                    elapsed = time.perf_counter_ns() - t0
                    timings[name].append(elapsed)
                    if response.status_code != 200 or response.content != body:
                        mismatches += 1
                if time.monotonic() - started > budget_s:
                    break
            checks["mismatches"] = mismatches
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    figures = []
    for name, values in timings.items():
        values.sort()
        figures.append(LatencyFigures(name, len(values), _percentile(values, 50), _percentile(values, 99)))
    return figures, checks
