-- A notification is recorded once per dedup key; recording the same event again changes nothing.
INSERT INTO notifications (dedup_key, kind, created_at, text, delivered_at, channel, attempts, last_error, claimed_by, claimed_at,
                           subject, next_attempt_at)
VALUES ($dedup_key, $kind, $created_at, $text, NULL, NULL, 0, NULL, NULL, NULL, $subject, NULL)
ON CONFLICT (dedup_key) DO NOTHING
