-- One provider's status-page incidents that overlap the last $seconds (still open, or resolved
-- within it), with what the probes saw meanwhile (status_incidents_seen), oldest first.
SELECT s.incident_id, s.name, s.status, s.impact, s.started_at, s.resolved_at, i.shortlink,
       s.checks, s.failed_checks, s.seen_by_probes
FROM status_incidents_seen s
JOIN status_incidents i ON i.provider_id = s.provider_id AND i.incident_id = s.incident_id
WHERE s.provider_id = $provider_id
  AND coalesce(s.resolved_at, now()) >= now() - $seconds * INTERVAL '1 second'
ORDER BY s.started_at, s.incident_id
