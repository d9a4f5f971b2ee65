-- Alerts recorded but not yet delivered, oldest first (retried a bounded number of times).
SELECT dedup_key, created_at, provider_id, kind, reason, outage_started_at, attempts
FROM availability_alerts
WHERE delivered_at IS NULL AND attempts < $max_attempts
ORDER BY created_at
