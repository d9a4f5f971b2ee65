-- Per URL of a fanned-out source: when it was last asked, whatever the answer.
SELECT url, max(fetched_at) AS attempted_at
FROM fetches
WHERE source = :source
GROUP BY url
