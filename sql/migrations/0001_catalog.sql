-- The catalog's curated tables: the analysts' contract. Portable SQL: PostgreSQL applies it
-- (through yoyo, search_path = curated) and every DuckDB snapshot is built by running the
-- migrations in order. Units: USD per 1M tokens, tokens as integers, timestamps in UTC.

CREATE TABLE providers (
    provider_id     TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    creator         TEXT,
    models_count    INTEGER NOT NULL,
    offerings_count INTEGER NOT NULL,
    source          TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    source_url      TEXT,
    fetched_at      TIMESTAMPTZ
);
COMMENT ON TABLE providers IS 'Who serves models: first-party labs, clouds, inference hosts, routers.';
COMMENT ON COLUMN providers.provider_id IS 'Stable provider id (models.dev provider ids where they exist), e.g. openai, groq, amazon-bedrock.';
COMMENT ON COLUMN providers.creator IS 'The creator id when the provider is also a model creator (openai -> openai), else NULL.';
COMMENT ON COLUMN providers.source_kind IS 'Badge of the source that described the provider: api, scraped, aggregator, cached, config, manual.';

CREATE TABLE models (
    model_key         TEXT PRIMARY KEY,
    creator           TEXT NOT NULL,
    name              TEXT,
    family            TEXT,
    context_window    BIGINT,
    max_output        BIGINT,
    input_modalities  TEXT[],
    output_modalities TEXT[],
    release_date      DATE,
    open_weights      BOOLEAN,
    deprecation_date  DATE,
    offerings_count   INTEGER NOT NULL,
    providers_count   INTEGER NOT NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    source_url        TEXT,
    fetched_at        TIMESTAMPTZ
);
COMMENT ON TABLE models IS 'One row per model, keyed creator/model; described by the creator''s own offering where there is one.';
COMMENT ON COLUMN models.model_key IS 'Canonical key creator/model, e.g. openai/gpt-4o, meta/llama-3.1-70b-instruct.';
COMMENT ON COLUMN models.context_window IS 'Context window in tokens; NULL when no source gives it.';
COMMENT ON COLUMN models.max_output IS 'Maximum output tokens per request; NULL when unknown.';
COMMENT ON COLUMN models.source IS 'The source that supplied this row (openrouter, models_dev, litellm, model_defaults, ...).';
COMMENT ON COLUMN models.source_kind IS 'The badge of that source: api, scraped, aggregator, cached, config or manual.';
COMMENT ON COLUMN models.fetched_at IS 'When the payload behind this row was fetched (UTC).';

CREATE TABLE offerings (
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    model_key         TEXT NOT NULL,
    creator           TEXT NOT NULL,
    identity_method   TEXT NOT NULL,
    name              TEXT,
    context_window    BIGINT,
    max_output        BIGINT,
    input_modalities  TEXT[],
    output_modalities TEXT[],
    deprecation_date  DATE,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    source_url        TEXT,
    fetched_at        TIMESTAMPTZ,
    PRIMARY KEY (provider_id, provider_model_id)
);
COMMENT ON TABLE offerings IS 'A model served by a provider under the provider''s own model id; prices and limits belong here.';
COMMENT ON COLUMN offerings.provider_model_id IS 'The id the provider''s API takes (gpt-4o, openai/gpt-4o, us-east-1/anthropic.claude-...).';
COMMENT ON COLUMN offerings.identity_method IS 'How provider_model_id was mapped to model_key: namespace, pattern, first_party, config, or provider (unmatched).';

CREATE TABLE prices (
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    model_key         TEXT NOT NULL,
    price_type        TEXT NOT NULL,
    usd_per_mtok      DOUBLE PRECISION NOT NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    source_url        TEXT,
    fetched_at        TIMESTAMPTZ,
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    PRIMARY KEY (provider_id, provider_model_id, price_type, valid_from)
);
COMMENT ON TABLE prices IS 'Price history per offering and price type; the open row (valid_to NULL) is the current price. An unknown price has no row (never 0).';
COMMENT ON COLUMN prices.price_type IS 'input, output, cached_input, cache_write, batch_input, batch_output, reasoning, image_input, image_output, audio_input, audio_output.';
COMMENT ON COLUMN prices.usd_per_mtok IS 'US dollars per 1M tokens.';
COMMENT ON COLUMN prices.valid_from IS 'When this value was first published (UTC).';
COMMENT ON COLUMN prices.valid_to IS 'When it was replaced or withdrawn; NULL while current.';

CREATE TABLE source_runs (
    run_id           TEXT NOT NULL,
    source           TEXT NOT NULL,
    status           TEXT NOT NULL,
    badge            TEXT,
    rows             INTEGER NOT NULL,
    entries          INTEGER NOT NULL,
    rejected         INTEGER NOT NULL,
    rejected_reasons TEXT,
    unmatched        INTEGER NOT NULL,
    url              TEXT,
    http_status      INTEGER,
    conditional      BOOLEAN NOT NULL,
    not_modified     BOOLEAN NOT NULL,
    payload_sha256   TEXT,
    payload_fetched_at TIMESTAMPTZ,
    started_at       TIMESTAMPTZ NOT NULL,
    error            TEXT,
    PRIMARY KEY (run_id, source)
);
COMMENT ON TABLE source_runs IS 'One row per source per run: what it returned and which badge its data carried.';
COMMENT ON COLUMN source_runs.status IS 'ok (fresh or 304), cached (failed; served the last good payload), failed (nothing to serve), skipped.';
COMMENT ON COLUMN source_runs.badge IS 'Badge of the data the source contributed in this run; NULL when it contributed nothing.';
COMMENT ON COLUMN source_runs.rows IS 'Offerings the source contributed after normalisation.';
COMMENT ON COLUMN source_runs.rejected_reasons IS 'JSON object: reason -> count of records that could not be used.';
COMMENT ON COLUMN source_runs.unmatched IS 'Offerings whose model could not be placed under a creator (identity method provider).';

CREATE TABLE publishes (
    snapshot_id   TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    models        INTEGER NOT NULL,
    offerings     INTEGER NOT NULL,
    prices        INTEGER NOT NULL
);
COMMENT ON TABLE publishes IS 'One row per publish; the newest is the data now served.';

CREATE VIEW current_prices AS
SELECT model_key, provider_id, price_type, usd_per_mtok, source, source_kind, valid_from,
       provider_model_id, source_url, fetched_at
FROM prices
WHERE valid_to IS NULL;
COMMENT ON VIEW current_prices IS 'Current price per offering and price type (USD per 1M tokens), with its source and badge.';
