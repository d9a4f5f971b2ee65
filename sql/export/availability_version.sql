-- What identifies the monitor store's rollups as they are now: a new check changes the sum of
-- checks and the last check, the retention changes the count. Read in the export's transaction.
SELECT count(*) AS spans, coalesce(sum(checks), 0) AS checks, max(last_checked_at) AS last_checked_at
FROM availability_rollups
