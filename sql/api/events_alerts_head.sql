-- /api/v1/events (read from the monitor's store): the newest provider down / recovered alert.
SELECT dedup_key, created_at
FROM notifications
WHERE kind IN ('provider_down', 'provider_recovered')
ORDER BY created_at DESC, dedup_key DESC
LIMIT 1
