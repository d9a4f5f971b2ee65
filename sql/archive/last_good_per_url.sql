-- Per URL of a fanned-out source: its newest good fetch (payload hash and time).
SELECT f.url, f.sha256, f.fetched_at
FROM fetches f
JOIN (
    SELECT url, max(id) AS id
    FROM fetches
    WHERE source = :source AND outcome IN ('fetched', 'not_modified') AND sha256 IS NOT NULL
    GROUP BY url
) newest ON newest.id = f.id
