"""Every response is built from one snapshot: while snapshots are published under it, no answer
mixes the rows of one with the reference prices, ETag or ``X-Snapshot-Id`` of another."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.stores.warehouse import create_schema

MODELS = 30
PAGE = 5


def _snapshot(path: Path, letter: str, price: float) -> None:
    """``MODELS`` models ``m/<letter>NN``, each with an input reference price of ``price``."""
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        for n in range(MODELS):
            key = f"m/{letter}{n:02d}"
            con.execute("INSERT INTO models (model_key, creator, offerings_count, providers_count, status, source, source_kind, fetched_at) "
                        "VALUES (?, 'm', 1, 1, 'active', 'litellm', 'aggregator', now())", [key])
            con.execute("INSERT INTO reference_prices (model_key, price_type, usd_per_mtok, basis, provider_id, provider_model_id, source, "
                        "source_kind, sources, min_usd_per_mtok, max_usd_per_mtok, spread) "
                        "VALUES (?, 'input', ?, 'creator', 'm', ?, 'litellm', 'aggregator', 1, ?, ?, 0)", [key, price, key, price, price])


def _publish(snapshots: Path, name: str) -> None:
    """Points ``latest.duckdb`` at ``name`` atomically, as a publish does."""
    tmp = snapshots / f".latest-{name}"
    os.symlink(name, tmp)
    os.replace(tmp, snapshots / "latest.duckdb")


@pytest.mark.slow
def test_no_response_mixes_two_snapshots_while_publishing(home: Path) -> None:
    snapshots = home / "snapshots"
    snapshots.mkdir(parents=True)
    _snapshot(home / "a.duckdb", "a", 1.0)
    _snapshot(home / "b.duckdb", "b", 2.0)
    names = []
    for i in range(40):  # a new snapshot id at each publish: every request after it misses the cache
        name = f"20261201T{i // 60:02d}{i % 60:02d}00Z.duckdb"
        shutil.copyfile(home / ("a.duckdb" if i % 2 == 0 else "b.duckdb"), snapshots / name)
        names.append(name)
    content = {Path(n).stem: ("a", 1.0) if i % 2 == 0 else ("b", 2.0) for i, n in enumerate(names)}
    _publish(snapshots, names[0])

    problems: list[str] = []
    seen: set[str] = set()
    stop = threading.Event()
    with TestClient(create_app(home=home), client=("127.0.0.1", 50000)) as client:

        def ask(worker: int) -> None:
            offset = worker
            while not stop.is_set():
                offset = (offset + 1) % (MODELS - PAGE)
                response = client.get(f"/api/v1/models?limit={PAGE}&offset={offset}")
                snapshot = response.headers.get("x-snapshot-id", "")
                seen.add(snapshot)
                letter, price = content.get(snapshot, ("?", None))
                body = response.json()
                mixed = [item["model_key"] for item in body.get("items", [])
                         if not item["model_key"].startswith(f"m/{letter}") or (item["reference_price"] or {}).get("input", {}).get("usd_per_mtok") != price]
                if response.status_code != 200 or mixed or not response.headers.get("etag", "").startswith(f'"{snapshot}-'):
                    problems.append(f"{snapshot}: status {response.status_code}, etag {response.headers.get('etag')}, mixed {mixed[:3]}")

        threads = [threading.Thread(target=ask, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        try:
            for name in names[1:]:
                _publish(snapshots, name)
                # Until a request has read this one (a busy machine answers slowly), then the next.
                deadline = time.monotonic() + 2
                while Path(name).stem not in seen and time.monotonic() < deadline:
                    time.sleep(0.01)
            time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join()
    assert problems == []
    assert len(seen) >= 10  # the requests did run across many publishes
