-- One provider's runs of failed listing probes (availability_outages) that overlap the last
-- $seconds (still failing, or ended within it), oldest first.
SELECT started_at, last_failed_at, ended_at, failed_checks, error_kind, incidents, silent_degradation
FROM availability_outages
WHERE provider_id = $provider_id
  AND coalesce(ended_at, now()) >= now() - $seconds * INTERVAL '1 second'
ORDER BY started_at
