-- A channel failed: counted, its error kept (never a secret), the claim released for a flush
-- after $next_attempt_at.
UPDATE notifications
SET channel = $channel, attempts = attempts + 1, last_error = $last_error, claimed_by = NULL, claimed_at = NULL,
    next_attempt_at = $next_attempt_at
WHERE dedup_key = $dedup_key AND claimed_by = $token
