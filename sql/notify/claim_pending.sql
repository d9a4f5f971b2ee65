-- Claims every notification still to post for one evaluation ($token): not delivered, attempts
-- left, past its retry backoff, and not being posted by another evaluation right now (a claim
-- older than $stale_before is taken over). One UPDATE, so two evaluations (a sensor and
-- `aisi refresh`, say) never claim the same row; the claim covers all of its channels.
UPDATE notifications
SET claimed_by = $token, claimed_at = $now
WHERE delivered_at IS NULL
  AND attempts < $max_attempts
  AND (next_attempt_at IS NULL OR next_attempt_at <= $now)
  AND (claimed_by IS NULL OR claimed_at < $stale_before)
