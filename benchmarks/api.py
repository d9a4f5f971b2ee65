"""Read API benchmark: ``/api/v1/models?provider=openai`` against the same bytes served
as a constant response by the same server process, interleaved on one keep-alive client."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.asgi import STATIC_PATH
from benchmarks.load import percentile_ms
from benchmarks.server import api_server

API_PATH = "/api/v1/models?provider=openai"


@dataclass
class LatencyFigures:
    target: str
    n: int
    p50_ms: float
    p99_ms: float


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

    with api_server(home, logs, static_file) as server, httpx.Client(base_url=server.url, timeout=10.0) as client:
        # one keep-alive connection
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

    figures = []
    for name, values in timings.items():
        values.sort()
        figures.append(LatencyFigures(name, len(values), percentile_ms(values, 50), percentile_ms(values, 99)))
    return figures, checks
