-- availability_checks in the embedded DuckDB store ($AISI_HOME/monitor/monitor.duckdb); in
-- PostgreSQL it is partitioned by day (migrations/0002_availability_checks.sql). Run on every
-- open after migrations/0001_status.sql; migrations/0003_views.sql follows.
CREATE TABLE IF NOT EXISTS availability_checks (
    checked_at      TIMESTAMPTZ NOT NULL,
    provider_id     TEXT NOT NULL,
    probe           TEXT NOT NULL,
    target          TEXT NOT NULL,
    up              BOOLEAN NOT NULL,
    state           TEXT NOT NULL,
    error_kind      TEXT,
    http_status     INTEGER,
    latency_ms      DOUBLE PRECISION,
    authenticated   BOOLEAN NOT NULL,
    ttft_ms         DOUBLE PRECISION,
    tokens_per_s    DOUBLE PRECISION,
    tokens          INTEGER,
    detail          TEXT
);
