-- PostgreSQL maintenance: the tables of the given schemas (curated, monitor) to VACUUM / ANALYZE.
-- A partitioned table is listed once (VACUUM on it covers its partitions and analyzes the parent);
-- its dead tuples and size are summed over its partitions.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       c.relkind::text AS kind,
       coalesce(sum(s.n_dead_tup), 0)::bigint AS dead_tuples,
       coalesce(sum(s.n_live_tup), 0)::bigint AS live_tuples,
       coalesce(sum(pg_total_relation_size(coalesce(t.relid, c.oid))), 0)::bigint AS bytes
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
-- a plain table has no partition tree: it stands for itself
LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON true
LEFT JOIN pg_stat_user_tables s ON s.relid = coalesce(t.relid, c.oid)
WHERE n.nspname = ANY($schemas)
  AND c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
GROUP BY n.nspname, c.relname, c.relkind
ORDER BY n.nspname, c.relname
