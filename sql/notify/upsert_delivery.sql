-- One channel's attempt at one notification: delivered ($delivered_at set) or failed ($last_error).
INSERT INTO notification_deliveries (dedup_key, channel, delivered_at, attempts, last_error, updated_at)
VALUES ($dedup_key, $channel, $delivered_at, 1, $last_error, $now)
ON CONFLICT (dedup_key, channel) DO UPDATE
SET delivered_at = excluded.delivered_at, attempts = notification_deliveries.attempts + 1,
    last_error = excluded.last_error, updated_at = excluded.updated_at
