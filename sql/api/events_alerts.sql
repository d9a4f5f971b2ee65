-- /api/v1/events (read from the monitor's store): the provider down / recovered alerts the monitor
-- recorded (notifications outbox, one row per transition) after a stream's position, oldest first.
-- Parameters: at, dedup_key (the last one sent; at NULL: from the first), limit.
SELECT dedup_key, kind, created_at, text
FROM notifications
WHERE kind IN ('provider_down', 'provider_recovered')
  AND (CAST($at AS TIMESTAMPTZ) IS NULL
       OR created_at > CAST($at AS TIMESTAMPTZ)
       OR (created_at = CAST($at AS TIMESTAMPTZ) AND dedup_key > CAST($dedup_key AS TEXT)))
ORDER BY created_at, dedup_key
LIMIT CAST($limit AS BIGINT)
