-- Whether the warehouse has ever been written: no publish and no model yet.
SELECT (SELECT count(*) FROM publishes) + (SELECT count(*) FROM models) AS n
