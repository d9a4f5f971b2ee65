"""Read API under load: requests per second over 50 connections for a cached URL, for the
same bytes from the bare ASGI route of the same server, and for a mix of URLs that each
miss the response cache; then the server's resident memory before and after 5,000 distinct
cache-missing queries.

The load comes from ``benchmarks.load`` in its own process (a closed loop on asyncio
streams); the server is ``benchmarks.server`` (the product's app plus the static route,
under uvicorn as ``aisi serve`` runs it). Loopback clients are spared by the rate limit.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from api.cache import CACHE_BYTES
from benchmarks import REPO
from benchmarks.api import API_PATH, expected_bytes
from benchmarks.asgi import STATIC_PATH
from benchmarks.load import LoadResult
from benchmarks.server import api_server, rss_kib

CONNECTIONS = 50
DISTINCT_QUERIES = 5000
# Parts of model keys and names for /models?search=: creators and families, common and rare.
SEARCH_TERMS = ("gpt", "claude", "llama", "gemini", "mistral", "qwen", "deepseek", "glm", "grok", "command", "phi",
                "nova", "sonar", "jamba", "yi", "mini", "flash", "pro", "turbo", "instruct", "chat", "vision", "embed",
                "4o", "3.5", "70b", "8b", "-", "o", "a")
MODEL_SORTS = ("key", "price", "-price", "context", "-context", "released", "-released")


@dataclass
class Throughput:
    """One target under load (``LoadResult`` of the generator, named)."""

    name: str
    result: LoadResult


@dataclass
class Memory:
    """The server's resident memory around the distinct cache-missing queries."""

    queries: int  # distinct cache-missing queries sent (the timed mix's included)
    ok: int  # of which answered 200
    body_mib: float  # their bodies' bytes: what an unbounded cache would hold
    before_kib: int  # VmRSS before the first of them
    after_kib: int  # VmRSS after the last
    peak_kib: int  # VmHWM: the process's highest resident memory so far


def model_keys(home: Path) -> list[str]:
    """Every model key of the served snapshot, in key order."""
    import duckdb

    with duckdb.connect(str((home / "snapshots" / "latest.duckdb").resolve()), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT model_key FROM models ORDER BY model_key").fetchall()]


def miss_targets(keys: list[str], n: int) -> list[str]:
    """``n`` request targets, each a different question (so each misses the response cache),
    with only parameters the API knows: by turns one model whole (``/models/{key}``), a search
    of the models (term, sort, page size, page) and a page of current prices (page size, page)."""
    targets: list[str] = []
    for i in itertools.count():
        if len(targets) == n:
            return targets
        j, kind = divmod(i, 3)
        if kind == 0:
            if j < len(keys):
                targets.append("/api/v1/models/" + quote(keys[j], safe="/"))
        elif kind == 1:
            # (term, sort, offset) is different for every j, and so is the target.
            term = SEARCH_TERMS[j % len(SEARCH_TERMS)]
            rest = j // len(SEARCH_TERMS)
            query = {"search": term, "sort": MODEL_SORTS[rest % len(MODEL_SORTS)], "limit": 1 + (rest * 37) % 200,
                     "offset": (rest // len(MODEL_SORTS)) * 10}
            targets.append("/api/v1/models?" + urlencode(query))
        else:
            targets.append("/api/v1/pricing?" + urlencode({"limit": 20 + (j * 13) % 181, "offset": j * 7}))
    raise AssertionError("unreachable")


def load(url: str, targets_file: Path, duration_s: float | None = None, count: int | None = None, start: int = 0,
         cycle: bool = False, client: str = "raw") -> LoadResult:
    """One run of ``python -m benchmarks.load`` in its own process."""
    command = [sys.executable, "-m", "benchmarks.load", "--url", url, "--targets", str(targets_file),
               "--connections", str(CONNECTIONS), "--start", str(start), "--client", client]
    if duration_s is not None:
        command += ["--duration", str(duration_s)]
    if count is not None:
        command += ["--count", str(count)]
    if cycle:
        command.append("--cycle")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"load generator failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return LoadResult(**json.loads(done.stdout))


def run(home: Path, logs: Path, duration_s: float = 5.0, distinct: int = DISTINCT_QUERIES,
        client: str = "raw") -> tuple[list[Throughput], Memory]:
    """The three targets for ``duration_s`` each, then cache-missing queries up to ``distinct`` in all."""
    static_file = logs / "models_openai.json"
    if not static_file.exists():
        static_file.write_bytes(expected_bytes(home))
    files = {}
    for name, lines in (("cached", [API_PATH]), ("static", [STATIC_PATH]), ("misses", miss_targets(model_keys(home), distinct))):
        files[name] = logs / f"targets-{name}.txt"
        files[name].write_text("\n".join(lines) + "\n")

    with api_server(home, logs, static_file, name="api-server-load") as server:
        # Warm both routes (the cached URL's entry is built here), not timed.
        load(server.url, files["cached"], count=200, cycle=True, client=client)
        load(server.url, files["static"], count=200, cycle=True, client=client)
        figures = []
        for name in ("cached", "static"):
            figures.append(Throughput(name, load(server.url, files[name], duration_s=duration_s, cycle=True, client=client)))
        before = rss_kib(server.pid)
        timed = load(server.url, files["misses"], duration_s=duration_s, client=client)
        figures.append(Throughput("misses", timed))
        sent, ok, body = timed.requests, timed.ok, timed.bytes
        if timed.next_index < distinct:
            rest = load(server.url, files["misses"], start=timed.next_index, client=client)
            sent, ok, body = sent + rest.requests, ok + rest.ok, body + rest.bytes
        after = rss_kib(server.pid)
    memory = Memory(queries=sent, ok=ok, body_mib=body / 2**20, before_kib=before["VmRSS"], after_kib=after["VmRSS"],
                    peak_kib=after["VmHWM"])
    return figures, memory
