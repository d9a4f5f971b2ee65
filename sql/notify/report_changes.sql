-- Daily report: changes published in the last 24 h, per kind (a catalog error before the
-- changes feed existed: the report then says so).
SELECT kind, count(*) AS n
FROM changes
WHERE detected_at > now() - INTERVAL 24 HOUR
GROUP BY kind
ORDER BY n DESC, kind
