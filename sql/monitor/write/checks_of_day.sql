-- One UTC day of probes, for the analysts' daily Parquet files.
SELECT * FROM availability_checks WHERE checked_at >= $day_start AND checked_at < $day_end ORDER BY checked_at, provider_id
