-- Whether the monitor's schema is in place (its last view exists) in the current schema:
-- PostgreSQL schema `monitor` (NULL current_schema() while it does not exist), DuckDB `main`.
SELECT count(*) AS ready
FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name = 'availability_uptime'
