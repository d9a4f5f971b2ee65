-- Tokens the canary probes spent since $since (the daily budget's use).
SELECT coalesce(sum(tokens), 0) AS tokens FROM availability_checks WHERE probe = 'canary' AND checked_at >= $since
