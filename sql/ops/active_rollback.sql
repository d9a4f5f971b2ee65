-- The rollback in effect: the newest rollback when no publish came after it (none otherwise).
SELECT r.rolled_back_at, r.from_snapshot_id, r.to_snapshot_id, r.postgres, r.command
FROM rollbacks r
WHERE NOT EXISTS (SELECT 1 FROM publishes p WHERE p.published_at > r.rolled_back_at)
ORDER BY r.rolled_back_at DESC
LIMIT 1
