"""The daily maintenance job on real files and a real PostgreSQL: VACUUM / ANALYZE, raw payload
retention, snapshot retention, monitor store compaction; each op's metadata says what it removed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import psycopg
import pytest

from core.notify.outbox import Notification, record
from core.stores.archive import RawArchive
from core.stores.monitor import PostgresMonitorStore, open_monitor_store
from core.stores.warehouse import PostgresWarehouse
from pipelines.maintenance.snapshots import plan, snapshot_time
from pipelines.resources.archive import RawArchiveResource
from pipelines.resources.monitor import MonitorStoreResource
from pipelines.resources.warehouse import PostgresResource, SnapshotStoreResource

REPO = Path(__file__).resolve().parent.parent


def job_resources(home: Path, database_url: str | None = None) -> dict[str, object]:
    return {
        "postgres": PostgresResource(url=database_url) if database_url else PostgresResource(),
        "archive": RawArchiveResource(root=str(home / "raw")),
        "snapshots": SnapshotStoreResource(directory=str(home / "snapshots")),
        "monitor": MonitorStoreResource(home=str(home), database_url=database_url),
    }


def run_maintenance(home: Path, database_url: str | None = None) -> dg.ExecuteInProcessResult:
    from pipelines.maintenance.definitions import maintenance_job

    with dg.instance_for_test() as instance:
        result = maintenance_job.execute_in_process(instance=instance, resources=job_resources(home, database_url))
    assert result.success
    return result


def op_metadata(result: dg.ExecuteInProcessResult, op: str) -> dict[str, Any]:
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT" and e.step_key == op]
    return {k: getattr(v, "value", v) for k, v in event.event_specific_data.metadata.items()}


# -- PostgreSQL: VACUUM / ANALYZE -----------------------------------------------------------


@pytest.mark.postgres
def test_vacuum_analyze_curated_and_monitor_schemas(home: Path, pg_database: str) -> None:
    PostgresWarehouse(pg_database).migrate()  # schema curated, from sql/migrations
    monitor = PostgresMonitorStore(pg_database)
    monitor.migrate()  # schema monitor, availability_checks partitioned by day
    now = datetime.now(timezone.utc)
    monitor.append_checks([{"checked_at": now, "provider_id": "openai", "probe": "listing", "target": "t", "up": True,
                            "state": "ok", "authenticated": False}])
    record(monitor, [Notification(f"k{i}", "run_failure", "x", now) for i in range(50)])
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DELETE FROM monitor.notifications WHERE dedup_key <> 'k1'")
    monitor.close()

    result = run_maintenance(home, pg_database)
    meta = op_metadata(result, "vacuum_postgres")
    assert meta["schemas"] == "curated, monitor" and meta["tables"] >= 10
    assert "| monitor.notifications |" in meta["per_table"] and "| curated.prices |" in meta["per_table"]
    assert "| monitor.availability_checks |" in meta["per_table"]  # the partitioned parent, once
    with psycopg.connect(pg_database) as conn:
        stats = {(s, t): (v, a) for s, t, v, a in conn.execute(
            "SELECT schemaname, relname, last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE schemaname IN ('curated', 'monitor')").fetchall()}
        partitions = [t for (s, t) in stats if t.startswith("availability_checks_")]
    for table in (("monitor", "notifications"), ("curated", "prices"), ("curated", "models"), ("monitor", "status_incidents")):
        vacuumed, analyzed = stats[table]
        assert vacuumed is not None and analyzed is not None, table
    assert partitions and all(stats[("monitor", p)][0] is not None for p in partitions)  # VACUUM reached the partitions


def test_vacuum_is_skipped_without_postgres(home: Path) -> None:
    result = run_maintenance(home)
    assert op_metadata(result, "vacuum_postgres") == {"skipped": "AISI_DATABASE_URL is not set: no PostgreSQL to vacuum"}


# -- raw payload retention ------------------------------------------------------------------


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_raw_archive_keeps_last_good_per_url_and_recent_payloads(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_RAW_RETENTION_DAYS", "30")
    archive = RawArchive(home / "raw")
    now = datetime.now(timezone.utc)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    payloads = {name: archive.store(f"payload {name}".encode() * 100) for name in ("a1", "a2", "b1", "b2", "c1", "orphan_old", "orphan_new")}

    def fetch(source: str, url: str, outcome: str, when: datetime, sha: str | None) -> None:
        archive.record(source=source, url=url, outcome=outcome, fetched_at=when, http_status=200 if sha else 500, sha256=sha)

    # u1: two old good payloads, then an old failure: keep the newest good one and the last attempt.
    fetch("openrouter", "http://x/u1", "fetched", days(40), payloads["a1"])
    fetch("openrouter", "http://x/u1", "fetched", days(35), payloads["a2"])
    fetch("openrouter", "http://x/u1", "failed", days(32), None)
    # u2: an old good payload replaced by a recent one: the old one goes.
    fetch("litellm", "http://x/u2", "fetched", days(40), payloads["b1"])
    fetch("litellm", "http://x/u2", "fetched", days(2), payloads["b2"])
    fetch("litellm", "http://x/u2", "failed", days(1), None)
    # u3: fetched long ago, confirmed by a 304 since: the 304 (newest good) keeps the payload alive.
    fetch("models_dev", "http://x/u3", "fetched", days(60), payloads["c1"])
    fetch("models_dev", "http://x/u3", "not_modified", days(31), payloads["c1"])
    for name, sha in payloads.items():
        _age(archive.objects / sha[:2] / f"{sha}.gz", 0 if name == "orphan_new" else 40 * 86400)
    stale_tmp = archive.objects / "ab" / "ab00.tmp123"
    stale_tmp.parent.mkdir(parents=True, exist_ok=True)
    stale_tmp.write_bytes(b"half a payload")
    _age(stale_tmp, 2 * 86400)
    before = {name: archive.has(sha) for name, sha in payloads.items()}
    assert all(before.values())

    meta = op_metadata(run_maintenance(home), "prune_raw_archive")
    assert meta["fetch_records_before"] == 8 and meta["fetch_records_deleted"] == 3  # u1's a1, u2's b1, u3's first
    assert meta["objects_deleted"] == 3 and meta["temp_files_deleted"] == 1  # a1, b1, orphan_old; the .tmp
    assert meta["objects_kept"] == 4 and meta["bytes_freed"] > 0 and meta["retention_days"] == 30
    assert meta["index_vacuumed"] is True
    after = {name: archive.has(sha) for name, sha in payloads.items()}
    assert after == {"a1": False, "a2": True, "b1": False, "b2": True, "c1": True, "orphan_old": False, "orphan_new": True}
    assert not stale_tmp.exists()
    # What the sources fall back on is intact.
    assert archive.last_good("openrouter").sha256 == payloads["a2"]
    assert archive.load(payloads["a2"]).startswith(b"payload a2")
    assert archive.last_good("litellm").sha256 == payloads["b2"]
    assert archive.last_good("models_dev").sha256 == payloads["c1"]
    assert archive.last_attempt_per_url("openrouter") == {"http://x/u1": days(32).isoformat()}
    assert archive.fetch_count() == 5
    # A second run has nothing left to remove.
    again = op_metadata(run_maintenance(home), "prune_raw_archive")
    assert again["fetch_records_deleted"] == 0 and again["objects_deleted"] == 0


# -- snapshot retention ---------------------------------------------------------------------


def _snapshot(directory: Path, when: datetime, suffix: str = "") -> Path:
    path = directory / f"{when:%Y%m%dT%H%M%SZ}{suffix}.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE publishes AS SELECT 1 AS n")
    return path


def test_snapshot_plan_defaults_keep_30_newest_and_90_daily() -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
    hourly = [Path(f"{now - timedelta(hours=h):%Y%m%dT%H%M%SZ}.duckdb") for h in range(0, 24 * 120, 6)]  # 4 a day, 120 days
    decided = plan(hourly, hourly[-1], now, keep=30, daily_days=90)
    newest = {p for p, why in decided.keep.items() if why == "newest"}
    daily = {p for p, why in decided.keep.items() if why.startswith("last of")}
    assert len(newest) == 30 and set(hourly[:30]) == newest
    assert len(daily) == 90 - 8  # 30 newest cover today and the 7 days before (at 4 a day)
    assert decided.keep[hourly[-1]] == "latest"  # 120 days old, but latest.duckdb points at it
    assert len(decided.delete) == len(hourly) - 30 - len(daily) - 1
    assert all(snapshot_time(p)[0] < now - timedelta(days=7) for p in decided.delete)
    days_kept = {snapshot_time(p)[0].date() for p in daily}
    assert len(days_kept) == len(daily) and min(days_kept) == (now - timedelta(days=89)).date()
    assert snapshot_time(Path("20261122T120000Z-10.duckdb")) > snapshot_time(Path("20261122T120000Z-9.duckdb"))
    assert snapshot_time(Path("notes.duckdb")) is None


def test_snapshot_retention_on_real_files(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_SNAPSHOT_KEEP", "3")
    monkeypatch.setenv("AISI_SNAPSHOT_DAILY_DAYS", "5")
    directory = home / "snapshots"
    directory.mkdir(parents=True)
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    at = lambda d, h: today - timedelta(days=d) + timedelta(hours=h)  # noqa: E731
    files = {
        "d0_1": _snapshot(directory, at(0, 0) + timedelta(minutes=1)), "d0_2": _snapshot(directory, at(0, 0) + timedelta(minutes=2)),
        "d0_3": _snapshot(directory, at(0, 0) + timedelta(minutes=3)), "d0_3b": _snapshot(directory, at(0, 0) + timedelta(minutes=3), "-1"),
        "d1_1": _snapshot(directory, at(1, 1)), "d1_2": _snapshot(directory, at(1, 2)), "d1_3": _snapshot(directory, at(1, 3)),
        "d2_1": _snapshot(directory, at(2, 1)), "d2_2": _snapshot(directory, at(2, 2)),
        "d6_1": _snapshot(directory, at(6, 1)), "d6_2": _snapshot(directory, at(6, 2)),
        "d10": _snapshot(directory, at(10, 5)),
    }
    Path(f"{files['d1_1']}.wal").write_bytes(b"w" * 10)  # a sidecar goes with its snapshot
    (directory / "notes.duckdb").write_bytes(b"not a snapshot")
    (directory / "latest.duckdb").symlink_to(files["d10"].name)  # an old snapshot is served: never deleted

    meta = op_metadata(run_maintenance(home), "prune_snapshots")
    kept = {name for name, path in files.items() if path.exists()}
    # newest 3 (today's last three), the last of day -1 and -2; day -6 is outside 5 days; d10 is latest
    assert kept == {"d0_2", "d0_3", "d0_3b", "d1_3", "d2_2", "d10"}
    assert meta["deleted"] == 6 and sorted(meta["deleted_snapshots"]) == sorted(files[n].name for n in files if n not in kept)
    assert meta["kept"] == 7 and meta["kept_as_last_of_day"] == 2  # + notes.duckdb, left alone
    assert meta["bytes_freed"] > 0 and not Path(f"{files['d1_1']}.wal").exists()
    assert (directory / "notes.duckdb").exists() and (directory / "latest.duckdb").resolve() == files["d10"]


# -- monitor store compaction ---------------------------------------------------------------


def _checks(start: datetime, n: int) -> list[dict[str, object]]:
    return [{"checked_at": start + timedelta(seconds=i), "provider_id": f"p{i % 8}", "probe": "listing", "target": "t",
             "up": i % 7 != 0, "state": "ok", "http_status": 200, "latency_ms": float(i % 300), "authenticated": False,
             "detail": f"probe detail {i} " + "x" * 80} for i in range(n)]


def test_monitor_store_compaction_reclaims_space_and_keeps_everything(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_MONITOR_RETENTION_DAYS", "90")
    store = open_monitor_store(home)
    now = datetime.now(timezone.utc)
    store.append_checks(_checks(now - timedelta(hours=1), 500))
    with duckdb.connect(str(store.path)) as con:  # 200 days ago: the daily retention removes them
        con.execute("INSERT INTO availability_checks (checked_at, provider_id, probe, target, up, state, latency_ms, "
                    "authenticated, detail) SELECT $start + i * INTERVAL 1 SECOND, 'p' || (i % 8), 'listing', 't', true, 'ok', "
                    "i % 300, false, 'probe detail ' || i || repeat('x', 80) FROM range(200000) r(i)",
                    {"start": now - timedelta(days=200)})
    record(store, [Notification("acme:down:1", "provider_down", "5xx", now),
                   Notification("old:delivered", "run_failure", "old", now - timedelta(days=120)),
                   Notification("old:pending", "run_failure", "old, never delivered", now - timedelta(days=120)),
                   Notification("new:delivered", "run_failure", "new", now)])
    with duckdb.connect(str(store.path)) as con:
        con.execute("UPDATE notifications SET delivered_at = created_at WHERE dedup_key LIKE '%:delivered'")
    assert store.retention(now, 90)["deleted_checks"] == 200000
    path = home / "monitor" / "monitor.duckdb"
    size_before = path.stat().st_size

    meta = op_metadata(run_maintenance(home), "compact_monitor_store")
    assert meta["notifications_deleted"] == 1 and "skipped" not in meta
    assert meta["bytes_before"] == size_before and meta["bytes_after"] == path.stat().st_size
    assert meta["bytes_freed"] == size_before - meta["bytes_after"] > 1_000_000, (size_before, meta["bytes_after"])
    assert meta["rows"] >= 500 and meta["tables"] >= 7
    # Everything is still there and the store works as before: keys, views, writes.
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM availability_checks").fetchone()[0] == 500
        assert con.execute("SELECT count(*) FROM availability_uptime WHERE period = '1h'").fetchone()[0] == 8
        assert sorted(k for (k,) in con.execute("SELECT dedup_key FROM notifications").fetchall()) == [
            "acme:down:1", "new:delivered", "old:pending"]
    # The compacted table keeps its key: recording the same event again changes nothing.
    record(store, [Notification("acme:down:1", "provider_down", "again", now)])
    assert [r["text"] for r in store.query("notify/notification.sql", {"dedup_key": "acme:down:1"})] == ["5xx"]
    store.append_checks(_checks(now, 10))
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM availability_checks").fetchone()[0] == 510
    assert not list(path.parent.glob(".monitor.duckdb.compact*"))


def test_compaction_folds_in_a_crashed_writers_log(home: Path) -> None:
    store = open_monitor_store(home)
    store.migrate()
    path = home / "monitor" / "monitor.duckdb"
    # Another process writes and dies without closing: its rows are only in the write-ahead log.
    code = textwrap.dedent(f"""
        import duckdb, os
        con = duckdb.connect({str(path)!r})
        con.execute("SET checkpoint_threshold = '1GB'")
        con.execute("INSERT INTO monitor_state VALUES ('crashed', '1', now())")
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    assert Path(f"{path}.wal").exists()
    meta = op_metadata(run_maintenance(home), "compact_monitor_store")
    assert "skipped" not in meta and not Path(f"{path}.wal").exists()
    assert store.get_state("crashed") == 1


def test_compaction_without_a_store_is_a_no_op(home: Path) -> None:
    meta = op_metadata(run_maintenance(home), "compact_monitor_store")
    assert meta["skipped"] == "no monitor store yet" and meta["bytes_freed"] == 0


def test_compaction_loses_no_write_of_another_process(home: Path) -> None:
    from pipelines.maintenance.monitor_store import compact_duckdb

    store = open_monitor_store(home)
    store.append_checks(_checks(datetime.now(timezone.utc), 2000))
    path = home / "monitor" / "monitor.duckdb"
    # `aisi monitor` beside the job: another process writing through the store while it is compacted.
    code = textwrap.dedent(f"""
        from datetime import datetime, timezone
        from pathlib import Path
        from core.stores.monitor import DuckDBMonitorStore
        store = DuckDBMonitorStore(Path({str(path)!r}))
        for i in range(150):
            store.set_state(f"k{{i}}", i, datetime.now(timezone.utc))
        print("done")
    """)
    writer = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    compactions = 0
    while writer.poll() is None:
        report = compact_duckdb(path)
        compactions += report.skipped is None
        time.sleep(0.05)
    out, err = writer.communicate()
    assert writer.returncode == 0 and out.strip() == "done", err
    assert compactions >= 1, compactions  # at least one compaction ran while the other process wrote
    assert [store.get_state(f"k{i}") for i in range(150)] == list(range(150))
    assert store.query("monitor/queries/count_checks.sql")[0]["n"] == 2000
