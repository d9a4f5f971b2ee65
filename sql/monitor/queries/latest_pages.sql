-- Each provider's newest status-page reading, since when the page has said major or critical
-- (the run of such readings it ends), and its open incidents.
WITH recent AS (
    SELECT provider_id, checked_at, indicator, description, error,
           row_number() OVER (PARTITION BY provider_id ORDER BY checked_at DESC) AS n
    FROM status_checks
    WHERE checked_at > $since
),
newest_calm AS (
    SELECT provider_id, min(n) FILTER (WHERE indicator IS NULL OR indicator NOT IN ('major', 'critical')) AS n_calm
    FROM recent
    GROUP BY provider_id
),
severe AS (
    SELECT r.provider_id, min(r.checked_at) AS severe_since
    FROM recent r
    JOIN newest_calm c ON c.provider_id = r.provider_id
    WHERE r.indicator IN ('major', 'critical') AND (c.n_calm IS NULL OR r.n < c.n_calm)
    GROUP BY r.provider_id
),
open_incidents AS (
    SELECT provider_id, count(*) AS open_incidents
    FROM status_incidents
    WHERE resolved_at IS NULL AND (status IS NULL OR status NOT IN ('resolved', 'completed', 'postmortem'))
    GROUP BY provider_id
)
SELECT r.provider_id, r.checked_at, r.indicator, r.description, r.error, s.severe_since,
       coalesce(o.open_incidents, 0) AS open_incidents
FROM recent r
LEFT JOIN severe s ON s.provider_id = r.provider_id
LEFT JOIN open_incidents o ON o.provider_id = r.provider_id
WHERE r.n = 1
ORDER BY r.provider_id
