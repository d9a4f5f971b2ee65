-- Snapshot ids already used: a new publish never reuses one.
SELECT snapshot_id FROM publishes WHERE snapshot_id LIKE $prefix
