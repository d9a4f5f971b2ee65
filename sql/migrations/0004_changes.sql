-- depends: 0003_benchmarks_leaderboard
-- The change feed (append-only), the state it is computed from (which models each source
-- listed, which prices sources disagree on), and the per-pair disagreement quality figure.

CREATE TABLE changes (
    detected_at TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,
    model_key   TEXT NOT NULL,
    provider_id TEXT,
    provider_model_id TEXT,
    field       TEXT,
    old         TEXT,
    new         TEXT,
    pct_change  DOUBLE PRECISION,
    source      TEXT,
    run_id      TEXT NOT NULL
);
COMMENT ON TABLE changes IS 'Append-only feed of what changed between publishes: models added or removed, prices, context windows, lifecycle status, new disagreements between sources. An unchanged refresh adds no row; the first publish of an empty store records a baseline and adds none.';
COMMENT ON COLUMN changes.detected_at IS 'When the change was published (the run''s time, UTC).';
COMMENT ON COLUMN changes.kind IS 'model_added, model_removed, price_changed, context_changed, status_changed or source_disagreement.';
COMMENT ON COLUMN changes.model_key IS 'The model concerned, creator/model.';
COMMENT ON COLUMN changes.provider_id IS 'The provider of the offering concerned (price_changed, source_disagreement); NULL for model-level changes.';
COMMENT ON COLUMN changes.provider_model_id IS 'The offering''s own model id at that provider (one model may be served under several ids); NULL for model-level changes.';
COMMENT ON COLUMN changes.field IS 'What changed: the price_type (price_changed, source_disagreement), context_window, status; NULL for model_added / model_removed.';
COMMENT ON COLUMN changes.old IS 'The value before, as text (USD per 1M tokens for prices, tokens for context_window); for source_disagreement the first source''s value.';
COMMENT ON COLUMN changes.new IS 'The value after, as text; for source_disagreement the second source''s value.';
COMMENT ON COLUMN changes.pct_change IS '(new - old) / old * 100 for numeric values when old > 0; NULL otherwise.';
COMMENT ON COLUMN changes.source IS 'The source behind the new value; for source_disagreement the two sources as "a,b" (in the order of old, new); for model_removed the sources that had listed it.';
COMMENT ON COLUMN changes.run_id IS 'The Dagster run that detected it.';

CREATE TABLE model_presence (
    model_key    TEXT PRIMARY KEY,
    sources      TEXT NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    missing_runs INTEGER NOT NULL,
    removed_at   TIMESTAMPTZ
);
COMMENT ON TABLE model_presence IS 'Every model ever published and which sources listed it: the state behind model_removed (a model is removed only after it has been absent from every healthy source that listed it for AISI_REMOVED_AFTER_RUNS consecutive runs).';
COMMENT ON COLUMN model_presence.sources IS 'The sources that listed the model when it was last seen, comma-separated.';
COMMENT ON COLUMN model_presence.last_seen_at IS 'The last run in which any source listed it (UTC).';
COMMENT ON COLUMN model_presence.missing_runs IS 'Consecutive runs since then in which all of those sources ran healthy (status ok, badge neither cached nor config) and none listed it; a run where one of them failed does not count.';
COMMENT ON COLUMN model_presence.removed_at IS 'When model_removed was recorded; NULL while listed or not yet confirmed gone. A model that reappears is added again.';

CREATE TABLE price_disagreements (
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    model_key         TEXT NOT NULL,
    price_type        TEXT NOT NULL,
    source_a          TEXT NOT NULL,
    source_b          TEXT NOT NULL,
    value_a           DOUBLE PRECISION NOT NULL,
    value_b           DOUBLE PRECISION NOT NULL,
    detected_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, provider_model_id, price_type, source_a, source_b)
);
COMMENT ON TABLE price_disagreements IS 'Current prices on which two sources differ by more than AISI_DISAGREEMENT_TOLERANCE (default 1 % of the higher value); replaced each publish.';
COMMENT ON COLUMN price_disagreements.source_a IS 'The first source of the pair (alphabetical order).';
COMMENT ON COLUMN price_disagreements.value_a IS 'source_a''s price, US dollars per 1M tokens.';
COMMENT ON COLUMN price_disagreements.value_b IS 'source_b''s price, US dollars per 1M tokens.';
COMMENT ON COLUMN price_disagreements.detected_at IS 'When this disagreement was first detected (it has lasted since, UTC).';

CREATE TABLE source_disagreements (
    source_a           TEXT NOT NULL,
    source_b           TEXT NOT NULL,
    offerings_compared INTEGER NOT NULL,
    disagreements      INTEGER NOT NULL,
    share              DOUBLE PRECISION,
    detected_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_a, source_b)
);
COMMENT ON TABLE source_disagreements IS 'Quality figure per pair of sources that price the same offerings: how many of them they disagree on; replaced each publish.';
COMMENT ON COLUMN source_disagreements.source_a IS 'The first source of the pair (alphabetical order).';
COMMENT ON COLUMN source_disagreements.source_b IS 'The second source of the pair.';
COMMENT ON COLUMN source_disagreements.offerings_compared IS 'Offerings (provider and provider model id) both sources price, on at least one common price type.';
COMMENT ON COLUMN source_disagreements.disagreements IS 'Of those, offerings on which at least one common price type differs by more than the tolerance (AISI_DISAGREEMENT_TOLERANCE, default 1 % of the higher value).';
COMMENT ON COLUMN source_disagreements.share IS 'disagreements / offerings_compared.';
COMMENT ON COLUMN source_disagreements.detected_at IS 'The publish this figure belongs to (UTC).';
