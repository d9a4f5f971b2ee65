"""The load generator: many keep-alive HTTP/1.1 connections on one asyncio loop, each sending
its next request as soon as the previous answer is read (a closed loop, like wrk).

Run in its own process (``python -m benchmarks.load``), so the server under test shares no
interpreter, GIL or event loop with it; it prints one JSON object (``LoadResult``). The
requests' targets come from a file, one per line: taken in turn, each once (every request a
different URL, e.g. a mix that misses the response cache), or cycled (``--cycle``: one URL
requested again and again). Only 200 answers count as done; anything else is an error, by
status (or by exception name when the connection failed).

Two clients: ``raw`` (asyncio streams, a request written as bytes, the answer read by its
Content-Length or chunks) and ``httpx`` (one ``httpx.AsyncClient`` with a pool of as many
connections). Measured side by side on two cores against the same server, httpx was the
bottleneck: about 125 req/s for the cached API URL and for the static bytes alike (the
client's own limit), where ``raw`` gave about 1,100 and 2,800 req/s. So the benchmark uses
``raw``; ``--client httpx`` is there to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Sequence
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    """What one run of the generator measured."""

    client: str
    connections: int
    requests: int  # answers read (any status) plus failed attempts
    ok: int  # 200 answers
    errors: dict[str, int] = field(default_factory=dict)  # status (or exception name) -> count
    elapsed_s: float = 0.0  # first request sent to last answer read
    bytes: int = 0  # body bytes of the 200 answers
    p50_ms: float | None = None  # latency of a 200 answer, request written to body read
    p99_ms: float | None = None
    next_index: int = 0  # the first target not taken (where a following run can start)

    @property
    def rps(self) -> float:
        """200 answers per second."""
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0


def percentile_ms(sorted_ns: Sequence[int], q: float) -> float | None:
    """Nearest-rank percentile of nanosecond values, in milliseconds (None when empty)."""
    if not sorted_ns:
        return None
    rank = max(1, min(len(sorted_ns), -(-len(sorted_ns) * q // 100)))
    return sorted_ns[int(rank) - 1] / 1e6


class RawConnection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: GET, read the status and body."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, int]:
        """(status, body length) of ``GET target``; reconnects when the last answer closed."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode("latin-1"))
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            version, status_text = lines[0].split(" ", 2)[:2]
            status = int(status_text)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if version == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
                headers["connection"] = "close"  # an HTTP/1.0 answer ends its connection unless it says otherwise
            if status in (204, 304) or status < 200:  # no body, whatever the headers say
                size = 0
            elif "content-length" in headers:
                size = int(headers["content-length"])
                await self.reader.readexactly(size)
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                size = await self._chunked()
            else:  # no length: the body runs to the end of the connection
                size = len(await self.reader.read())
                headers["connection"] = "close"
        except BaseException:
            await self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, size

    async def _chunked(self) -> int:
        assert self.reader is not None
        size = 0
        while True:
            length = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if length == 0:
                await self._trailers()
                return size
            await self.reader.readexactly(length + 2)
            size += length

    async def _trailers(self) -> None:
        assert self.reader is not None
        while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
            pass

    async def close(self) -> None:
        """Closes the connection (the next ``get`` opens another)."""
        writer, self.writer, self.reader = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


async def run_load(base_url: str, targets: Sequence[str], connections: int = 50, duration_s: float | None = None,
                   count: int | None = None, cycle: bool = False, start: int = 0, client: str = "raw") -> LoadResult:
    """Sends ``targets`` (from index ``start``) over ``connections`` keep-alive connections until
    ``duration_s`` has passed, ``count`` requests were sent, or (without ``cycle``) the targets
    run out, whichever comes first."""
    if not targets:
        raise ValueError("no targets to request")
    if duration_s is None and count is None and cycle:
        raise ValueError("a cycled run needs a duration or a count")
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    latencies: list[int] = []
    errors: Counter[str] = Counter()
    state = {"next": start, "sent": 0, "bytes": 0}
    deadline: float | None = None

    def take() -> str | None:
        if count is not None and state["sent"] >= count:
            return None
        if deadline is not None and time.perf_counter() >= deadline:
            return None
        index = state["next"]
        if index >= len(targets):
            if not cycle:
                return None
            index %= len(targets)
        state["next"] = index + 1
        state["sent"] += 1
        return targets[index]

    async def worker(get: Callable[[str], Awaitable[tuple[int, int]]]) -> None:
        while (target := take()) is not None:
            t0 = time.perf_counter_ns()
            try:
                status, size = await get(target)
            except Exception as exc:  # noqa: BLE001  (a failed request is counted, by its kind, and the run goes on)
                errors[type(exc).__name__] += 1
                continue
            if status == 200:
                latencies.append(time.perf_counter_ns() - t0)
                state["bytes"] += size
            else:
                errors[str(status)] += 1

    started = time.perf_counter()
    if duration_s is not None:
        deadline = started + duration_s
    if client == "raw":
        pool = [RawConnection(host, port) for _ in range(connections)]
        try:
            await asyncio.gather(*(worker(c.get) for c in pool))
        finally:
            for c in pool:
                await c.close()
    elif client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
            async def get(target: str) -> tuple[int, int]:
                response = await http.get(target)
                return response.status_code, len(response.content)

            await asyncio.gather(*(worker(get) for _ in range(connections)))
    else:
        raise ValueError(f"unknown client {client!r} (raw or httpx)")
    elapsed = time.perf_counter() - started
    latencies.sort()
    return LoadResult(
        client=client, connections=connections, requests=state["sent"], ok=len(latencies), errors=dict(errors),
        elapsed_s=elapsed, bytes=state["bytes"], p50_ms=percentile_ms(latencies, 50), p99_ms=percentile_ms(latencies, 99),
        next_index=state["next"],
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.load``: one run, its ``LoadResult`` as JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--targets", type=Path, required=True, help="file of request targets (path?query), one a line")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, help="seconds to send requests for")
    parser.add_argument("--count", type=int, help="requests to send at most")
    parser.add_argument("--start", type=int, default=0, help="index of the first target to take")
    parser.add_argument("--cycle", action="store_true", help="take the targets again when they run out")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    args = parser.parse_args(argv)
    targets = [line for line in args.targets.read_text().splitlines() if line]
    result = asyncio.run(run_load(args.url, targets, args.connections, args.duration, args.count, args.cycle, args.start, args.client))
    json.dump(asdict(result), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
