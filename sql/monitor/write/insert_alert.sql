-- An alert is recorded once per dedup key; a second attempt to record it changes nothing.
INSERT INTO availability_alerts (dedup_key, created_at, provider_id, kind, reason, outage_started_at, delivered_at, channel, attempts, last_error)
VALUES ($dedup_key, $created_at, $provider_id, $kind, $reason, $outage_started_at, NULL, NULL, 0, NULL)
ON CONFLICT (dedup_key) DO NOTHING
