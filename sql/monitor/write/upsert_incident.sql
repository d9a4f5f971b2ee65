-- Upsert by incident id: the newest reading wins, first_seen_at keeps when we first saw it.
INSERT INTO status_incidents (provider_id, incident_id, name, status, impact, shortlink, created_at, started_at, updated_at,
                              monitoring_at, resolved_at, component_ids, component_names, first_seen_at, checked_at)
VALUES ($provider_id, $incident_id, $name, $status, $impact, $shortlink, $created_at, $started_at, $updated_at,
        $monitoring_at, $resolved_at, $component_ids, $component_names, $checked_at, $checked_at)
ON CONFLICT (provider_id, incident_id) DO UPDATE SET
    name = excluded.name, status = excluded.status, impact = excluded.impact, shortlink = excluded.shortlink,
    created_at = excluded.created_at, started_at = excluded.started_at, updated_at = excluded.updated_at,
    monitoring_at = excluded.monitoring_at, resolved_at = excluded.resolved_at, component_ids = excluded.component_ids,
    component_names = excluded.component_names, checked_at = excluded.checked_at
