-- A failed post: counted, its error kept (never a secret), the claim released for a later tick.
UPDATE notifications
SET channel = $channel, attempts = attempts + 1, last_error = $last_error, claimed_by = NULL, claimed_at = NULL
WHERE dedup_key = $dedup_key AND claimed_by = $token
