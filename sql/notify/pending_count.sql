-- Notifications still to post (attempts left) and those given up on.
SELECT count(*) FILTER (WHERE delivered_at IS NULL AND attempts < $max_attempts) AS pending,
       count(*) FILTER (WHERE delivered_at IS NULL AND attempts >= $max_attempts) AS abandoned
FROM notifications
