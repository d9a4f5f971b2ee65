-- Each channel's delivery state of one notification.
SELECT dedup_key, channel, delivered_at, attempts, last_error
FROM notification_deliveries
WHERE dedup_key = $dedup_key
ORDER BY channel
