"""read_status_page through real HTTP against the local replay server: rows from a summary and an
incident list, conditional requests (304), and pages that fail (500, not JSON, too slow, no
server) without raising."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterator

import httpx
import pytest

from core.availability.status_pages import StatusReading, read_status_page
from core.availability.targets import MonitoredProvider
from tests.conftest import FIXTURES, free_port
from tests.replay import ReplayServer

SUMMARY = "/api/v2/summary.json"
INCIDENTS = "/api/v2/incidents.json"
NOW = datetime(2025, 11, 20, 20, 0, tzinfo=timezone.utc)
LATER = datetime(2025, 11, 20, 20, 1, tzinfo=timezone.utc)
OWN = FIXTURES / "statuspage"
PAGE = {"id": "kctbh9vrtdwd", "name": "GitHub", "url": "https://www.githubstatus.com", "time_zone": "Etc/UTC",
        "updated_at": "2025-11-20T19:55:00.000Z"}
STATUS_CHECK_COLUMNS = ["checked_at", "provider_id", "page_url", "indicator", "description", "http_status",
                        "not_modified", "error"]


def update(uid: str, status: str, at: str, body: str) -> dict:
    return {"id": uid, "status": status, "body": body, "incident_id": "zzopen000001", "created_at": at, "updated_at": at,
            "display_at": at, "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
            "affected_components": [{"code": "br0l2tvcx85d", "name": "Actions", "old_status": "operational",
                                     "new_status": "degraded_performance"}]}


def open_incident(status: str, updates: list[dict]) -> dict:
    """An unresolved incident on the Actions component (not among the 50 recorded ones)."""
    return {"id": "zzopen000001", "name": "Incident with Actions", "status": status, "impact": "minor",
            "created_at": "2025-11-20T19:40:00.000Z", "updated_at": updates[0]["created_at"], "monitoring_at": None,
            "resolved_at": None, "shortlink": "https://stspg.io/zzopen", "started_at": "2025-11-20T19:39:58.000Z",
            "page_id": "kctbh9vrtdwd", "reminder_intervals": None, "incident_updates": updates,
            "components": [{"id": "br0l2tvcx85d", "name": "Actions", "status": "degraded_performance"}]}


FIRST = update("zzupd0000001", "investigating", "2025-11-20T19:40:00.000Z", "We are investigating reports of degraded performance for Actions")
SECOND = update("zzupd0000002", "identified", "2025-11-20T19:50:00.000Z", "We have found the cause.")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as http:  # no proxy from the environment: 127.0.0.1 only
        yield http


def provider(url: str | None) -> MonitoredProvider:
    return MonitoredProvider("github", "GitHub", url, None)


@pytest.fixture
def github(server: ReplayServer, reference) -> ReplayServer:
    """Summary: the real 12 components + one unresolved incident (as first seen); incident list:
    the real 50 incidents + that incident, one update further on."""
    recorded = json.loads((reference / "statuspage/githubstatus.incidents.2025-11-20.json").read_bytes())
    components = json.loads((reference / "statuspage/githubstatus.components.2026-08-18.json").read_bytes())
    summary = {"page": PAGE, "status": {"indicator": "minor", "description": "Minor Service Outage"},
               "components": components, "incidents": [open_incident("investigating", [FIRST])], "scheduled_maintenances": []}
    server.add(SUMMARY, json.dumps(summary).encode())
    server.add(INCIDENTS, json.dumps({"page": PAGE, "incidents": [open_incident("identified", [SECOND, FIRST])] + recorded}).encode())
    return server


@pytest.mark.reference
def test_reads_rows_then_not_modified(github: ReplayServer, client: httpx.Client):
    page = provider(github.url)
    reading = read_status_page(page, client, None, NOW, timeout_s=5)

    assert reading.error is None and reading.incidents_error is None
    assert (reading.http_status, reading.not_modified) == (200, False)
    assert (reading.indicator, reading.description) == ("minor", "Minor Service Outage")
    assert reading.page_url == github.url and reading.checked_at == NOW
    assert len(reading.components) == 12
    assert {c["name"] for c in reading.components if c["component_id"] == "8l4ygp009s5s"} == {"Git Operations"}
    # Merged by id: the open incident once, as the incident list (newer) has it; its updates once each.
    assert len(reading.incidents) == 51 and len({i["incident_id"] for i in reading.incidents}) == 51
    (open_row,) = [i for i in reading.incidents if i["resolved_at"] is None]
    assert open_row["incident_id"] == "zzopen000001" and open_row["status"] == "identified"
    assert open_row["component_names"] == ["Actions"] and "first_seen_at" not in open_row
    assert len(reading.updates) == 267 + 2 and len({u["update_id"] for u in reading.updates}) == 269
    assert next(u for u in reading.updates if u["update_id"] == "zzupd0000001")["affected_components"] == ["Actions"]

    row = reading.status_check_row()
    assert list(row) == STATUS_CHECK_COLUMNS
    assert row == {"checked_at": NOW, "provider_id": "github", "page_url": github.url, "indicator": "minor",
                   "description": "Minor Service Outage", "http_status": 200, "not_modified": False, "error": None}
    memo = json.loads(json.dumps(reading.memo()))  # survives a round trip through the state table
    assert memo["etags"] == {github.url + SUMMARY: github.routes[SUMMARY].etag, github.url + INCIDENTS: github.routes[INCIDENTS].etag}

    # Second read with the memo: both URLs conditional, both 304, nothing to parse.
    again = read_status_page(page, client, memo, LATER, timeout_s=5)
    for path in (SUMMARY, INCIDENTS):  # per path: the server records a request after answering it
        assert [(s.headers.get("if-none-match"), s.status) for s in github.seen(path)] == [(None, 200), (github.routes[path].etag, 304)]
    assert again.not_modified is True and again.http_status == 304 and again.error is None
    assert (again.indicator, again.description) == ("minor", "Minor Service Outage")  # carried from the memo
    assert again.components == again.incidents == again.updates == []
    assert again.memo() == memo and again.status_check_row()["not_modified"] is True

    # The page changes: a full answer again.
    github.add(SUMMARY, (OWN / "statuspage_summary.json").read_bytes())
    third = read_status_page(page, client, again.memo(), LATER, timeout_s=5)
    assert (third.http_status, third.not_modified, third.indicator) == (200, False, "maintenance")
    assert len(third.components) == 3 and third.incidents and third.incidents[0]["incident_id"] == "mnt000000001"
    assert third.etags[github.url + SUMMARY] == github.routes[SUMMARY].etag != memo["etags"][github.url + SUMMARY]


def incidentio(server: ReplayServer) -> MonitoredProvider:
    server.add(SUMMARY, OWN / "incidentio_summary.json")
    server.add(INCIDENTS, OWN / "incidentio_incidents.json")
    return MonitoredProvider("openai", "OpenAI", server.url + "/", None)  # a trailing slash is fine


def test_incidentio_page_merges_by_ulid(server: ReplayServer, client: httpx.Client):
    reading = read_status_page(incidentio(server), client, None, NOW, timeout_s=5)
    assert reading.error is None and reading.indicator == "minor" and len(reading.components) == 3
    assert sorted(i["incident_id"] for i in reading.incidents) == ["01JKQ5T7W8X9Y0Z1A2B3C4D5E6", "01JMYB4HD4V3DDR1WBPB7E1G2K"]
    assert len(reading.updates) == 3
    assert len(server.seen(SUMMARY)) == len(server.seen(INCIDENTS)) == 1


def test_summary_500_is_an_error_but_the_incident_list_is_kept(server: ReplayServer, client: httpx.Client):
    page = incidentio(server)
    server.routes[SUMMARY].mode = "500"
    reading = read_status_page(page, client, {"etags": {}, "indicator": "none", "description": "x"}, NOW, timeout_s=5)
    assert reading.error == f"HTTP 500 from {server.url}{SUMMARY}" and reading.http_status == 500
    assert reading.indicator is None and reading.not_modified is False and reading.components == []
    assert len(reading.incidents) == 2 and len(reading.updates) == 3  # what incidents.json gave
    assert list(reading.etags) == [server.url + INCIDENTS]  # a failed URL keeps no ETag
    assert reading.status_check_row()["error"] == reading.error

    server.routes[INCIDENTS].mode = "500"
    reading = read_status_page(page, client, None, NOW, timeout_s=5)
    assert reading.error.startswith("HTTP 500") and reading.incidents_error.startswith("HTTP 500")
    assert reading.components == reading.incidents == reading.updates == [] and reading.etags == {}


def test_incident_list_failure_does_not_set_error(server: ReplayServer, client: httpx.Client):
    page = incidentio(server)
    server.routes[INCIDENTS].mode = "garbage"
    reading = read_status_page(page, client, None, NOW, timeout_s=5)
    assert reading.error is None and reading.indicator == "minor" and len(reading.components) == 3
    assert "is not JSON" in reading.incidents_error
    assert [i["incident_id"] for i in reading.incidents] == ["01JMYB4HD4V3DDR1WBPB7E1G2K"]  # the summary's open one


def test_failed_read_drops_the_etag_so_a_304_cannot_carry_a_stale_indicator(server: ReplayServer, client: httpx.Client):
    page = incidentio(server)
    first = read_status_page(page, client, None, NOW, timeout_s=5)
    server.routes[SUMMARY].mode = "500"
    failed = read_status_page(page, client, first.memo(), NOW, timeout_s=5)
    assert failed.error and failed.memo()["indicator"] is None and server.url + SUMMARY not in failed.memo()["etags"]
    server.routes[SUMMARY].mode = "ok"
    recovered = read_status_page(page, client, failed.memo(), LATER, timeout_s=5)
    last = server.seen(SUMMARY)[-1]  # (per path: the server records a request after answering it)
    assert last.headers.get("if-none-match") is None and last.status == 200
    assert (recovered.not_modified, recovered.indicator) == (False, "minor")


@pytest.mark.parametrize("mode, body, message", [
    ("garbage", None, "is not JSON"),
    ("ok", b'{"foo": 1}', "not a Statuspage summary"),
    ("ok", b'{"status": {"indicator": "none"}, "components": [{"name": "no id"}]}', "expected an object with an 'id'"),
])
def test_summary_that_is_not_a_statuspage_document(server: ReplayServer, client: httpx.Client, mode, body, message):
    page = incidentio(server)
    if body is not None:
        server.add(SUMMARY, body)
    server.routes[SUMMARY].mode = mode
    reading = read_status_page(page, client, None, NOW, timeout_s=5)
    assert message in reading.error and reading.error.startswith(server.url + SUMMARY)
    assert reading.http_status == 200 and reading.indicator is None and reading.components == []


def test_slow_summary_is_a_timeout(server: ReplayServer, client: httpx.Client):
    page = incidentio(server)
    server.routes[SUMMARY].mode, server.routes[SUMMARY].delay = "slow", 2.0
    reading = read_status_page(page, client, None, NOW, timeout_s=0.3)
    assert reading.error.startswith("timeout after 0.3s") and reading.http_status is None
    assert reading.components == [] and len(reading.incidents) == 2  # the incident list still answered
    assert len(server.seen(SUMMARY)) <= 1  # no retry


def test_dead_port_is_an_error(client: httpx.Client):
    reading = read_status_page(provider(f"http://127.0.0.1:{free_port()}"), client, None, NOW, timeout_s=2)
    assert isinstance(reading, StatusReading)
    assert "ConnectError" in reading.error and "ConnectError" in reading.incidents_error
    assert reading.http_status is None and reading.not_modified is False
    assert reading.components == reading.incidents == reading.updates == [] and reading.etags == {}
    assert reading.status_check_row()["error"] == reading.error


def test_provider_without_a_status_page(client: httpx.Client):
    reading = read_status_page(provider(None), client, None, NOW)
    assert reading.error == "provider 'github' has no status page" and reading.page_url == ""
    assert reading.http_status is None and reading.components == []
