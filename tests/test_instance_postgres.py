"""`aisi refresh` with AISI_DAGSTER_PG_URL: Dagster's own run, event and schedule storage
lives in PostgreSQL, not in SQLite under $AISI_HOME/dagster."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.aisi_process import REPO, child_env, run_aisi

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_refresh_stores_the_run_in_postgres(replay, home: Path, pg_database: str):
    result = run_aisi("refresh", env=child_env(AISI_DAGSTER_PG_URL=pg_database))
    assert result.returncode == 0, result.describe()
    assert "Refresh succeeded" in result.stdout, result.describe()

    # The instance config is the PostgreSQL variant, URL taken from the environment (not stored).
    instance_yaml = home / "dagster" / "dagster.yaml"
    assert instance_yaml.read_bytes() == (REPO / "config" / "dagster-postgres.yaml").read_bytes()
    config = yaml.safe_load(instance_yaml.read_text())
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "AISI_DAGSTER_PG_URL"}
    assert pg_database not in instance_yaml.read_text()

    with psycopg.connect(pg_database) as conn:
        runs = conn.execute("SELECT run_id, pipeline_name, status FROM runs").fetchall()
        assert len(runs) == 2, runs  # the fetch, then the derived assets
        assert {(job, status) for _, job, status in runs} == {("catalog_job", "SUCCESS")}
        [run_id] = [r for r, _, _ in runs if r in result.stdout]  # the summary names the run that published
        events = conn.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", [run_id]).fetchone()[0]
        assert events > 0
        materialized = {
            row[0]
            for row in conn.execute(
                "SELECT asset_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
                [run_id],
            ).fetchall()
        }
        assert '["duckdb_snapshot"]' in materialized, sorted(materialized)

    # Nothing of the run in SQLite.
    runs_db = home / "dagster" / "history" / "runs.db"
    if runs_db.exists():
        with sqlite3.connect(runs_db) as sqlite:
            tables = {r[0] for r in sqlite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "runs" in tables:
                assert sqlite.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert not list((home / "dagster").glob("history/runs/*.db")), "per-run SQLite event logs were written"

    # A one-source refresh reads the other sources' materialisations back from PostgreSQL
    # and so does not fetch them again.
    models_dev_calls = len(replay.seen("/models_dev/api.json"))
    again = run_aisi("refresh", "--source", "openrouter", env=child_env(AISI_DAGSTER_PG_URL=pg_database))
    assert again.returncode == 0, again.describe()
    assert len(replay.seen("/models_dev/api.json")) == models_dev_calls
    with psycopg.connect(pg_database) as conn:
        statuses = conn.execute("SELECT pipeline_name, status FROM runs").fetchall()
    # The one-source refresh fetched openrouter (unchanged: 304) and stopped there: one more run.
    assert sorted(statuses) == [("catalog_job", "SUCCESS")] * 3
