SELECT DISTINCT CAST(date_trunc('day', checked_at) AS DATE) AS day FROM availability_checks WHERE checked_at < $before ORDER BY day
