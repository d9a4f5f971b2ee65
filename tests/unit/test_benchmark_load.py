"""The benchmark's load generator (``benchmarks.load``) against a tiny ASGI app under uvicorn in a
thread: every target requested as often as asked, 200s counted with their bytes, anything else
an error by status, bodies read by Content-Length, by chunks and to the end of the connection;
and the cache-missing mix (``benchmarks.throughput.miss_targets``) asks only what the API's
``openapi.json`` declares."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import uvicorn

from benchmarks.load import percentile_ms, run_load
from benchmarks.throughput import miss_targets
from tests.conftest import free_port


class TinyApp:
    """``/ok/<n>``: n bytes with a Content-Length; ``/chunked/<n>``: n bytes in chunks of 10;
    ``/close/<n>``: n bytes, then the connection closes; anything else: 404. Records each path."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        self.seen[path] = self.seen[path] + 1
        kind, _, n = scope["path"].strip("/").partition("/")
        if kind not in ("ok", "chunked", "close") or not n.isdigit():
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"9")]})
            await send({"type": "http.response.body", "body": b"not found"})
            return
        body = b"x" * int(n)
        if kind == "chunked":  # no Content-Length: uvicorn sends it chunked
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for i in range(0, len(body), 10):
                await send({"type": "http.response.body", "body": body[i:i + 10], "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-length", str(len(body)).encode())]
        if kind == "close":
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def tiny() -> Iterator[tuple[str, TinyApp]]:
    app = TinyApp()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "tiny server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_each_target_once_200s_counted_with_bytes_others_errors(tiny: tuple[str, TinyApp], client: str) -> None:
    url, app = tiny
    app.seen.clear()
    targets = [f"/ok/{n}?c={client}" for n in range(1, 41)] + [f"/chunked/{n}?c={client}" for n in (5, 25, 100)]
    targets += [f"/close/{n}?c={client}" for n in (3, 7)] + [f"/missing/{i}?c={client}" for i in range(3)]
    result = asyncio.run(run_load(url, targets, connections=8, client=client))
    assert dict(app.seen) == {t: 1 for t in targets}  # each once, none skipped, none repeated
    assert result.requests == len(targets) and result.next_index == len(targets)
    assert result.ok == len(targets) - 3
    assert result.errors == {"404": 3}
    assert result.bytes == sum(range(1, 41)) + 5 + 25 + 100 + 3 + 7
    assert result.p50_ms is not None and result.p99_ms is not None and 0 < result.p50_ms <= result.p99_ms
    assert result.rps == pytest.approx(result.ok / result.elapsed_s)


def test_cycled_count_and_start(tiny: tuple[str, TinyApp]) -> None:
    url, app = tiny
    app.seen.clear()
    targets = ["/ok/1?cycle", "/ok/2?cycle", "/ok/3?cycle"]
    result = asyncio.run(run_load(url, targets, connections=4, count=31, cycle=True, start=1))
    assert result.requests == 31 and result.ok == 31 and not result.errors
    # From index 1 in turn: 2, 3, 1, 2, 3, ... -> 11 of the 2nd and 10 of each other.
    assert dict(app.seen) == {"/ok/1?cycle": 10, "/ok/2?cycle": 11, "/ok/3?cycle": 10}
    # Without cycle, a start past some targets takes only the rest.
    app.seen.clear()
    rest = asyncio.run(run_load(url, targets, connections=4, start=2))
    assert dict(app.seen) == {"/ok/3?cycle": 1} and rest.next_index == 3


def test_duration_bounds_the_run(tiny: tuple[str, TinyApp]) -> None:
    url, _ = tiny
    result = asyncio.run(run_load(url, ["/ok/10"], connections=4, duration_s=0.5, cycle=True))
    assert 0.5 <= result.elapsed_s < 3
    assert result.ok > 10 and not result.errors and result.bytes == 10 * result.ok


def test_a_refused_connection_is_an_error_not_a_crash() -> None:
    result = asyncio.run(run_load(f"http://127.0.0.1:{free_port()}", ["/ok/1", "/ok/2"], connections=2))
    assert result.ok == 0 and result.errors == {"ConnectionRefusedError": 2}
    assert result.p50_ms is None


def test_percentile_is_nearest_rank() -> None:
    values = [i * 1_000_000 for i in range(1, 101)]  # 1..100 ms
    assert percentile_ms(values, 50) == 50.0 and percentile_ms(values, 99) == 99.0 and percentile_ms([], 50) is None


def test_miss_targets_are_distinct_and_ask_only_declared_parameters(home: Any) -> None:
    """Each target a different question in the API's terms: a known route, parameters it
    declares, values inside their documented bounds (so none is refused with 422)."""
    from api.app import create_app

    keys = [f"creator{i % 7}/model-{i}" for i in range(500)]
    targets = miss_targets(keys, 2000)
    assert len(targets) == 2000 and len(set(targets)) == 2000
    spec = create_app().openapi()["paths"]
    routes = Counter()
    for target in targets:
        parts = urlsplit(target)
        if parts.path.startswith("/api/v1/models/"):
            assert parts.path.removeprefix("/api/v1/models/") in keys and not parts.query
            routes["detail"] += 1
            continue
        routes[parts.path] += 1
        declared = {p["name"]: p["schema"] for p in spec[parts.path]["get"]["parameters"] if p["in"] == "query"}
        for name, value in parse_qsl(parts.query, strict_parsing=True):
            schema = declared[name]  # KeyError: a parameter the route would refuse
            if "enum" in schema:
                assert value in schema["enum"], (target, name)
            if schema.get("type") == "integer":
                assert schema.get("minimum", 0) <= int(value) <= schema.get("maximum", 10**9), (target, name)
    # Every model once, then searches and price pages in turn.
    assert routes == {"detail": 500, "/api/v1/models": 750, "/api/v1/pricing": 750}
