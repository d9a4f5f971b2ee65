-- Every channel the notification is routed to has it: settled.
UPDATE notifications
SET delivered_at = $delivered_at, channel = $channel, attempts = attempts + 1, last_error = NULL,
    claimed_by = NULL, claimed_at = NULL, next_attempt_at = NULL
WHERE dedup_key = $dedup_key AND claimed_by = $token
