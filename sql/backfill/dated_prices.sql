-- Every dated price snapshot ($AISI_HOME/history/prices/date=YYYY-MM-DD/<source>.parquet),
-- in date order: the days a price history is built from. $files is the glob.
SELECT
    CAST(as_of AS DATE) AS as_of,
    provider_id,
    provider_model_id,
    model_key,
    price_type,
    CAST(usd_per_mtok AS DOUBLE) AS usd_per_mtok,
    source,
    source_kind,
    source_url,
    fetched_at
FROM read_parquet($files, union_by_name = true, hive_partitioning = false)
ORDER BY as_of, source, provider_id, provider_model_id, price_type
