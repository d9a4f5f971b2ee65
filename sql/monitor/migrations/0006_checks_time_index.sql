-- depends: 0005_rollups
-- PostgreSQL only (the embedded DuckDB store does not run it: it skips row groups by their min and
-- max times). availability_checks by time alone: the uptime view reads the partial first hour of
-- each period from the raw checks (0005_rollups.sql), a few thousand rows of a day partition that
-- the (provider_id, checked_at) index cannot find without scanning it whole.
CREATE INDEX IF NOT EXISTS availability_checks_checked_at ON availability_checks (checked_at);
