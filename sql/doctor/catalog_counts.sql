-- aisi doctor: what a warehouse or snapshot holds: its models and its newest publish.
SELECT (SELECT count(*) FROM models) AS models,
       (SELECT max(published_at) FROM publishes) AS last_published_at,
       (SELECT snapshot_id FROM publishes ORDER BY published_at DESC LIMIT 1) AS snapshot_id
