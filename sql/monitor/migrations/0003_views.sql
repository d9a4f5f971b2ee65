-- depends: 0002_availability_checks
-- The monitor's rollups, as of now. Portable SQL: yoyo applies it to PostgreSQL and the embedded
-- DuckDB store runs it on every open (CREATE OR REPLACE).

-- Uptime and latency per provider over the last 1 h, 24 h, 7 d and 30 d (listing probes).
-- uptime_pct: share of probes the provider answered; latency percentiles over answered probes.
CREATE OR REPLACE VIEW availability_uptime AS
WITH periods (period, seconds) AS (
    VALUES ('1h', 3600), ('24h', 86400), ('7d', 604800), ('30d', 2592000)
),
recent AS (
    SELECT provider_id, checked_at, up, latency_ms
    FROM availability_checks
    WHERE probe = 'listing' AND checked_at > now() - INTERVAL '30 days'
),
rollup AS (
    SELECT r.provider_id,
           p.period,
           count(*) AS checks,
           count(*) FILTER (WHERE r.up) AS up_checks,
           -- both percentiles from one sort
           percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.up) AS latency,
           max(r.checked_at) AS last_checked_at
    FROM recent r
    JOIN periods p ON r.checked_at > now() - p.seconds * INTERVAL '1 second'
    GROUP BY r.provider_id, p.period
)
SELECT provider_id, period, checks, up_checks,
       round(100.0 * up_checks / checks, 3) AS uptime_pct,
       latency[1] AS p50_ms,
       latency[2] AS p95_ms,
       last_checked_at
FROM rollup;

-- Runs of consecutive failed listing probes per provider. ended_at is the first answered probe
-- after the run (NULL: still failing). silent_degradation: no status-page incident overlapped
-- the run while the page said all was well (indicator none); NULL when no page was read then.
CREATE OR REPLACE VIEW availability_outages AS
WITH ordered AS (
    SELECT provider_id, checked_at, up, error_kind,
           lead(checked_at) OVER (PARTITION BY provider_id ORDER BY checked_at) AS next_checked_at,
           row_number() OVER (PARTITION BY provider_id ORDER BY checked_at)
             - row_number() OVER (PARTITION BY provider_id, up ORDER BY checked_at) AS island
    FROM availability_checks
    WHERE probe = 'listing'
),
runs AS (
    SELECT provider_id,
           min(checked_at) AS started_at,
           max(checked_at) AS last_failed_at,
           -- the run's last probe has no next one while it is still failing: NULL then
           CASE WHEN count(next_checked_at) = count(*) THEN max(next_checked_at) END AS ended_at,
           count(*) AS failed_checks,
           min(error_kind) AS error_kind
    FROM ordered
    WHERE NOT up
    GROUP BY provider_id, island
)
SELECT o.*,
       (SELECT count(*) FROM status_incidents i
        WHERE i.provider_id = o.provider_id
          AND coalesce(i.started_at, i.created_at) <= coalesce(o.ended_at, now())
          AND coalesce(i.resolved_at, now()) >= o.started_at) AS incidents,
       CASE
         WHEN EXISTS (SELECT 1 FROM status_incidents i
                      WHERE i.provider_id = o.provider_id
                        AND coalesce(i.started_at, i.created_at) <= coalesce(o.ended_at, now())
                        AND coalesce(i.resolved_at, now()) >= o.started_at) THEN FALSE
         WHEN EXISTS (SELECT 1 FROM status_checks s
                      WHERE s.provider_id = o.provider_id AND s.indicator = 'none'
                        AND s.checked_at BETWEEN o.started_at AND coalesce(o.ended_at, now())) THEN TRUE
         ELSE NULL
       END AS silent_degradation
FROM runs o;

-- Status-page incidents with what our probes saw meanwhile. seen_by_probes is FALSE for an
-- incident during which every probe of that provider was answered; NULL when none ran.
CREATE OR REPLACE VIEW status_incidents_seen AS
SELECT i.provider_id, i.incident_id, i.name, i.status, i.impact,
       coalesce(i.started_at, i.created_at) AS started_at, i.resolved_at,
       count(c.checked_at) AS checks,
       count(c.checked_at) FILTER (WHERE NOT c.up) AS failed_checks,
       CASE WHEN count(c.checked_at) = 0 THEN NULL ELSE count(c.checked_at) FILTER (WHERE NOT c.up) > 0 END AS seen_by_probes
FROM status_incidents i
LEFT JOIN availability_checks c
  ON c.provider_id = i.provider_id AND c.probe = 'listing'
 AND c.checked_at >= coalesce(i.started_at, i.created_at)
 AND c.checked_at <= coalesce(i.resolved_at, now())
GROUP BY i.provider_id, i.incident_id, i.name, i.status, i.impact, coalesce(i.started_at, i.created_at), i.resolved_at;
