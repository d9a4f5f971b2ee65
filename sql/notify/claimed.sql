-- What one evaluation claimed, oldest first.
SELECT dedup_key, kind, created_at, text, attempts, subject
FROM notifications
WHERE claimed_by = $token
ORDER BY created_at, dedup_key
