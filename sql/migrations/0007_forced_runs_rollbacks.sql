-- depends: 0006_quarantine_listing
-- The operator's commands: a source run forced by `aisi sync --force`, and `aisi rollback` in the publish history.

ALTER TABLE source_runs ADD COLUMN forced BOOLEAN DEFAULT FALSE;
COMMENT ON COLUMN source_runs.forced IS 'true when the fetch was forced (aisi sync SOURCE --force): no conditional request, and a payload the payload guard would hold back let through once.';

CREATE TABLE rollbacks (
    rolled_back_at   TIMESTAMPTZ PRIMARY KEY,
    from_snapshot_id TEXT,
    to_snapshot_id   TEXT NOT NULL,
    postgres         BOOLEAN NOT NULL,
    command          TEXT
);
COMMENT ON TABLE rollbacks IS 'The publish history''s rollbacks (aisi rollback): the snapshot served again and the one it replaced. A rollback is in effect until a later publish (the next refresh publishes again and says it replaces it).';
COMMENT ON COLUMN rollbacks.from_snapshot_id IS 'The snapshot served before the rollback; NULL when none was.';
COMMENT ON COLUMN rollbacks.to_snapshot_id IS 'The published snapshot served again (latest.duckdb points at it).';
COMMENT ON COLUMN rollbacks.postgres IS 'true when PostgreSQL curated was republished from that snapshot''s tables too (AISI_DATABASE_URL set).';
