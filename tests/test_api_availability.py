"""Provider availability in the read API (/api/v1/status providers, /api/v1/providers/{id}/availability)
over a synthetic monitor history with known answers, on the embedded DuckDB store and on PostgreSQL.

Every timestamp sits half a minute (or more) away from a window or bucket boundary, so a slow
run cannot move one across."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.availability.status_pages import StatusReading
from core.stores.monitor import MonitorStore, open_monitor_store

# openai, listing probes one a minute over the last hour: probe k (0 = newest) at now - k min - 30 s,
# latency (k + 1) * 10 ms; these six failed, as two runs of three (two outages).
OPENAI_FAILED = {10, 11, 12, 40, 41, 42}
CONFIGURED = ["openai", "anthropic", "google", "mistral", "cohere", "replicate", "huggingface", "openrouter"]


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's / DuckDB's percentile_cont: linear interpolation between closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


ANSWERED_LATENCIES = [(k + 1) * 10.0 for k in range(60) if k not in OPENAI_FAILED]
# By hand: the 54 answered latencies are 10..100, 140..400 and 440..600 (step 10). The median
# lies between the 27th and 28th (300 and 310); the 95th percentile at rank 50.35 between 570 and 580.
P50_1H, P95_1H = 305.0, 573.5


def probe(provider_id: str, at: datetime, up: bool, latency: float | None, kind: str = "listing",
          error_kind: str = "5xx") -> dict[str, Any]:
    return {
        "checked_at": at, "provider_id": provider_id, "probe": kind, "target": f"https://{provider_id}.example/v1/models",
        "up": up, "state": "ok" if up else "error", "error_kind": None if up else error_kind,
        "http_status": 200 if up else (503 if error_kind == "5xx" else None), "latency_ms": latency,
        "authenticated": True, "ttft_ms": None, "tokens_per_s": None, "tokens": None, "detail": None,
    }


def incident(provider_id: str, incident_id: str, name: str, started: datetime, resolved: datetime | None,
             status: str, impact: str, checked_at: datetime) -> dict[str, Any]:
    return {
        "provider_id": provider_id, "incident_id": incident_id, "name": name, "status": status, "impact": impact,
        "shortlink": f"https://stspg.io/{incident_id}", "created_at": started, "started_at": started,
        "updated_at": resolved or started, "monitoring_at": None, "resolved_at": resolved,
        "component_ids": ["api"], "component_names": ["API"], "checked_at": checked_at,
    }


def reading(provider_id: str, at: datetime, indicator: str, description: str, incidents: list[dict[str, Any]]) -> StatusReading:
    return StatusReading(provider_id=provider_id, page_url=f"https://status.{provider_id}.example", checked_at=at,
                         indicator=indicator, description=description, http_status=200, not_modified=False, error=None,
                         etags={}, components=[], incidents=incidents, updates=[])


@dataclass
class History:
    """What was written, with the times the assertions need."""

    now: datetime

    def ago(self, minutes: float = 0, days: float = 0) -> datetime:
        """``minutes`` (+ 30 s, off every minute boundary) and ``days`` before now."""
        return self.now - timedelta(days=days, minutes=minutes, seconds=30)


def seed(store: MonitorStore) -> History:
    """openai: an hour of probes (6 failed), 5 probes 3 days ago (1 failed), 4 probes 20 days ago,
    3 probes 40 days ago (beyond every window), a failed canary probe (not a listing probe);
    its status page: incidents A (during the first outage), B (while every probe answered),
    C (open), D (3 days ago), the page saying "none" during the second outage and "minor" now.
    anthropic: its last 3 probes failed. acme: not configured, one answered probe."""
    h = History(datetime.now(timezone.utc))
    rows = [probe("openai", h.ago(k), k not in OPENAI_FAILED, (k + 1) * 10.0) for k in range(60)]
    rows += [probe("openai", h.ago(i, days=3), i != 2, 1000.0 + i) for i in range(5)]
    rows += [probe("openai", h.ago(i, days=20), True, 2000.0) for i in range(4)]
    rows += [probe("openai", h.ago(i, days=40), True, 3000.0) for i in range(3)]
    rows += [probe("openai", h.ago(7), False, None, kind="canary", error_kind="timeout")]
    rows += [probe("anthropic", h.ago(3), True, 50.0)]
    rows += [probe("anthropic", h.ago(k), False, None, error_kind="timeout") for k in (2, 1, 0)]
    rows += [probe("acme", h.ago(5), True, 42.0)]
    store.append_checks(rows)
    older = [
        incident("openai", "inc-a", "Elevated API errors", h.now - timedelta(minutes=44), h.now - timedelta(minutes=38),
                 "resolved", "major", h.ago(11)),
        incident("openai", "inc-b", "Dashboard slow", h.now - timedelta(minutes=30), h.now - timedelta(minutes=20),
                 "resolved", "minor", h.ago(11)),
        incident("openai", "inc-d", "Old outage", h.now - timedelta(days=3, minutes=10), h.now - timedelta(days=3) + timedelta(minutes=1),
                 "resolved", "major", h.ago(11)),
    ]
    store.record_status(reading("openai", h.ago(11), "none", "All Systems Operational", older))
    store.record_status(reading("openai", h.ago(1), "minor", "Elevated errors on chat", [
        incident("openai", "inc-c", "Elevated errors on chat", h.now - timedelta(minutes=5), None, "investigating", "minor", h.ago(1)),
    ]))
    return h


@dataclass
class Backend:
    name: str
    store: MonitorStore  # the monitor's side: what the probes write
    client: TestClient
    home: Path

    def status(self) -> dict[str, Any]:
        response = self.client.get("/api/v1/status")
        assert response.status_code == 200, response.text
        return response.json()

    def availability(self, provider_id: str, window: str | None = None) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/providers/{provider_id}/availability", params={"window": window} if window else {})
        assert response.status_code == 200, response.text
        return response.json()


@contextmanager
def _open(name: str, home: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, migrate: bool) -> Iterator[Backend]:
    if name == "postgres":
        url = request.getfixturevalue("pg_database")
        monkeypatch.setenv("AISI_DATABASE_URL", url)
        store = open_monitor_store(home=home, database_url=url)
        if migrate:
            store.migrate()
    else:
        store = open_monitor_store(home=home, database_url="")
    try:
        with TestClient(create_app(home=home)) as client:  # no catalog snapshot: monitor-only
            yield Backend(name, store, client, home)
    finally:
        getattr(store, "close", lambda: None)()


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """The API (no catalog snapshot) over an empty monitor store: the DuckDB file under AISI_HOME
    (not yet created), or a migrated schema ``monitor`` in a fresh PostgreSQL database."""
    with _open(request.param, home, monkeypatch, request, migrate=True) as opened:
        yield opened


@pytest.fixture
def seeded(backend: Backend) -> tuple[Backend, History]:
    return backend, seed(backend.store)


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- /api/v1/status ------------------------------------------------------------------------


def test_status_without_snapshot_lists_configured_providers_as_unknown(backend: Backend):
    body = backend.status()
    assert body["snapshot"] is None and body["sources"] == [] and "no catalog" in body["note"]
    assert [p["provider_id"] for p in body["providers"]] == CONFIGURED
    openai = body["providers"][0]
    assert openai["name"] == "OpenAI" and openai["configured"] is True
    assert (openai["state"], openai["since"], openai["last_checked_at"], openai["last_probe"]) == ("unknown", None, None, None)
    assert openai["uptime"] == {"24h": None, "7d": None, "30d": None}
    assert openai["latency_24h"] == {"p50_ms": None, "p95_ms": None}
    assert openai["open_incidents"] == []


def test_status_on_postgres_before_the_monitor_schema_exists(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                           request: pytest.FixtureRequest):
    """Neither `curated` nor `monitor` in the database yet: status still answers."""
    with _open("postgres", home, monkeypatch, request, migrate=False) as backend:
        body = backend.status()
        assert body["snapshot"] is None and body["sources"] == []
        assert {p["state"] for p in body["providers"]} == {"unknown"} and len(body["providers"]) == len(CONFIGURED)
        assert backend.client.get("/api/v1/providers/openai/availability").json()["uptime"]["checks"] == 0


def test_status_with_history_shows_uptime_latency_incidents_and_state(seeded: tuple[Backend, History]):
    backend, h = seeded
    providers = {p["provider_id"]: p for p in backend.status()["providers"]}
    assert list(providers) == [*CONFIGURED, "acme"]  # configured in order, then the others the store knows

    openai = providers["openai"]
    assert openai["uptime"] == {"24h": 90.0, "7d": pytest.approx(100 * 58 / 65, abs=5e-4),
                                "30d": pytest.approx(100 * 62 / 69, abs=5e-4)}
    assert openai["latency_24h"] == {"p50_ms": pytest.approx(P50_1H), "p95_ms": pytest.approx(P95_1H)}
    assert openai["open_incidents"] == [{
        "id": "inc-c", "name": "Elevated errors on chat", "impact": "minor", "status": "investigating",
        "started_at": openai["open_incidents"][0]["started_at"], "shortlink": "https://stspg.io/inc-c"}]
    assert at(openai["open_incidents"][0]["started_at"]) == h.now - timedelta(minutes=5)
    # the newest probe answered; the page says minor
    assert (openai["state"], openai["page_indicator"]) == ("degraded", "minor")
    assert "minor" in openai["reason"] and openai["since"] is None
    assert openai["last_probe"]["up"] is True and openai["last_probe"]["latency_ms"] == 10.0
    assert at(openai["last_checked_at"]) == h.ago(0)

    anthropic = providers["anthropic"]
    assert anthropic["state"] == "down" and anthropic["consecutive_failures"] == 3
    assert at(anthropic["since"]) == h.ago(2)  # the first of the failed run
    assert "3 probes in a row failed" in anthropic["reason"] and "timeout" in anthropic["reason"]
    assert anthropic["uptime"]["24h"] == 25.0 and anthropic["open_incidents"] == []

    acme = providers["acme"]
    assert (acme["name"], acme["configured"], acme["state"]) == ("acme", False, "up")
    assert acme["uptime"]["24h"] == 100.0 and acme["latency_24h"]["p50_ms"] == 42.0
    assert providers["google"]["state"] == "unknown"


# --- /api/v1/providers/{id}/availability ---------------------------------------------------


@pytest.mark.parametrize(("window", "bucket", "checks", "up_checks"), [
    ("1h", 60, 60, 54), ("24h", 900, 60, 54), ("7d", 3600, 65, 58), ("30d", 21600, 69, 62),
])
def test_availability_uptime_and_series_per_window(seeded: tuple[Backend, History], window: str, bucket: int,
                                                   checks: int, up_checks: int):
    backend, h = seeded
    body = backend.availability("openai", window)
    assert (body["provider_id"], body["name"], body["window"], body["bucket_seconds"]) == ("openai", "OpenAI", window, bucket)
    assert (body["uptime"]["checks"], body["uptime"]["up_checks"]) == (checks, up_checks)  # 40 days ago: never counted
    assert body["uptime"]["uptime_pct"] == pytest.approx(100 * up_checks / checks, abs=5e-4)

    series = body["series"]
    starts = [at(b["start"]) for b in series]
    assert all(s.timestamp() % bucket == 0 for s in starts)
    assert all(b - a == timedelta(seconds=bucket) for a, b in zip(starts, starts[1:]))  # contiguous, gaps filled
    assert starts[0] <= h.now - timedelta(seconds={"1h": 3600, "24h": 86400, "7d": 604800, "30d": 2592000}[window])
    assert h.now - timedelta(seconds=bucket) < starts[-1] <= datetime.now(timezone.utc)  # the bucket of now
    assert sum(b["checks"] for b in series) == checks and sum(b["up_checks"] for b in series) == up_checks
    assert all(b["uptime_pct"] is None and b["p50_ms"] is None for b in series if b["checks"] == 0)


def test_availability_1h_has_one_probe_per_minute_and_known_percentiles(seeded: tuple[Backend, History]):
    backend, h = seeded
    body = backend.availability("openai", "1h")
    assert body["uptime"]["uptime_pct"] == 90.0
    assert body["uptime"]["p50_ms"] == pytest.approx(percentile_cont(ANSWERED_LATENCIES, 0.5)) == pytest.approx(P50_1H)
    assert body["uptime"]["p95_ms"] == pytest.approx(percentile_cont(ANSWERED_LATENCIES, 0.95)) == pytest.approx(P95_1H)
    filled = {at(b["start"]): b for b in body["series"] if b["checks"]}
    assert len(filled) == 60 and all(b["checks"] == 1 for b in filled.values())
    newest_failed = filled[h.ago(10).replace(second=0, microsecond=0)]
    assert (newest_failed["up_checks"], newest_failed["uptime_pct"], newest_failed["p50_ms"]) == (0, 0.0, None)
    newest = filled[h.ago(0).replace(second=0, microsecond=0)]
    assert (newest["uptime_pct"], newest["p50_ms"], newest["p95_ms"]) == (100.0, 10.0, 10.0)


def test_availability_incidents_seen_by_probes_and_silent_outage(seeded: tuple[Backend, History]):
    backend, h = seeded
    body = backend.availability("openai", "1h")
    incidents = {i["id"]: i for i in body["incidents"]}
    assert list(incidents) == ["inc-a", "inc-b", "inc-c"]  # oldest first; inc-d (3 days ago) outside the hour
    assert (incidents["inc-a"]["seen_by_probes"], incidents["inc-a"]["checks"], incidents["inc-a"]["failed_checks"]) == (True, 6, 3)
    assert (incidents["inc-b"]["seen_by_probes"], incidents["inc-b"]["checks"], incidents["inc-b"]["failed_checks"]) == (False, 10, 0)
    assert incidents["inc-c"]["seen_by_probes"] is False and incidents["inc-c"]["resolved_at"] is None
    assert incidents["inc-a"]["shortlink"] == "https://stspg.io/inc-a" and incidents["inc-a"]["impact"] == "major"

    first, second = body["outages"]
    # the first outage: during incident A; the second: no incident while the page said "none"
    assert (at(first["started_at"]), at(first["last_failed_at"]), at(first["ended_at"])) == (h.ago(42), h.ago(40), h.ago(39))
    assert (first["failed_checks"], first["error_kind"], first["incidents"], first["silent_degradation"]) == (3, "5xx", 1, False)
    assert (at(second["started_at"]), at(second["ended_at"])) == (h.ago(12), h.ago(9))
    assert (second["failed_checks"], second["incidents"], second["silent_degradation"]) == (3, 0, True)
    assert body["state"]["state"] == "degraded" and body["state"]["page_indicator"] == "minor"

    week = backend.availability("openai", "7d")
    assert [i["id"] for i in week["incidents"]] == ["inc-d", "inc-a", "inc-b", "inc-c"]
    assert week["incidents"][0]["seen_by_probes"] is True
    old = week["outages"][0]  # 3 days ago, during incident D
    assert (at(old["started_at"]), old["failed_checks"], old["incidents"], old["silent_degradation"]) == (h.ago(2, days=3), 1, 1, False)
    assert len(week["outages"]) == 3
    assert [i["id"] for i in backend.availability("openai")["incidents"]] == ["inc-a", "inc-b", "inc-c"]  # default 24h


def test_availability_of_a_down_provider_and_an_unconfigured_one(seeded: tuple[Backend, History]):
    backend, h = seeded
    anthropic = backend.availability("anthropic", "1h")
    assert anthropic["state"]["state"] == "down" and at(anthropic["state"]["since"]) == h.ago(2)
    (outage,) = anthropic["outages"]
    assert outage["ended_at"] is None and outage["failed_checks"] == 3 and outage["error_kind"] == "timeout"
    assert outage["silent_degradation"] is None  # no status page read meanwhile
    acme = backend.availability("acme")
    assert (acme["name"], acme["uptime"]["checks"], acme["state"]["state"]) == ("acme", 1, "up")
    google = backend.availability("google")  # configured, never checked
    assert google["uptime"] == {"checks": 0, "up_checks": 0, "uptime_pct": None, "p50_ms": None, "p95_ms": None}
    assert google["state"]["state"] == "unknown" and google["incidents"] == [] and google["outages"] == []
    assert sum(b["checks"] for b in google["series"]) == 0 and len(google["series"]) == 97


def test_availability_unknown_provider_is_404(seeded: tuple[Backend, History]):
    backend, _ = seeded
    response = backend.client.get("/api/v1/providers/nope/availability")
    assert response.status_code == 404
    assert "unknown provider 'nope'" in response.json()["error"] and "openai" in response.json()["known"]


@pytest.mark.parametrize("window", ["2h", "", "24H", "1d"])
def test_availability_bad_window_is_422(backend: Backend, window: str):
    response = backend.client.get("/api/v1/providers/openai/availability", params={"window": window})
    assert response.status_code == 422
    body = response.json()
    assert "window" in body["error"] and [p["parameter"] for p in body["problems"]] == ["window"]


def test_availability_etag_and_if_none_match(seeded: tuple[Backend, History]):
    backend, _ = seeded
    path = "/api/v1/providers/openai/availability?window=30d"
    first = backend.client.get(path)
    assert first.status_code == 200 and first.headers["etag"].startswith('"') and first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    for _ in range(3):  # a 6 h bucket boundary passing between two requests changes the body, once
        again = backend.client.get(path, headers={"If-None-Match": etag})
        if again.status_code == 304:
            break
        etag = again.headers["etag"]
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert backend.client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    # another window is another body
    assert backend.client.get("/api/v1/providers/openai/availability?window=7d").headers["etag"] != etag
    # new data changes the ETag
    backend.store.append_checks([probe("openai", datetime.now(timezone.utc) - timedelta(seconds=5), True, 11.0)])
    assert backend.client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_status_reports_a_broken_monitor_config_and_still_lists_known_providers(seeded: tuple[Backend, History], tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    backend, _ = seeded
    broken = tmp_path / "monitor.yaml"
    broken.write_text("providers: [not, a, mapping]\n")
    monkeypatch.setenv("AISI_MONITOR_CONFIG", str(broken))
    body = backend.status()
    assert "has no `providers:` mapping" in body["monitor_config_error"]
    assert {p["provider_id"] for p in body["providers"]} == {"openai", "anthropic", "acme"}  # from the store
