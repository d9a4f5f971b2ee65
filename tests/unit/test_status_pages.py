"""Statuspage v2 parsing: the real githubstatus.com records in ../shared/reference, an
incident.io-style page (ULID ids, optional fields missing), a page with groups and a scheduled
maintenance, and documents that are not Statuspage at all."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from core.availability.status_pages import StatusPageError, parse_incidents, parse_summary
from tests.conftest import FIXTURES

NOW = datetime(2025, 11, 20, 19, 30, tzinfo=timezone.utc)
INCIDENTS_FILE = "statuspage/githubstatus.incidents.2025-11-20.json"
COMPONENTS_FILE = "statuspage/githubstatus.components.2026-08-18.json"
OWN = FIXTURES / "statuspage"

COMPONENT_COLUMNS = {"provider_id", "component_id", "name", "status", "description", "group_id", "is_group",
                     "position", "updated_at", "checked_at"}
INCIDENT_COLUMNS = {"provider_id", "incident_id", "name", "status", "impact", "shortlink", "created_at", "started_at",
                    "updated_at", "monitoring_at", "resolved_at", "component_ids", "component_names", "checked_at"}
UPDATE_COLUMNS = {"provider_id", "incident_id", "update_id", "status", "body", "created_at", "display_at",
                  "affected_components"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def aware_utc(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() is not None and value.utcoffset().total_seconds() == 0


# -- the real githubstatus.com records ------------------------------------------------------


@pytest.mark.reference
def test_reference_incidents_parse_completely(reference):
    raw = json.loads((reference / INCIDENTS_FILE).read_bytes())
    incidents, updates = parse_incidents((reference / INCIDENTS_FILE).read_bytes(), "github", NOW)

    assert len(incidents) == 50 and {r["incident_id"] for r in incidents} == {i["id"] for i in raw}
    assert all(set(r) == INCIDENT_COLUMNS for r in incidents)
    assert Counter(r["impact"] for r in incidents) == {"minor": 39, "major": 9, "none": 2}
    assert all(r["status"] == "resolved" and aware_utc(r["resolved_at"]) for r in incidents)
    assert all(r["monitoring_at"] is None for r in incidents)  # githubstatus never sets it in this file
    assert all(r["checked_at"] == NOW and r["provider_id"] == "github" for r in incidents)
    assert min(r["created_at"] for r in incidents) == utc("2025-09-13T12:44:00.572Z")

    # The example incident from SOURCES.md.
    example = next(r for r in incidents if r["incident_id"] == "cg3wwz9dw5dg")
    assert example["name"] == "Disruption with some GitHub services" and example["impact"] == "minor"
    assert example["started_at"] == datetime(2025, 11, 20, 18, 4, 25, 428000, tzinfo=timezone.utc)
    assert aware_utc(example["started_at"]) and aware_utc(example["created_at"])
    assert example["created_at"] == utc("2025-11-20T18:04:25.435Z")
    assert example["resolved_at"] == datetime(2025, 11, 20, 19, 24, 33, 877000, tzinfo=timezone.utc)
    assert example["shortlink"] == "https://stspg.io/gyy119x56kj3"
    assert example["component_ids"] == [] and example["component_names"] == []
    example_updates = [u for u in updates if u["incident_id"] == "cg3wwz9dw5dg"]
    assert len(example_updates) == 5
    assert example_updates[0]["update_id"] == "ndt01j92ydfb"
    assert example_updates[0]["status"] == "resolved" and example_updates[0]["affected_components"] == []
    assert example_updates[0]["created_at"] == example["resolved_at"]

    # Every update: 267 in all, each with its own id, none lost.
    assert len(updates) == sum(len(i["incident_updates"]) for i in raw) == 267
    assert len({u["update_id"] for u in updates}) == 267
    assert all(set(u) == UPDATE_COLUMNS for u in updates)
    assert Counter(u["status"] for u in updates) == {"investigating": 217, "resolved": 50}
    assert all(aware_utc(u["created_at"]) and aware_utc(u["display_at"]) for u in updates)
    # 159 updates name the components they changed (310 entries), 108 have null.
    assert sum(bool(u["affected_components"]) for u in updates) == 159
    assert sum(len(u["affected_components"]) for u in updates) == 310

    # An incident naming seven components keeps their ids and names in order.
    webhooks = next(r for r in incidents if r["incident_id"] == "k7bhmjkblcwp")
    assert webhooks["impact"] == "major" and len(webhooks["component_ids"]) == 7
    assert webhooks["component_names"][0] == "Git Operations" and webhooks["component_ids"][0] == "8l4ygp009s5s"


@pytest.mark.reference
def test_reference_components_parse(reference):
    payload = (reference / COMPONENTS_FILE).read_bytes()
    indicator, description, components, incidents, updates = parse_summary(payload, "github", NOW)  # a bare array
    assert (indicator, description, incidents, updates) == (None, None, [], [])
    assert len(components) == 12 and all(set(c) == COMPONENT_COLUMNS for c in components)
    git = next(c for c in components if c["component_id"] == "8l4ygp009s5s")
    assert git["name"] == "Git Operations" and git["status"] == "operational"
    assert git["is_group"] is False and git["group_id"] is None and git["position"] == 1
    assert git["updated_at"] == utc("2026-08-17T18:23:47.907Z") and git["checked_at"] == NOW
    assert [c["position"] for c in components] == list(range(1, 13))

    # The same array inside a summary envelope reads the same, plus the indicator.
    wrapped = json.dumps({"page": {"id": "kctbh9vrtdwd"}, "status": {"indicator": "none", "description": "All Systems Operational"},
                          "components": json.loads(payload), "incidents": [], "scheduled_maintenances": []}).encode()
    indicator, description, again, incidents, updates = parse_summary(wrapped, "github", NOW)
    assert (indicator, description) == ("none", "All Systems Operational")
    assert again == components and incidents == updates == []


# -- handwritten pages ----------------------------------------------------------------------


def test_incidentio_page_with_ulids_and_missing_fields():
    indicator, description, components, incidents, updates = parse_summary(
        (OWN / "incidentio_summary.json").read_bytes(), "openai", NOW)
    assert (indicator, description) == ("minor", "Partially Degraded Service")
    assert [c["component_id"] for c in components] == [
        "01JMXBRMFE6N2NNT7DG6XZQ6PW", "01JMXBRMFEXGDSJ2Y3Q4Y1C9S8", "01JMXBRMFF0H0VZ5KM2XNTJ9DQ"]
    apis, chatgpt, sora = components
    assert apis["status"] == "degraded_performance" and apis["is_group"] is None and apis["position"] is None
    assert chatgpt["updated_at"] == datetime(2025, 2, 24, 8, tzinfo=timezone.utc)  # a "+00:00" offset
    assert sora["updated_at"] is None and sora["description"] is None

    (incident,) = incidents
    assert incident["incident_id"] == "01JMYB4HD4V3DDR1WBPB7E1G2K" and incident["status"] == "identified"
    assert incident["shortlink"] is None and incident["started_at"] is None and incident["monitoring_at"] is None
    assert incident["resolved_at"] is None and incident["created_at"] == utc("2025-02-25T09:58:12Z")
    assert incident["component_ids"] == ["01JMXBRMFE6N2NNT7DG6XZQ6PW"] and incident["component_names"] == ["APIs"]
    assert [u["update_id"] for u in updates] == ["01JMYBH2M3C7T0ZK8W5R4N6V1A", "01JMYB4HD5QK1ZP0A9F7E2S8B3"]
    assert updates[0]["affected_components"] == ["APIs"]
    assert updates[1]["affected_components"] == []  # the key is missing altogether
    assert all(u["incident_id"] == "01JMYB4HD4V3DDR1WBPB7E1G2K" for u in updates)

    incidents, updates = parse_incidents((OWN / "incidentio_incidents.json").read_bytes(), "openai", NOW)
    assert [i["status"] for i in incidents] == ["identified", "resolved"]
    assert incidents[1]["resolved_at"] == datetime(2025, 2, 10, 15, 30, tzinfo=timezone.utc)
    assert len(updates) == 3 and updates[2]["affected_components"] == []  # null


def test_groups_and_scheduled_maintenance():
    indicator, _, components, incidents, updates = parse_summary((OWN / "statuspage_summary.json").read_bytes(), "example", NOW)
    assert indicator == "maintenance"
    group, messages, batches = components
    assert group["is_group"] is True and group["group_id"] is None
    assert messages["is_group"] is False and messages["group_id"] == "grp000000001" and batches["position"] == 2
    (maintenance,) = incidents  # a scheduled maintenance is stored as an incident
    assert maintenance["incident_id"] == "mnt000000001" and maintenance["impact"] == "maintenance"
    assert maintenance["status"] == "in_progress" and maintenance["component_names"] == ["Messages"]
    assert [u["status"] for u in updates] == ["in_progress", "scheduled"]
    assert updates[0]["affected_components"] == ["API - Messages"]


def test_bare_incidents_array_and_naive_checked_at():
    document = json.loads((OWN / "incidentio_incidents.json").read_bytes())["incidents"]
    incidents, updates = parse_incidents(json.dumps(document).encode(), "openai", datetime(2025, 2, 25, 10, 15))
    assert len(incidents) == 2 and len(updates) == 3
    assert incidents[0]["checked_at"] == datetime(2025, 2, 25, 10, 15, tzinfo=timezone.utc)


# -- not a Statuspage document --------------------------------------------------------------


@pytest.mark.parametrize("payload", [b'{"foo":1}', b'{"status":"ok"}', b"42", b'"hello"'])
def test_json_that_is_not_a_summary_is_refused(payload):
    with pytest.raises(StatusPageError, match="not a Statuspage summary"):
        parse_summary(payload, "x", NOW)


@pytest.mark.parametrize("payload", [b'{"foo":1}', b'{"incidents":{"a":1}}', b"null"])
def test_json_that_is_not_an_incident_list_is_refused(payload):
    with pytest.raises(StatusPageError, match="not a Statuspage incident list"):
        parse_incidents(payload, "x", NOW)


@pytest.mark.parametrize("parse", [parse_summary, parse_incidents])
@pytest.mark.parametrize("payload", [b"<html>maintenance</html>", b'{"status": {', b"\xff\xfe", b""])
def test_invalid_json_is_refused(parse, payload):
    with pytest.raises(StatusPageError, match="is not JSON"):
        parse(payload, "x", NOW)


@pytest.mark.parametrize("payload, message", [
    (b'{"components": [{"name": "no id"}]}', r"components'\[0\]: expected an object with an 'id'"),
    (b'{"components": {"a": 1}}', "expected a list, got dict"),
    (b'{"incidents": [{"id": "a", "created_at": "yesterday"}]}', "incident a created_at: not an ISO 8601 timestamp"),
])
def test_malformed_records_are_refused_with_their_place(payload, message):
    with pytest.raises(StatusPageError, match=message):
        parse_summary(payload, "x", NOW)
