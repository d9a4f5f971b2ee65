-- Raw archive index (SQLite): the newest good fetch of one exact URL, whatever source recorded it.
-- A payload at a git commit never changes, so an archived copy spares the download.
SELECT url, http_status, etag, last_modified, sha256, bytes, fetched_at
FROM fetches
WHERE url = :url
  AND outcome IN ('fetched', 'not_modified')
  AND sha256 IS NOT NULL
ORDER BY id DESC
LIMIT 1
