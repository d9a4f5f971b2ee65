-- Raw archive index (SQLite): forget fetches older than :cutoff (ISO 8601 UTC), except each URL's
-- newest good fetch (what the source serves, badge cached, when it fails) and each URL's newest
-- attempt (the fan-out's "least recently asked" order). The cursor's rowcount is what was deleted.
DELETE FROM fetches
WHERE julianday(fetched_at) < julianday(:cutoff)
  AND id NOT IN (
      SELECT max(id) FROM fetches
      WHERE outcome IN ('fetched', 'not_modified') AND sha256 IS NOT NULL
      GROUP BY source, url
  )
  AND id NOT IN (
      SELECT max(id) FROM fetches GROUP BY source, url
  )
