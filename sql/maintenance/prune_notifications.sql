-- Monitor store: forget notifications older than $cutoff that are settled (delivered, or given up
-- after $max_attempts). Their events are long past, so no sensor will offer them again.
DELETE FROM notifications
WHERE created_at < $cutoff
  AND (delivered_at IS NOT NULL OR attempts >= $max_attempts)
