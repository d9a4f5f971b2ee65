"""A snapshot written before this version's schema is served with a clear 503, never a 500."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from api.app import create_app
from core.stores.warehouse import migration_files


def test_a_snapshot_from_before_the_latest_migrations_answers_503_with_what_to_do(home: Path):
    snapshots = home / "snapshots"
    snapshots.mkdir(parents=True)
    old = [m for m in migration_files() if m.name < "0005"]
    assert len(old) == 4
    with duckdb.connect(str(snapshots / "20261101T000000Z.duckdb")) as con:
        for migration in old:
            con.execute(migration.read_text(encoding="utf-8"))
        con.execute("INSERT INTO models (model_key, creator, offerings_count, providers_count, status, source, source_kind, fetched_at) "
                    "VALUES ('openai/gpt-4o', 'openai', 1, 1, 'active', 'litellm', 'aggregator', now())")
    os.symlink("20261101T000000Z.duckdb", snapshots / "latest.duckdb")
    with TestClient(create_app(home=home)) as client:
        for path in ("/api/v1/models", "/api/v1/models/openai/gpt-4o", "/api/v1/pricing"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            body = response.json()
            assert "predates this version's schema" in body["error"] and "aisi refresh" in body["hint"]
        assert client.get("/api/v1/status").status_code == 200
