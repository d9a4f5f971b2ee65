-- Open status-page incidents of every provider (same test of "open" as latest_pages.sql),
-- newest first within each provider. /api/v1/status lists them per provider.
SELECT provider_id, incident_id, name, impact, status, coalesce(started_at, created_at) AS started_at, shortlink
FROM status_incidents
WHERE resolved_at IS NULL AND (status IS NULL OR status NOT IN ('resolved', 'completed', 'postmortem'))
ORDER BY provider_id, coalesce(started_at, created_at) DESC, incident_id
