-- One provider's uptime and latency over one period (1h, 24h, 7d or 30d) of the
-- availability_uptime view; no row when it had no listing probe in that period.
SELECT checks, up_checks, uptime_pct, p50_ms, p95_ms, last_checked_at
FROM availability_uptime
WHERE provider_id = $provider_id AND period = $period
