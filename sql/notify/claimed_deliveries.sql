-- The channels that already took the notifications one evaluation claimed.
SELECT d.dedup_key, d.channel
FROM notification_deliveries d
JOIN notifications n ON n.dedup_key = d.dedup_key
WHERE n.claimed_by = $token AND d.delivered_at IS NOT NULL
