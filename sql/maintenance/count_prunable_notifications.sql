SELECT count(*) AS n
FROM notifications
WHERE created_at < $cutoff
  AND (delivered_at IS NOT NULL OR attempts >= $max_attempts)
