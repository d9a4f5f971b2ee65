-- depends: 0001_catalog
-- Lifecycle of models and offerings, the identity map, and measured performance.

ALTER TABLE models ADD COLUMN status TEXT;
ALTER TABLE models ADD COLUMN status_date DATE;
ALTER TABLE models ADD COLUMN status_source TEXT;
ALTER TABLE models ADD COLUMN alias_of TEXT;
COMMENT ON COLUMN models.status IS 'active, deprecated (a retirement date is announced) or retired (that date has passed); from the creator''s own offering when there is one, else from all offerings.';
COMMENT ON COLUMN models.status_date IS 'The announced retirement date behind status, when there is one.';
COMMENT ON COLUMN models.status_source IS 'The source that said so (mistral deprecation, cohere is_deprecated, litellm deprecation_date, openrouter expiration_date).';
COMMENT ON COLUMN models.alias_of IS 'For a dated snapshot (gpt-4o-2024-08-06): the family alias it belongs to (openai/gpt-4o).';

ALTER TABLE offerings ADD COLUMN status TEXT;
COMMENT ON COLUMN offerings.status IS 'active, deprecated or retired, as the offering''s own source says.';

CREATE TABLE model_aliases (
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    model_key   TEXT NOT NULL,
    method      TEXT NOT NULL,
    PRIMARY KEY (source, provider_id, source_id)
);
COMMENT ON TABLE model_aliases IS 'Every source id and the model key it maps to: how each source names each model.';
COMMENT ON COLUMN offerings.identity_method IS 'How provider_model_id was mapped to model_key: exact (the id already is the key), rule (identity rules), alias_file (config/aliases.yaml or the key given by config/model-defaults.json), or unmatched (no rule placed it; the provider stands in as creator).';
COMMENT ON COLUMN source_runs.unmatched IS 'Offerings whose model no identity rule could place (identity_method unmatched).';
COMMENT ON COLUMN model_aliases.method IS 'exact (the id is the key), rule (identity rules), alias_file (config/aliases.yaml), unmatched (no rule placed it: creator = provider).';

CREATE TABLE performance (
    model_key         TEXT NOT NULL,
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    metric            TEXT NOT NULL,
    percentile        TEXT NOT NULL,
    value             DOUBLE PRECISION NOT NULL,
    unit              TEXT NOT NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    measured_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, provider_model_id, metric, percentile, source, measured_at)
);
COMMENT ON TABLE performance IS 'Measured speed and uptime per offering: latency, throughput, time to first token, uptime; a new measurement adds rows, an unchanged one adds none.';
COMMENT ON COLUMN performance.metric IS 'time_to_first_token, latency, throughput, uptime_5m, uptime_30m, uptime_1d.';
COMMENT ON COLUMN performance.percentile IS 'p50, p75, p90, p99, or value when the source gives a single figure.';
COMMENT ON COLUMN performance.unit IS 's (seconds), tokens_per_s, percent.';
