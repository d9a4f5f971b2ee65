-- aisi snapshots: the rollbacks of the publish history, newest first.
SELECT rolled_back_at, from_snapshot_id, to_snapshot_id, postgres, command
FROM rollbacks
ORDER BY rolled_back_at DESC
