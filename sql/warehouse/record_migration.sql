INSERT INTO warehouse_migrations (migration_id, applied_at) VALUES ($migration_id, $applied_at)
