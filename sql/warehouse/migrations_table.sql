-- The embedded DuckDB warehouse's record of applied migrations (PostgreSQL's is yoyo's own).
CREATE TABLE IF NOT EXISTS warehouse_migrations (
    migration_id TEXT PRIMARY KEY,
    applied_at   TIMESTAMPTZ NOT NULL
)
