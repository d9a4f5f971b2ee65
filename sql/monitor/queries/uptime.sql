-- Uptime and latency per provider and period (the availability_uptime view).
SELECT provider_id, period, checks, up_checks, uptime_pct, p50_ms, p95_ms, last_checked_at
FROM availability_uptime
ORDER BY provider_id, period
