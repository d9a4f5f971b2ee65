UPDATE availability_alerts
SET attempts = attempts + 1, delivered_at = $delivered_at, channel = $channel, last_error = $last_error
WHERE dedup_key = $dedup_key
