-- Raw archive index (SQLite, $AISI_HOME/raw/index.sqlite): one row per fetch attempt.
-- Payload bytes live once per content hash under $AISI_HOME/raw/objects/.
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
    entries         INTEGER        -- entries (models) the payload parsed into; NULL when unknown
);
CREATE INDEX IF NOT EXISTS fetches_by_source ON fetches (source, url, id);
