-- Delivery states whose notification the maintenance pruned.
DELETE FROM notification_deliveries
WHERE dedup_key NOT IN (SELECT dedup_key FROM notifications)
