-- The newest fetch of a source whose payload parsed (fetched fresh or confirmed by a 304).
SELECT id, url, http_status, etag, last_modified, sha256, bytes, fetched_at,
       entries, accepted, prices, rejected, benchmarks, profile
FROM fetches
WHERE source = :source AND outcome IN ('fetched', 'not_modified') AND sha256 IS NOT NULL
ORDER BY id DESC
LIMIT 1
