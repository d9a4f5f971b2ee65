-- Each provider's newest listing probe, and the run of failed probes it ends (if any):
-- consecutive_failures counts the newest probes that all failed, failing_since is the first.
WITH recent AS (
    SELECT provider_id, checked_at, up, state, error_kind, http_status, latency_ms, detail,
           row_number() OVER (PARTITION BY provider_id ORDER BY checked_at DESC) AS n
    FROM availability_checks
    WHERE probe = 'listing' AND checked_at > $since
),
newest_up AS (
    SELECT provider_id, min(n) FILTER (WHERE up) AS n_up
    FROM recent
    GROUP BY provider_id
),
failing AS (
    SELECT r.provider_id, count(*) AS consecutive_failures, min(r.checked_at) AS failing_since
    FROM recent r
    JOIN newest_up u ON u.provider_id = r.provider_id
    WHERE NOT r.up AND (u.n_up IS NULL OR r.n < u.n_up)
    GROUP BY r.provider_id
)
SELECT r.provider_id, r.checked_at, r.up, r.state, r.error_kind, r.http_status, r.latency_ms, r.detail,
       coalesce(f.consecutive_failures, 0) AS consecutive_failures, f.failing_since
FROM recent r
LEFT JOIN failing f ON f.provider_id = r.provider_id
WHERE r.n = 1
ORDER BY r.provider_id
