-- Raw archive index (SQLite): the last good payload of a source fetched on a given UTC day.
-- :day is 'YYYY-MM-DD'; fetched_at is ISO 8601 UTC, so its first ten characters are the day.
-- "Good" as for the source's own fallback: fetched fresh or confirmed by a 304, payload kept.
SELECT url, http_status, etag, last_modified, sha256, bytes, fetched_at
FROM fetches
WHERE source = :source
  AND outcome IN ('fetched', 'not_modified')
  AND sha256 IS NOT NULL
  AND substr(fetched_at, 1, 10) = :day
ORDER BY fetched_at DESC, id DESC
LIMIT 1
