-- /api/v1/events: how many changes of each kind one publish brought (detected after the publish
-- before it, up to its own time). Parameters: after (NULL for the first publish), until.
SELECT kind, count(*) AS n
FROM changes
WHERE (CAST($after AS TIMESTAMPTZ) IS NULL OR detected_at > CAST($after AS TIMESTAMPTZ))
  AND detected_at <= CAST($until AS TIMESTAMPTZ)
GROUP BY kind
ORDER BY kind
