-- Every dated price snapshot ($AISI_HOME/history/prices/date=YYYY-MM-DD/<source>.parquet),
-- in date order: the days a price history is built from. $files is the glob. Files written
-- before long-context tiers have no above_tokens column: their prices are base prices (0).
SELECT
    CAST(as_of AS DATE) AS as_of,
    provider_id,
    provider_model_id,
    model_key,
    price_type,
    CAST(coalesce(above_tokens, 0) AS BIGINT) AS above_tokens,
    CAST(usd_per_mtok AS DOUBLE) AS usd_per_mtok,
    source,
    source_kind,
    source_url,
    fetched_at
FROM (
    SELECT * FROM read_parquet($files, union_by_name = true, hive_partitioning = false)
    UNION ALL BY NAME SELECT CAST(NULL AS BIGINT) AS above_tokens WHERE false
) AS dated
ORDER BY as_of, source, provider_id, provider_model_id, price_type, above_tokens
