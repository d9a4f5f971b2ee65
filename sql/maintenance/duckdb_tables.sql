-- The base tables of one attached DuckDB database (to compare row counts after a compaction).
SELECT schema_name, table_name
FROM duckdb_tables()
WHERE database_name = $database AND NOT temporary
ORDER BY schema_name, table_name
