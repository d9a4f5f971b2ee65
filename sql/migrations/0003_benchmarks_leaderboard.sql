-- depends: 0002_identity_lifecycle_performance
-- Benchmark scores with their history, and the analysts' leaderboard.

CREATE TABLE benchmarks (
    model_key   TEXT NOT NULL,
    benchmark   TEXT NOT NULL,
    variant     TEXT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    unit        TEXT NOT NULL,
    source      TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_id   TEXT,
    as_of       DATE NOT NULL,
    PRIMARY KEY (model_key, benchmark, variant, source, as_of)
);
COMMENT ON TABLE benchmarks IS 'Benchmark scores per model with history: a new as_of adds a row, an unchanged score adds none.';
COMMENT ON COLUMN benchmarks.benchmark IS 'artificial_analysis_intelligence_index, mmlu_pro, gpqa, hle, livecodebench, ... (Artificial Analysis keys as sent); lmarena_elo_<category> (LMArena).';
COMMENT ON COLUMN benchmarks.variant IS 'The configuration measured, e.g. reasoning effort low / high / thinking; empty for the default.';
COMMENT ON COLUMN benchmarks.unit IS 'index (0-100 style indices), fraction (share of items solved, 0-1), elo.';
COMMENT ON COLUMN benchmarks.source_id IS 'The id the source uses for the model (Artificial Analysis slug, LMArena key).';
COMMENT ON COLUMN benchmarks.as_of IS 'The date the score refers to (the source''s date, or the day it was fetched).';

CREATE VIEW leaderboard AS
WITH latest_scores AS (
    SELECT b.*, row_number() OVER (PARTITION BY model_key, benchmark, variant, source ORDER BY as_of DESC) AS n
    FROM benchmarks b
),
scores AS (
    SELECT model_key,
           max(CASE WHEN benchmark = 'artificial_analysis_intelligence_index' THEN score END) AS intelligence_index,
           max(CASE WHEN benchmark = 'artificial_analysis_coding_index' THEN score END) AS coding_index,
           max(CASE WHEN benchmark = 'artificial_analysis_math_index' THEN score END) AS math_index,
           max(CASE WHEN benchmark = 'gpqa' THEN score END) AS gpqa,
           max(CASE WHEN benchmark = 'mmlu_pro' THEN score END) AS mmlu_pro,
           max(CASE WHEN benchmark = 'lmarena_elo_full' THEN score END) AS lmarena_elo
    FROM latest_scores
    WHERE n = 1
    GROUP BY model_key
),
latest_speed AS (
    SELECT p.*, row_number() OVER (PARTITION BY provider_id, provider_model_id, metric, percentile, source ORDER BY measured_at DESC) AS n
    FROM performance p
    WHERE percentile IN ('p50', 'value')
),
speed AS (
    SELECT model_key,
           max(CASE WHEN metric = 'throughput' THEN value END) AS output_tokens_per_s,
           min(CASE WHEN metric = 'time_to_first_token' THEN value END) AS time_to_first_token_s
    FROM latest_speed
    WHERE n = 1
    GROUP BY model_key
),
offer_prices AS (
    SELECT model_key, provider_id, provider_model_id,
           max(CASE WHEN price_type = 'input' THEN usd_per_mtok END) AS input_price,
           max(CASE WHEN price_type = 'output' THEN usd_per_mtok END) AS output_price
    FROM current_prices
    GROUP BY model_key, provider_id, provider_model_id
),
blended AS (
    -- 3:1 input:output, the cheapest paid offering.
    SELECT model_key, min((3 * input_price + output_price) / 4) AS blended_usd_per_mtok
    FROM offer_prices
    WHERE input_price > 0 AND output_price > 0
    GROUP BY model_key
)
SELECT s.model_key, m.name, coalesce(m.creator, split_part(s.model_key, '/', 1)) AS creator,
       m.model_key IS NOT NULL AS in_catalog,
       s.intelligence_index, s.coding_index, s.math_index, s.gpqa, s.mmlu_pro, s.lmarena_elo,
       sp.output_tokens_per_s, sp.time_to_first_token_s,
       b.blended_usd_per_mtok
FROM scores s
LEFT JOIN models m ON m.model_key = s.model_key
LEFT JOIN speed sp ON sp.model_key = s.model_key
LEFT JOIN blended b ON b.model_key = s.model_key;
COMMENT ON VIEW leaderboard IS 'One row per benchmarked model (in_catalog: whether the catalog lists it): main scores (best configuration), median speed, and the cheapest current blended price (3:1 input:output, USD per 1M tokens).';
