-- Claims every notification still to post for one evaluation ($token): not delivered, attempts
-- left, and not being posted by another evaluation right now (a claim older than $stale_before
-- is taken over). One UPDATE, so two evaluations never claim the same row.
UPDATE notifications
SET claimed_by = $token, claimed_at = $now
WHERE delivered_at IS NULL
  AND attempts < $max_attempts
  AND (claimed_by IS NULL OR claimed_at < $stale_before)
