INSERT INTO status_incident_updates (provider_id, incident_id, update_id, status, body, created_at, display_at, affected_components)
VALUES ($provider_id, $incident_id, $update_id, $status, $body, $created_at, $display_at, $affected_components)
ON CONFLICT (provider_id, update_id) DO UPDATE SET
    incident_id = excluded.incident_id, status = excluded.status, body = excluded.body, created_at = excluded.created_at,
    display_at = excluded.display_at, affected_components = excluded.affected_components
