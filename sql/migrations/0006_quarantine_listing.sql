-- depends: 0005_price_tiers_billing
-- Quarantined values (never published) and models kept while their removal is unconfirmed.

ALTER TABLE models ADD COLUMN listed BOOLEAN DEFAULT TRUE;
ALTER TABLE models ADD COLUMN unlisted_since TIMESTAMPTZ;
COMMENT ON COLUMN models.listed IS 'false when no source lists the model any more but its removal is not yet confirmed (AISI_REMOVED_AFTER_RUNS healthy runs without it): it stays published as it was last seen until then.';
COMMENT ON COLUMN models.unlisted_since IS 'For a model no longer listed: the first run (UTC) in which no source listed it; NULL while listed.';

CREATE TABLE quarantine (
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    model_key         TEXT NOT NULL,
    price_type        TEXT NOT NULL,
    above_tokens      BIGINT NOT NULL DEFAULT 0,
    usd_per_mtok      DOUBLE PRECISION NOT NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    source_url        TEXT,
    fetched_at        TIMESTAMPTZ,
    rule              TEXT NOT NULL,
    detail            TEXT NOT NULL,
    held_usd_per_mtok DOUBLE PRECISION,
    detected_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, provider_model_id, price_type, above_tokens, source, rule)
);
COMMENT ON TABLE quarantine IS 'Source prices that failed a plausibility rule in the latest run: not published, each with its rule and reason. The offering keeps its previous value where it had one (held_usd_per_mtok).';
COMMENT ON COLUMN quarantine.above_tokens IS 'The long-context tier the price applies to (prompts above that many tokens); 0 = the base price.';
COMMENT ON COLUMN quarantine.usd_per_mtok IS 'The value the source gave, USD per 1M tokens (not published).';
COMMENT ON COLUMN quarantine.rule IS 'above_ceiling, far_from_other_sources or zero_output_on_metered.';
COMMENT ON COLUMN quarantine.detail IS 'Why, in words, with the figures compared.';
COMMENT ON COLUMN quarantine.held_usd_per_mtok IS 'The value published for this offering and price type instead (the previous one, or another source''s); NULL when none is.';
COMMENT ON COLUMN quarantine.detected_at IS 'When this source''s value was first quarantined under this rule (UTC).';

CREATE TABLE reference_prices (
    model_key         TEXT NOT NULL,
    price_type        TEXT NOT NULL,
    usd_per_mtok      DOUBLE PRECISION NOT NULL,
    basis             TEXT NOT NULL,
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    source            TEXT NOT NULL,
    source_kind       TEXT NOT NULL,
    source_url        TEXT,
    fetched_at        TIMESTAMPTZ,
    sources           INTEGER NOT NULL,
    min_usd_per_mtok  DOUBLE PRECISION NOT NULL,
    max_usd_per_mtok  DOUBLE PRECISION NOT NULL,
    spread            DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (model_key, price_type)
);
COMMENT ON TABLE reference_prices IS 'Each model''s reference price per price type: what its creator charges on its own (metered, base tier) offering, from the most authoritative source. Models their creator does not serve have none.';
COMMENT ON COLUMN reference_prices.usd_per_mtok IS 'US dollars per 1M tokens.';
COMMENT ON COLUMN reference_prices.basis IS 'Why this value: manual, official_page (the creator''s pricing page), first_party_api, consensus (two or more aggregators within 1 %), single_aggregator (the highest-priority one, when they disagree) or config.';
COMMENT ON COLUMN reference_prices.sources IS 'How many sources price the creator''s own offering of this model and price type.';
COMMENT ON COLUMN reference_prices.spread IS '(max - min) / max of those sources'' values: 0 when they all agree.';
COMMENT ON COLUMN offerings.identity_method IS 'How provider_model_id was mapped to model_key: exact (the id already is the key), rule (identity rules), alias_file (config/aliases.yaml or config/model-defaults.json), folded (a pointer, router alias or serving suffix folded onto its base model), or unmatched (no rule placed it; the provider stands in as creator).';
