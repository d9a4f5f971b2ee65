-- Daily report: what the catalog holds now, and the snapshot it is read from.
SELECT (SELECT count(*) FROM models) AS models,
       (SELECT count(*) FROM offerings) AS offerings,
       (SELECT count(*) FROM current_prices) AS prices,
       (SELECT count(*) FROM providers) AS providers,
       (SELECT arg_max(snapshot_id, published_at) FROM publishes) AS snapshot_id,
       (SELECT max(published_at) FROM publishes) AS published_at,
       (SELECT count(*) FROM publishes WHERE published_at > now() - INTERVAL 24 HOUR) AS publishes_24h
