-- One notification by its dedup key.
SELECT dedup_key, kind, created_at, text, delivered_at, channel, attempts, last_error, subject, next_attempt_at
FROM notifications
WHERE dedup_key = $dedup_key
