-- Raw archive index (SQLite, $AISI_HOME/raw/index.sqlite): one row per fetch attempt.
-- Payload bytes live once per content hash under $AISI_HOME/raw/objects/.
-- The counts are what the payload guard compares a fresh payload with (NULL when unknown:
-- a failed fetch, or one recorded before the column existed).
CREATE TABLE IF NOT EXISTS fetches (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    source          TEXT NOT NULL,
    url             TEXT NOT NULL,
    http_status     INTEGER,
    etag            TEXT,
    last_modified   TEXT,
    sha256          TEXT,          -- payload served by this fetch (for a 304: the archived one)
    bytes           INTEGER,
    fetched_at      TEXT NOT NULL, -- ISO 8601 UTC
    outcome         TEXT NOT NULL, -- fetched | not_modified | failed | unparseable | held_back
    error           TEXT,
    entries         INTEGER,       -- entries (models) the payload parsed into
    accepted        INTEGER,       -- offerings the source's normaliser accepted
    prices          INTEGER,       -- price rows
    rejected        INTEGER,       -- records rejected (each with a reason)
    benchmarks      INTEGER,       -- benchmark rows
    profile         TEXT           -- JSON {field: share of entries having it}, fields in >= 50 % of them
);
CREATE INDEX IF NOT EXISTS fetches_by_source ON fetches (source, url, id);
