"""Reads an Atlassian Statuspage v2 page (or a compatible one, such as incident.io's) into rows
for the monitor's ``status_checks``, ``status_components``, ``status_incidents`` and
``status_incident_updates`` tables.

``parse_summary`` / ``parse_incidents`` are pure: bytes in, row dicts out, ``StatusPageError``
when the bytes are not a Statuspage document. ``read_status_page`` GETs ``/api/v2/summary.json``
then ``/api/v2/incidents.json`` once each (no retries: the monitor runs every minute), sends the
ETags it was given back as ``If-None-Match`` and never raises for network, HTTP or parse
problems: the reading's ``error`` says what went wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

import httpx

from core.availability.targets import MonitoredProvider

SUMMARY_KEYS = ("status", "components", "incidents", "scheduled_maintenances")


class StatusPageError(ValueError):
    """The document is not a Statuspage v2 summary or incident list; the message says why."""


@dataclass
class StatusReading:
    """One read of a provider's status page: what ``status_checks`` records, plus the rows."""

    provider_id: str
    page_url: str  # the page's base URL
    checked_at: datetime  # aware UTC
    indicator: str | None  # overall page indicator; on a 304 the previous one (from memo)
    description: str | None
    http_status: int | None  # of the summary request (None when no HTTP answer)
    not_modified: bool  # summary answered 304
    error: str | None  # why the summary could not be read, else None
    etags: dict[str, str]  # url -> ETag to send as If-None-Match next time
    components: list[dict]  # rows for status_components
    incidents: list[dict]  # rows for status_incidents (without first_seen_at: the store sets it)
    updates: list[dict]  # rows for status_incident_updates
    incidents_error: str | None = None  # why incidents.json could not be read (does not set `error`)

    def status_check_row(self) -> dict:
        """The row for ``status_checks``."""
        return {
            "checked_at": self.checked_at,
            "provider_id": self.provider_id,
            "page_url": self.page_url,
            "indicator": self.indicator,
            "description": self.description,
            "http_status": self.http_status,
            "not_modified": self.not_modified,
            "error": self.error,
        }

    def memo(self) -> dict:
        """What to pass back to the next ``read_status_page`` (JSON-serialisable)."""
        return {"etags": dict(self.etags), "indicator": self.indicator, "description": self.description}


# -- parsing ------------------------------------------------------------------------------


def _timestamp(value: Any, what: str) -> datetime | None:
    """An ISO 8601 timestamp ("...Z" or "+00:00") as an aware UTC datetime; naive means UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise StatusPageError(f"{what}: expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise StatusPageError(f"{what}: not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _load(payload: bytes, what: str) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        start = payload[:60].decode("utf-8", "replace").strip()
        raise StatusPageError(f"{what} is not JSON ({exc}); it starts with {start!r}") from None


def _records(document: Mapping[str, Any], key: str, what: str) -> list[Mapping[str, Any]]:
    """``document[key]`` as a list of objects each with an ``id`` ([] when the key is absent or null)."""
    items = document.get(key)
    if items is None:
        return []
    return _objects(items, f"{what} {key!r}")


def _objects(items: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(items, list):
        raise StatusPageError(f"{what}: expected a list, got {type(items).__name__}")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or item.get("id") in (None, ""):
            raise StatusPageError(f"{what}[{index}]: expected an object with an 'id', got {str(item)[:80]!r}")
    return items


def _component_row(component: Mapping[str, Any], provider_id: str, checked_at: datetime) -> dict:
    cid = str(component["id"])
    group = component.get("group")
    position = component.get("position")
    return {
        "provider_id": provider_id,
        "component_id": cid,
        "name": _text(component.get("name")) or cid,
        "status": _text(component.get("status")),
        "description": _text(component.get("description")),
        "group_id": _text(component.get("group_id")),
        "is_group": None if group is None else bool(group),
        "position": position if isinstance(position, int) and not isinstance(position, bool) else None,
        "updated_at": _timestamp(component.get("updated_at"), f"component {cid} updated_at"),
        "checked_at": checked_at,
    }


def _incident_rows(incident: Mapping[str, Any], provider_id: str, checked_at: datetime) -> tuple[dict, list[dict]]:
    iid = str(incident["id"])

    def stamp(key: str) -> datetime | None:
        return _timestamp(incident.get(key), f"incident {iid} {key}")

    components = _objects(incident.get("components") or [], f"incident {iid} components")
    row = {
        "provider_id": provider_id,
        "incident_id": iid,
        "name": _text(incident.get("name")) or iid,
        "status": _text(incident.get("status")),
        "impact": _text(incident.get("impact")),
        "shortlink": _text(incident.get("shortlink")),
        "created_at": stamp("created_at"),
        "started_at": stamp("started_at"),
        "updated_at": stamp("updated_at"),
        "monitoring_at": stamp("monitoring_at"),
        "resolved_at": stamp("resolved_at"),
        "component_ids": [str(c["id"]) for c in components],
        "component_names": [str(c.get("name") or c["id"]) for c in components],
        "checked_at": checked_at,
    }
    updates = []
    for update in _objects(incident.get("incident_updates") or [], f"incident {iid} incident_updates"):
        uid = str(update["id"])
        affected = update.get("affected_components") or []
        if not isinstance(affected, list):
            raise StatusPageError(f"update {uid} affected_components: expected a list, got {type(affected).__name__}")
        updates.append({
            "provider_id": provider_id,
            "incident_id": iid,
            "update_id": uid,
            "status": _text(update.get("status")),
            "body": _text(update.get("body")),
            "created_at": _timestamp(update.get("created_at"), f"update {uid} created_at"),
            "display_at": _timestamp(update.get("display_at"), f"update {uid} display_at"),
            "affected_components": [
                str(a.get("name") or a.get("code")) for a in affected if isinstance(a, Mapping) and (a.get("name") or a.get("code"))
            ],
        })
    return row, updates


def _incidents(items: Iterable[Mapping[str, Any]], provider_id: str, checked_at: datetime) -> tuple[list[dict], list[dict]]:
    incidents: list[dict] = []
    updates: list[dict] = []
    for incident in items:
        row, rows = _incident_rows(incident, provider_id, checked_at)
        incidents.append(row)
        updates.extend(rows)
    return incidents, updates


def parse_summary(
    payload: bytes, provider_id: str, checked_at: datetime
) -> tuple[str | None, str | None, list[dict], list[dict], list[dict]]:
    """``/api/v2/summary.json`` -> (indicator, description, components, incidents, updates).

    Scheduled maintenances become incidents too. A bare array is read as a components list
    (as ``/api/v2/components.json`` without its envelope). Raises ``StatusPageError``.
    """
    checked_at = _utc(checked_at)
    document = _load(payload, "status summary")
    if isinstance(document, list):
        components = [_component_row(c, provider_id, checked_at) for c in _objects(document, "components array")]
        return None, None, components, [], []
    if not isinstance(document, Mapping) or not any(key in document for key in SUMMARY_KEYS):
        shape = f"keys {sorted(document)[:8]}" if isinstance(document, Mapping) else type(document).__name__
        raise StatusPageError(f"not a Statuspage summary: expected an object with {', '.join(SUMMARY_KEYS)}; got {shape}")
    status = document.get("status")
    if status is not None and not isinstance(status, Mapping):
        raise StatusPageError(f"not a Statuspage summary: 'status' should be an object with an indicator, got {status!r}")
    status = status or {}
    components = [_component_row(c, provider_id, checked_at) for c in _records(document, "components", "summary")]
    listed = _records(document, "incidents", "summary") + _records(document, "scheduled_maintenances", "summary")
    incidents, updates = _incidents(listed, provider_id, checked_at)
    return _text(status.get("indicator")), _text(status.get("description")), components, incidents, updates


def parse_incidents(payload: bytes, provider_id: str, checked_at: datetime) -> tuple[list[dict], list[dict]]:
    """``/api/v2/incidents.json`` (or a bare incidents array) -> (incidents, updates)."""
    checked_at = _utc(checked_at)
    document = _load(payload, "incident list")
    if isinstance(document, list):
        items = _objects(document, "incidents array")
    elif isinstance(document, Mapping) and isinstance(document.get("incidents"), list):
        items = _records(document, "incidents", "incident list")
    else:
        shape = f"keys {sorted(document)[:8]}" if isinstance(document, Mapping) else type(document).__name__
        raise StatusPageError(f"not a Statuspage incident list: expected an object with an 'incidents' list; got {shape}")
    return _incidents(items, provider_id, checked_at)


def _merge(rows: Iterable[dict], key: str) -> list[dict]:
    """One row per ``key``; a later row replaces an earlier one unless its updated_at is older."""
    merged: dict[str, dict] = {}
    for row in rows:
        known = merged.get(row[key])
        if known is not None and known.get("updated_at") and row.get("updated_at") and row["updated_at"] < known["updated_at"]:
            continue
        merged[row[key]] = row
    return list(merged.values())


# -- fetching -----------------------------------------------------------------------------


def _get(client: httpx.Client, url: str, etag: str | None, timeout_s: float) -> tuple[httpx.Response | None, str | None]:
    """One GET; (response, None) for a 200 or 304, else (response or None, why)."""
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    try:
        response = client.get(url, headers=headers, timeout=timeout_s, follow_redirects=True)
    except httpx.TimeoutException as exc:
        return None, f"timeout after {timeout_s:g}s ({type(exc).__name__}) reading {url}"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__} reading {url}: {exc}"
    if response.status_code not in (200, 304):
        return response, f"HTTP {response.status_code} from {url}"
    return response, None


def read_status_page(
    provider: MonitoredProvider,
    client: httpx.Client,
    memo: Mapping[str, Any] | None,
    checked_at: datetime,
    timeout_s: float = 10.0,
) -> StatusReading:
    """Reads the provider's summary then its incident list; never raises for network, HTTP or
    parse problems. A 304 parses nothing for that URL (the summary's indicator and description
    then come from ``memo``). An ETag is kept only for a URL that was read (200 parsed, or 304),
    so a failed read is fetched in full next time."""
    checked_at = _utc(checked_at)
    memo = memo or {}
    known_etags = {str(k): str(v) for k, v in (memo.get("etags") or {}).items()}
    reading = StatusReading(
        provider.provider_id, provider.status_page or "", checked_at, None, None, None, False, None, {}, [], [], []
    )
    if not provider.summary_url or not provider.incidents_url:
        reading.error = f"provider {provider.provider_id!r} has no status page"
        return reading

    incidents: list[dict] = []
    updates: list[dict] = []

    url = provider.summary_url
    response, error = _get(client, url, known_etags.get(url), timeout_s)
    reading.http_status = response.status_code if response is not None else None
    if error is None and response is not None and response.status_code == 304:
        reading.not_modified = True
        reading.indicator, reading.description = _text(memo.get("indicator")), _text(memo.get("description"))
        reading.etags[url] = response.headers.get("etag") or known_etags.get(url, "")
    elif error is None and response is not None:
        try:
            reading.indicator, reading.description, reading.components, incidents, updates = parse_summary(
                response.content, provider.provider_id, checked_at
            )
        except (ValueError, TypeError, RecursionError) as exc:  # StatusPageError, or a shape we did not foresee
            error = f"{url}: {exc}"
        else:
            if response.headers.get("etag"):
                reading.etags[url] = response.headers["etag"]
    reading.error = error

    url = provider.incidents_url
    response, error = _get(client, url, known_etags.get(url), timeout_s)
    if error is None and response is not None and response.status_code == 304:
        reading.etags[url] = response.headers.get("etag") or known_etags.get(url, "")
    elif error is None and response is not None:
        try:
            more, more_updates = parse_incidents(response.content, provider.provider_id, checked_at)
        except (ValueError, TypeError, RecursionError) as exc:
            error = f"{url}: {exc}"
        else:
            incidents += more
            updates += more_updates
            if response.headers.get("etag"):
                reading.etags[url] = response.headers["etag"]
    reading.incidents_error = error

    reading.etags = {k: v for k, v in reading.etags.items() if v}
    reading.incidents = _merge(incidents, "incident_id")
    reading.updates = _merge(updates, "update_id")
    return reading
