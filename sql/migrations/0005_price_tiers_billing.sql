-- depends: 0004_changes
-- Prices mean what they say: how each offering is billed, and long-context tiers as prices
-- with a threshold. The price key gains `above_tokens`, so `prices` and `price_disagreements`
-- are recreated with it in their primary key (portable: DuckDB cannot alter a primary key);
-- rows already stored are base prices (above_tokens 0).

ALTER TABLE offerings ADD COLUMN billing TEXT NOT NULL DEFAULT 'metered';
COMMENT ON COLUMN offerings.billing IS 'metered (a price per token), free_tier (a router''s free variant: OpenRouter :free, ids ending -free priced 0 by their source) or plan (subscription, coding/token plan, free developer quota or a local runtime: config/billing.yaml). A 0 price is published only for free_tier; plan and free_tier offerings do not count as "cheapest".';

DROP VIEW leaderboard;
DROP VIEW current_prices;

CREATE TABLE prices_tiered (
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
    valid_from        TIMESTAMPTZ NOT NULL,
    valid_to          TIMESTAMPTZ,
    PRIMARY KEY (provider_id, provider_model_id, price_type, above_tokens, valid_from)
);
INSERT INTO prices_tiered (provider_id, provider_model_id, model_key, price_type, above_tokens, usd_per_mtok,
                           source, source_kind, source_url, fetched_at, valid_from, valid_to)
SELECT provider_id, provider_model_id, model_key, price_type, 0, usd_per_mtok,
       source, source_kind, source_url, fetched_at, valid_from, valid_to
FROM prices;
DROP TABLE prices;
ALTER TABLE prices_tiered RENAME TO prices;
COMMENT ON TABLE prices IS 'Price history per offering, price type and long-context tier; the open row (valid_to NULL) is the current price. An unknown price has no row (never 0); a 0 is published only where the source says the offering is free (offerings.billing free_tier).';
COMMENT ON COLUMN prices.price_type IS 'Text tokens: input, output, cached_input, cache_write, batch_input, batch_output, reasoning; image tokens: image_input, image_output; audio tokens: audio_input, audio_output. Prices per image, second or character are not published.';
COMMENT ON COLUMN prices.above_tokens IS 'Long-context tier: the price applies to prompts above this many tokens (e.g. 200000); 0 is the base price.';
COMMENT ON COLUMN prices.usd_per_mtok IS 'US dollars per 1M tokens.';
COMMENT ON COLUMN prices.valid_from IS 'When this value was first published (UTC).';
COMMENT ON COLUMN prices.valid_to IS 'When it was replaced or withdrawn; NULL while current.';

CREATE VIEW current_prices AS
SELECT p.model_key, p.provider_id, p.price_type, p.usd_per_mtok, p.source, p.source_kind, p.valid_from,
       p.provider_model_id, p.source_url, p.fetched_at, p.above_tokens, o.billing
FROM prices p
LEFT JOIN offerings o ON o.provider_id = p.provider_id AND o.provider_model_id = p.provider_model_id
WHERE p.valid_to IS NULL;
COMMENT ON VIEW current_prices IS 'Current price per offering, price type and long-context tier (above_tokens, 0 = base price; USD per 1M tokens), with its source, badge and the offering''s billing (metered, free_tier, plan).';

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
    WHERE above_tokens = 0 AND billing = 'metered'  -- base prices of offerings billed per token
    GROUP BY model_key, provider_id, provider_model_id
),
blended AS (
    -- 3:1 input:output, the cheapest metered offering (plan and free-tier offerings do not count).
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
COMMENT ON VIEW leaderboard IS 'One row per benchmarked model (in_catalog: whether the catalog lists it): main scores (best configuration), median speed, and the cheapest current blended base price of a metered offering (3:1 input:output, USD per 1M tokens; plan and free-tier offerings and long-context tiers do not count).';

CREATE TABLE price_disagreements_tiered (
    provider_id       TEXT NOT NULL,
    provider_model_id TEXT NOT NULL,
    model_key         TEXT NOT NULL,
    price_type        TEXT NOT NULL,
    above_tokens      BIGINT NOT NULL DEFAULT 0,
    source_a          TEXT NOT NULL,
    source_b          TEXT NOT NULL,
    value_a           DOUBLE PRECISION NOT NULL,
    value_b           DOUBLE PRECISION NOT NULL,
    detected_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_id, provider_model_id, price_type, above_tokens, source_a, source_b)
);
INSERT INTO price_disagreements_tiered (provider_id, provider_model_id, model_key, price_type, above_tokens,
                                        source_a, source_b, value_a, value_b, detected_at)
SELECT provider_id, provider_model_id, model_key, price_type, 0, source_a, source_b, value_a, value_b, detected_at
FROM price_disagreements;
DROP TABLE price_disagreements;
ALTER TABLE price_disagreements_tiered RENAME TO price_disagreements;
COMMENT ON TABLE price_disagreements IS 'Current prices on which two sources differ by more than AISI_DISAGREEMENT_TOLERANCE (default 1 % of the higher value); replaced each publish.';
COMMENT ON COLUMN price_disagreements.above_tokens IS 'Long-context tier of the price (0 = base price).';
COMMENT ON COLUMN price_disagreements.source_a IS 'The first source of the pair (alphabetical order).';
COMMENT ON COLUMN price_disagreements.value_a IS 'source_a''s price, US dollars per 1M tokens.';
COMMENT ON COLUMN price_disagreements.value_b IS 'source_b''s price, US dollars per 1M tokens.';
COMMENT ON COLUMN price_disagreements.detected_at IS 'When this disagreement was first detected (it has lasted since, UTC).';
