-- The monitor's status-page and state tables. Portable SQL: yoyo applies it to
-- PostgreSQL (schema `monitor`); the embedded DuckDB store ($AISI_HOME/monitor/monitor.duckdb)
-- runs it on every open, hence IF NOT EXISTS. Timestamps are UTC.
CREATE TABLE IF NOT EXISTS status_checks (
    checked_at      TIMESTAMPTZ NOT NULL,
    provider_id     TEXT NOT NULL,
    page_url        TEXT NOT NULL,
    indicator       TEXT,
    description     TEXT,
    http_status     INTEGER,
    not_modified    BOOLEAN NOT NULL,
    error           TEXT
);
CREATE TABLE IF NOT EXISTS status_components (
    provider_id     TEXT NOT NULL,
    component_id    TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT,
    description     TEXT,
    group_id        TEXT,
    is_group        BOOLEAN,
    position        INTEGER,
    updated_at      TIMESTAMPTZ,
    checked_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, component_id)
);
CREATE TABLE IF NOT EXISTS status_incidents (
    provider_id     TEXT NOT NULL,
    incident_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT,
    impact          TEXT,
    shortlink       TEXT,
    created_at      TIMESTAMPTZ,
    started_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ,
    monitoring_at   TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    component_ids   TEXT[],
    component_names TEXT[],
    first_seen_at   TIMESTAMPTZ NOT NULL,
    checked_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, incident_id)
);
CREATE TABLE IF NOT EXISTS status_incident_updates (
    provider_id     TEXT NOT NULL,
    incident_id     TEXT NOT NULL,
    update_id       TEXT NOT NULL,
    status          TEXT,
    body            TEXT,
    created_at      TIMESTAMPTZ,
    display_at      TIMESTAMPTZ,
    affected_components TEXT[],
    PRIMARY KEY (provider_id, update_id)
);
CREATE TABLE IF NOT EXISTS monitor_state (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

COMMENT ON TABLE status_checks IS 'Each read of a provider status page: its overall indicator (none, minor, major, critical, maintenance).';
COMMENT ON TABLE status_incidents IS 'Incidents from providers'' status pages, upserted by incident id (the newest reading wins).';
COMMENT ON TABLE status_incident_updates IS 'Every update an incident had, with its time.';
COMMENT ON TABLE status_components IS 'Components of each status page and their current status.';
