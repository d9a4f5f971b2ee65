"""The availability monitor end to end: status pages and probes through real HTTP into the
real stores, the per-minute Dagster jobs, the alert sensor's ticks, and `aisi monitor`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import dagster as dg
import pytest

from core.availability.alerts import transitions
from core.availability.health import ProviderHealth, assess
from core.stores.monitor import DuckDBMonitorStore, PostgresMonitorStore, open_monitor_store
from tests.conftest import free_port
from tests.receiver import Receiver
from tests.replay import ReplayServer

SUMMARY = {
    "page": {"id": "pg1", "name": "OpenAI", "url": "https://status.openai.com", "updated_at": "2026-11-22T10:00:00Z"},
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [{"id": "01JAPI", "name": "API", "status": "operational", "position": 1, "updated_at": "2026-11-22T10:00:00Z"}],
    "incidents": [],
}
INCIDENTS = {
    "page": SUMMARY["page"],
    "incidents": [{
        "id": "01JINC", "name": "Elevated errors", "status": "resolved", "impact": "major",
        "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T09:00:00Z", "resolved_at": "2026-11-20T09:00:00Z",
        "started_at": "2026-11-20T08:00:00Z", "components": [{"id": "01JAPI", "name": "API"}],
        "incident_updates": [{"id": "01JUPD", "status": "resolved", "body": "Fixed.", "incident_id": "01JINC",
                              "created_at": "2026-11-20T09:00:00Z", "display_at": "2026-11-20T09:00:00Z", "affected_components": None}],
    }],
}


@pytest.fixture
def monitored(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ReplayServer]:
    """Three providers: openai (page + listing answers), anthropic (listing wants a key: 401),
    mistral (its listing points at a closed port); the others switched off by a user file."""
    server = ReplayServer().start()
    server.add("/openai-status/api/v2/summary.json", json.dumps(SUMMARY).encode())
    server.add("/openai-status/api/v2/incidents.json", json.dumps(INCIDENTS).encode())
    server.add("/openai/v1/models", b'{"object":"list","data":[{"id":"gpt-4o"}]}')
    server.add("/anthropic/v1/models", b'{"data":[]}', require={"x-api-key": "never-sent"})
    monkeypatch.setenv("AISI_STATUS_OPENAI_URL", server.url + "/openai-status")
    monkeypatch.setenv("AISI_SOURCE_OPENAI_URL", server.url + "/openai")
    monkeypatch.setenv("AISI_SOURCE_ANTHROPIC_URL", server.url + "/anthropic")
    monkeypatch.setenv("AISI_SOURCE_MISTRAL_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AISI_PROBE_TIMEOUT", "2")
    for variable in ("AISI_STATUS_ANTHROPIC_URL", "AISI_STATUS_MISTRAL_URL"):
        monkeypatch.delenv(variable)
    extra = tmp_path / "monitor-user.yaml"
    extra.write_text(
        "providers:\n"
        "  anthropic: {status_page: null}\n"
        "  mistral: {status_page: null}\n"
        + "".join(f"  {p}: {{enabled: false}}\n" for p in ("google", "cohere", "replicate", "huggingface", "openrouter")),
        encoding="utf-8",
    )
    monkeypatch.setenv("AISI_MONITOR_CONFIG", str(extra))
    yield server
    server.stop()


def _health(pid: str, down: bool, since: datetime | None = None, state: str | None = None) -> ProviderHealth:
    return ProviderHealth(pid, state or ("down" if down else "up"), down, since, "probes failing" if down else "probes answered",
                          None, None, None, None, 0, 3 if down else 0)


def test_transitions_alert_once_per_outage_and_once_on_recovery() -> None:
    t0 = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    alerts, cursor = transitions({}, {"a": _health("a", False)}, t0)
    assert alerts == [] and cursor == {}
    alerts, cursor = transitions(cursor, {"a": _health("a", True, t0)}, t0 + timedelta(minutes=3))
    assert [(x.kind, x.dedup_key) for x in alerts] == [("down", f"a:down:{t0.isoformat()}")]
    for minute in range(4, 10):  # still down: silence, whatever the reason says now
        again, cursor = transitions(cursor, {"a": _health("a", True, t0 + timedelta(minutes=1))}, t0 + timedelta(minutes=minute))
        assert again == []
    unknown, cursor = transitions(cursor, {"a": _health("a", False, state="unknown")}, t0 + timedelta(minutes=10))
    assert unknown == [] and cursor["a"]["down_since"] == t0.isoformat()
    alerts, cursor = transitions(cursor, {"a": _health("a", False)}, t0 + timedelta(minutes=11))
    assert [(x.kind, x.dedup_key, x.outage_started_at) for x in alerts] == [("recovered", f"a:recovered:{t0.isoformat()}", t0)]
    assert cursor == {}
    assert transitions(cursor, {"a": _health("a", False)}, t0 + timedelta(minutes=12))[0] == []


def test_assess_down_after_n_failures_or_severe_page() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    probe = {"provider_id": "a", "checked_at": now, "up": False, "state": "error", "error_kind": "5xx", "http_status": 503,
             "latency_ms": 20.0, "detail": "", "consecutive_failures": 2, "failing_since": now - timedelta(minutes=1)}
    assert assess([probe], [], ["a"], down_after=3)["a"].state == "degraded"
    down = assess([{**probe, "consecutive_failures": 3}], [], ["a"], down_after=3)["a"]
    assert down.down and down.since == now - timedelta(minutes=1) and "3 probes in a row failed (last: 5xx, HTTP 503)" in down.reason
    page = {"provider_id": "b", "checked_at": now, "indicator": "critical", "description": "Major outage", "error": None,
            "severe_since": now - timedelta(minutes=5), "open_incidents": 1}
    health = assess([], [page], ["a", "b", "c"], down_after=3)
    assert health["b"].down and health["b"].open_incidents == 1 and "critical" in health["b"].reason
    assert health["c"].state == "unknown" and not health["c"].down


def test_monitor_cycles_land_alert_once_and_recover(monitored: ReplayServer, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.monitor.loop import run_cycle

    with Receiver() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        first = run_cycle()
        assert set(first.health) == {"openai", "anthropic", "mistral"}
        assert first.health["openai"].state == "up" and first.health["openai"].page_indicator == "none"
        assert first.health["anthropic"].last_probe["state"] == "reachable_unauthenticated"
        assert first.health["mistral"].state == "degraded" and first.health["mistral"].last_probe["error_kind"] == "refused"
        assert first.page_errors == {}
        assert slack.posts == []
        for _ in range(4):  # third failure in a row: down, alerted once; the fourth and fifth: silence
            report = run_cycle()
        assert report.health["mistral"].down and report.health["mistral"].consecutive_failures == 5
        assert len(slack.delivered()) == 1 and "mistral is down" in slack.delivered()[0]["text"]
        # Mistral comes back: one recovery message.
        monitored.add("/mistral/v1/models", b'{"object":"list","data":[]}')
        monkeypatch.setenv("AISI_SOURCE_MISTRAL_URL", monitored.url + "/mistral")
        run_cycle()
        run_cycle()
        texts = [p["text"] for p in slack.delivered()]
        assert len(texts) == 2 and "mistral has recovered" in texts[1]

    store = open_monitor_store(home)
    assert isinstance(store, DuckDBMonitorStore)
    checks = store.query("monitor/queries/uptime.sql")
    mistral_1h = next(r for r in checks if r["provider_id"] == "mistral" and r["period"] == "1h")
    assert (mistral_1h["checks"], mistral_1h["up_checks"]) == (7, 2)
    assert store.query("monitor/queries/count_checks.sql") == [{"n": 21}]  # 7 cycles x 3 providers
    # The status page was read conditionally after the first cycle: 304s, no duplicate incident rows.
    summary_requests = monitored.seen("/openai-status/api/v2/summary.json")
    assert len(summary_requests) == 7 and [r.status for r in summary_requests[1:]] == [304] * 6
    assert store.query("notify/pending_count.sql", {"max_attempts": 100}) == [{"pending": 0, "abandoned": 0}]  # both delivered


def test_slack_outage_is_retried_not_lost(monitored: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.monitor.loop import run_cycle

    with Receiver() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        monkeypatch.setenv("AISI_MONITOR_DOWN_AFTER", "1")
        slack.fail_next = 1
        report = run_cycle()  # mistral down at once; Slack refuses the post
        assert report.alerts == {"new": 1, "delivered": 0, "failed": 1}
        report = run_cycle()  # still down: no new alert, the pending one is delivered now
        assert report.alerts == {"new": 0, "delivered": 1, "failed": 0}
        run_cycle()
        assert len(slack.delivered()) == 1 and len(slack.posts) == 2


def _sensor_tick(cursor: str | None, store_home: Path, webhook: str) -> tuple[dg.SkipReason, str | None]:
    from pipelines.monitor.definitions import provider_alerts
    from pipelines.resources.monitor import AlertChannelResource, MonitorStoreResource

    with dg.build_sensor_context(cursor=cursor, resources={
        "monitor": MonitorStoreResource(home=str(store_home)),
        "alert_channel": AlertChannelResource(slack_webhook_url=webhook),
    }) as context:
        result = provider_alerts(context)
        return result, context.cursor


def test_alert_sensor_fires_once_per_outage_and_once_on_recovery(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    extra = tmp_path / "only-acme.yaml"
    extra.write_text("providers:\n  acme: {name: Acme, probe_url: 'http://127.0.0.1:9/models'}\n"
                     + "".join(f"  {p}: {{enabled: false}}\n" for p in ("openai", "anthropic", "google", "mistral", "cohere",
                                                                        "replicate", "huggingface", "openrouter")), encoding="utf-8")
    monkeypatch.setenv("AISI_MONITOR_CONFIG", str(extra))
    store = open_monitor_store(home)
    start = datetime.now(timezone.utc) - timedelta(minutes=30)

    def probe(minute: int, up: bool) -> dict[str, object]:
        return {"checked_at": start + timedelta(minutes=minute), "provider_id": "acme", "probe": "listing", "target": "t",
                "up": up, "state": "ok" if up else "error", "error_kind": None if up else "5xx", "http_status": 200 if up else 502,
                "latency_ms": 50.0, "authenticated": False}

    with Receiver() as slack:
        store.append_checks([probe(0, True), probe(1, False), probe(2, False)])
        result, cursor = _sensor_tick(None, home, slack.url)
        assert "0 new alert(s)" in result.skip_message and slack.posts == []
        store.append_checks([probe(3, False)])  # third failure in a row
        result, cursor = _sensor_tick(cursor, home, slack.url)
        assert "1 new alert(s)" in result.skip_message and "down now: acme" in result.skip_message
        assert json.loads(cursor or "{}")["acme"]["down_since"] == (start + timedelta(minutes=1)).isoformat()
        for minute in (4, 5):
            store.append_checks([probe(minute, False)])
            result, cursor = _sensor_tick(cursor, home, slack.url)
            assert "0 new alert(s)" in result.skip_message
        store.append_checks([probe(6, True)])
        result, cursor = _sensor_tick(cursor, home, slack.url)
        assert "1 new alert(s)" in result.skip_message and json.loads(cursor or "{}") == {}
        result, cursor = _sensor_tick(cursor, home, slack.url)
        assert "0 new alert(s)" in result.skip_message
        texts = [p["text"] for p in slack.delivered()]
        assert len(texts) == 2 and "acme is down" in texts[0] and "acme has recovered" in texts[1]
        # A second evaluator with a stale cursor (say `aisi monitor` beside the sensor) posts nothing again.
        store.append_checks([probe(7, False), probe(8, False), probe(9, False)])
        _sensor_tick(None, home, slack.url)
        _sensor_tick(None, home, slack.url)
        assert len(slack.delivered()) == 3


def test_monitor_jobs_run_on_the_embedded_instance(monitored: ReplayServer, home: Path) -> None:
    from pipelines.definitions import build_definitions

    defs = build_definitions()
    with dg.instance_for_test() as instance:
        for name in ("status_job", "probe_job"):
            result = defs.resolve_job_def(name).execute_in_process(instance=instance)
            assert result.success
        probes = instance.get_latest_materialization_event(dg.AssetKey("availability_checks"))
        pages = instance.get_latest_materialization_event(dg.AssetKey("status_pages"))
        assert probes and pages
        assert probes.asset_materialization.metadata["probes"].value == 3
        assert pages.asset_materialization.metadata["pages"].value == 1
    store = open_monitor_store(home)
    assert {r["provider_id"] for r in store.query("monitor/queries/latest_probes.sql", {"since": datetime(2000, 1, 1, tzinfo=timezone.utc)})} == {
        "openai", "anthropic", "mistral"}
    assert [r["indicator"] for r in store.query("monitor/queries/latest_pages.sql", {"since": datetime(2000, 1, 1, tzinfo=timezone.utc)})] == ["none"]


def test_postgres_partitions_made_ahead_and_dropped_by_retention(pg_database: str) -> None:
    store = open_monitor_store(database_url=pg_database)
    assert isinstance(store, PostgresMonitorStore)
    assert store.migrate() == ["0001_status", "0002_availability_checks", "0003_views", "0004_notifications", "0005_rollups",
                               "0006_checks_time_index", "0007_partitions_concurrent", "0008_notification_channels"]
    assert store.migrate() == []
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)

    def row(at: datetime) -> dict[str, object]:
        return {"checked_at": at, "provider_id": "p", "probe": "listing", "target": "t", "up": True, "state": "ok", "authenticated": False}

    store.append_checks([row(now), row(now - timedelta(days=100)), row(now - timedelta(days=89))])

    def partitions() -> list[str]:
        return [r["name"] for r in store.query("monitor/queries/partitions.sql")]

    days = partitions()
    assert days == [f"availability_checks_{d}" for d in ("20260814", "20260825", "20261122", "20261123", "20261124")]
    assert store.retention(now, keep_days=90) == {"dropped_partitions": 1}  # 08-14: older than 90 days
    after = partitions()
    assert "availability_checks_20260814" not in after and "availability_checks_20260825" in after
    assert [r["n"] for r in store.query("monitor/queries/count_checks.sql")] == [2]
    store.close()


def test_postgres_writers_racing_for_the_same_new_partitions_all_succeed(pg_database: str) -> None:
    """Several writers whose batches need the same not-yet-made day partitions (a batch spanning
    midnight, the days made ahead) each make them at once: every write lands, none fails with
    "relation already exists", and each day is made exactly once."""
    import threading

    stores = [PostgresMonitorStore(pg_database) for _ in range(6)]
    stores[0].migrate()
    midnight = datetime(2031, 3, 1, tzinfo=timezone.utc)  # days no other write made
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []
    made: list[int] = []

    def writer(i: int) -> None:
        store = stores[i]
        try:
            barrier.wait()
            made.append(store.ensure_partitions(midnight.date(), 3))
            store.append_checks([{"checked_at": midnight - timedelta(minutes=1 + i), "provider_id": f"p{i}", "probe": "listing",
                                  "target": "t", "up": True, "state": "ok", "authenticated": False},
                                 {"checked_at": midnight + timedelta(minutes=1 + i), "provider_id": f"p{i}", "probe": "listing",
                                  "target": "t", "up": True, "state": "ok", "authenticated": False}])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert sum(made) == 4  # 03-01 to 03-04, each made once whoever made it
        names = [r["name"] for r in stores[0].query("monitor/queries/partitions.sql")]
        assert [n for n in names if n >= "availability_checks_20310228"] == [
            f"availability_checks_{d}" for d in ("20310228", "20310301", "20310302", "20310303", "20310304")]
        assert [r["n"] for r in stores[0].query("monitor/queries/count_checks.sql")] == [12]
    finally:
        for store in stores:
            store.close()


def test_embedded_retention_exports_closed_days_to_parquet_then_deletes_old_rows(home: Path) -> None:
    import pyarrow.parquet as pq

    store = open_monitor_store(home)
    assert isinstance(store, DuckDBMonitorStore)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)

    def row(at: datetime, pid: str = "p") -> dict[str, object]:
        return {"checked_at": at, "provider_id": pid, "probe": "listing", "target": "t", "up": True, "state": "ok", "authenticated": False}

    store.append_checks([row(now), row(now - timedelta(days=1, hours=3)), row(now - timedelta(days=1, hours=2), "q"),
                         row(now - timedelta(days=100))])
    assert store.retention(now, keep_days=90) == {"exported_days": 2, "deleted_checks": 1}
    files = sorted(p.relative_to(store.parquet_dir).as_posix() for p in store.parquet_dir.rglob("*.parquet"))
    assert files == ["date=2026-08-14/availability_checks.parquet", "date=2026-11-21/availability_checks.parquet"]
    yesterday = pq.read_table(store.parquet_dir / "date=2026-11-21" / "availability_checks.parquet")
    assert sorted(yesterday.column("provider_id").to_pylist()) == ["p", "q"]
    assert store.query("monitor/queries/count_checks.sql") == [{"n": 3}]
    # Today is not closed: not exported; a second pass exports nothing again.
    assert store.retention(now, keep_days=90) == {"exported_days": 0, "deleted_checks": 0}
