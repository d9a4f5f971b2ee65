-- depends: 0004_notifications
-- Rollups of the probes by hour and by day, so that uptime and latency over a day, a week or a
-- month read a few dozen rows per provider instead of every probe. Portable SQL: yoyo applies it
-- to PostgreSQL (schema `monitor`) once; the embedded DuckDB store runs it again whenever its
-- schema files changed (core/stores/monitor.py), hence IF NOT EXISTS, a backfill that does
-- nothing once there are rollups, and CREATE OR REPLACE.
--
-- availability_rollups holds, per span (an hour, span_s = 3600, and a day, span_s = 86400, both
-- in UTC), provider and probe, what an aggregate of that span's availability_checks rows gives.
-- Every check insert upserts its hour's and its day's rows in the same transaction
-- (write/upsert_rollups.sql); the retention deletes the rollups of the days whose checks it drops
-- (write/delete_rollups_before.sql). A rollup lives exactly as long as the checks it sums, so the
-- rollups and the raw checks always give the same counts.
--
-- Latency histogram: b000 .. b127 count the answered probes (up, with a latency) by bucket
-- k = floor(8 * log2(latency_ms)), clamped to 0 .. 127: bucket k holds [2^(k/8), 2^((k+1)/8)) ms,
-- eight buckets per doubling, each 9.05 % wide (b000 also takes latencies below 1 ms, b127 those
-- of 60.9 s and more). The 128 columns are spelled out wherever they are listed: here (the table
-- and the backfill), in write/upsert_rollups.sql and in the view below (a sum and an unpivot).
CREATE TABLE IF NOT EXISTS availability_rollups (
    span_s          INTEGER NOT NULL,
    span_start      TIMESTAMPTZ NOT NULL,
    provider_id     TEXT NOT NULL,
    probe           TEXT NOT NULL,
    checks          INTEGER NOT NULL,
    up_checks       INTEGER NOT NULL,
    latency_checks  INTEGER NOT NULL,
    latency_min_ms  DOUBLE PRECISION,
    latency_max_ms  DOUBLE PRECISION,
    last_checked_at TIMESTAMPTZ NOT NULL,
    b000 INTEGER NOT NULL, b001 INTEGER NOT NULL, b002 INTEGER NOT NULL, b003 INTEGER NOT NULL, b004 INTEGER NOT NULL, b005 INTEGER NOT NULL,
    b006 INTEGER NOT NULL, b007 INTEGER NOT NULL, b008 INTEGER NOT NULL, b009 INTEGER NOT NULL, b010 INTEGER NOT NULL, b011 INTEGER NOT NULL,
    b012 INTEGER NOT NULL, b013 INTEGER NOT NULL, b014 INTEGER NOT NULL, b015 INTEGER NOT NULL, b016 INTEGER NOT NULL, b017 INTEGER NOT NULL,
    b018 INTEGER NOT NULL, b019 INTEGER NOT NULL, b020 INTEGER NOT NULL, b021 INTEGER NOT NULL, b022 INTEGER NOT NULL, b023 INTEGER NOT NULL,
    b024 INTEGER NOT NULL, b025 INTEGER NOT NULL, b026 INTEGER NOT NULL, b027 INTEGER NOT NULL, b028 INTEGER NOT NULL, b029 INTEGER NOT NULL,
    b030 INTEGER NOT NULL, b031 INTEGER NOT NULL, b032 INTEGER NOT NULL, b033 INTEGER NOT NULL, b034 INTEGER NOT NULL, b035 INTEGER NOT NULL,
    b036 INTEGER NOT NULL, b037 INTEGER NOT NULL, b038 INTEGER NOT NULL, b039 INTEGER NOT NULL, b040 INTEGER NOT NULL, b041 INTEGER NOT NULL,
    b042 INTEGER NOT NULL, b043 INTEGER NOT NULL, b044 INTEGER NOT NULL, b045 INTEGER NOT NULL, b046 INTEGER NOT NULL, b047 INTEGER NOT NULL,
    b048 INTEGER NOT NULL, b049 INTEGER NOT NULL, b050 INTEGER NOT NULL, b051 INTEGER NOT NULL, b052 INTEGER NOT NULL, b053 INTEGER NOT NULL,
    b054 INTEGER NOT NULL, b055 INTEGER NOT NULL, b056 INTEGER NOT NULL, b057 INTEGER NOT NULL, b058 INTEGER NOT NULL, b059 INTEGER NOT NULL,
    b060 INTEGER NOT NULL, b061 INTEGER NOT NULL, b062 INTEGER NOT NULL, b063 INTEGER NOT NULL, b064 INTEGER NOT NULL, b065 INTEGER NOT NULL,
    b066 INTEGER NOT NULL, b067 INTEGER NOT NULL, b068 INTEGER NOT NULL, b069 INTEGER NOT NULL, b070 INTEGER NOT NULL, b071 INTEGER NOT NULL,
    b072 INTEGER NOT NULL, b073 INTEGER NOT NULL, b074 INTEGER NOT NULL, b075 INTEGER NOT NULL, b076 INTEGER NOT NULL, b077 INTEGER NOT NULL,
    b078 INTEGER NOT NULL, b079 INTEGER NOT NULL, b080 INTEGER NOT NULL, b081 INTEGER NOT NULL, b082 INTEGER NOT NULL, b083 INTEGER NOT NULL,
    b084 INTEGER NOT NULL, b085 INTEGER NOT NULL, b086 INTEGER NOT NULL, b087 INTEGER NOT NULL, b088 INTEGER NOT NULL, b089 INTEGER NOT NULL,
    b090 INTEGER NOT NULL, b091 INTEGER NOT NULL, b092 INTEGER NOT NULL, b093 INTEGER NOT NULL, b094 INTEGER NOT NULL, b095 INTEGER NOT NULL,
    b096 INTEGER NOT NULL, b097 INTEGER NOT NULL, b098 INTEGER NOT NULL, b099 INTEGER NOT NULL, b100 INTEGER NOT NULL, b101 INTEGER NOT NULL,
    b102 INTEGER NOT NULL, b103 INTEGER NOT NULL, b104 INTEGER NOT NULL, b105 INTEGER NOT NULL, b106 INTEGER NOT NULL, b107 INTEGER NOT NULL,
    b108 INTEGER NOT NULL, b109 INTEGER NOT NULL, b110 INTEGER NOT NULL, b111 INTEGER NOT NULL, b112 INTEGER NOT NULL, b113 INTEGER NOT NULL,
    b114 INTEGER NOT NULL, b115 INTEGER NOT NULL, b116 INTEGER NOT NULL, b117 INTEGER NOT NULL, b118 INTEGER NOT NULL, b119 INTEGER NOT NULL,
    b120 INTEGER NOT NULL, b121 INTEGER NOT NULL, b122 INTEGER NOT NULL, b123 INTEGER NOT NULL, b124 INTEGER NOT NULL, b125 INTEGER NOT NULL,
    b126 INTEGER NOT NULL, b127 INTEGER NOT NULL,
    PRIMARY KEY (span_s, span_start, provider_id, probe)
);

COMMENT ON TABLE availability_rollups IS 'availability_checks summed per UTC hour and per UTC day, provider and probe: upserted with every check, deleted with the checks of its day.';
COMMENT ON COLUMN availability_rollups.span_s IS '3600 (an hour) or 86400 (a day): the rollup covers checked_at in [span_start, span_start + span_s seconds).';
COMMENT ON COLUMN availability_rollups.up_checks IS 'Probes the provider answered (up).';
COMMENT ON COLUMN availability_rollups.latency_checks IS 'Answered probes with a latency: the population of the latency percentiles, the sum of b000 .. b127.';
COMMENT ON COLUMN availability_rollups.latency_min_ms IS 'The lowest latency of an answered probe; NULL when none.';
COMMENT ON COLUMN availability_rollups.latency_max_ms IS 'The highest latency of an answered probe; NULL when none.';
COMMENT ON COLUMN availability_rollups.b000 IS 'Histogram of the answered probes'' latencies: column bK counts latency_ms in [2^(K/8), 2^((K+1)/8)), K = 0 .. 127 (b000 also below 1 ms, b127 also above).';

-- The one-time backfill from the checks already there (the embedded store: while it has no rollup).
-- The hours first: the checks counted per hour and latency bucket, then those counts spread into
-- the bucket columns (far fewer rows to spread than checks). Then the days, from the hours.
INSERT INTO availability_rollups (span_s, span_start, provider_id, probe, checks, up_checks, latency_checks, latency_min_ms,
                                  latency_max_ms, last_checked_at,
        b000, b001, b002, b003, b004, b005, b006, b007, b008, b009, b010, b011, b012, b013, b014, b015,
        b016, b017, b018, b019, b020, b021, b022, b023, b024, b025, b026, b027, b028, b029, b030, b031,
        b032, b033, b034, b035, b036, b037, b038, b039, b040, b041, b042, b043, b044, b045, b046, b047,
        b048, b049, b050, b051, b052, b053, b054, b055, b056, b057, b058, b059, b060, b061, b062, b063,
        b064, b065, b066, b067, b068, b069, b070, b071, b072, b073, b074, b075, b076, b077, b078, b079,
        b080, b081, b082, b083, b084, b085, b086, b087, b088, b089, b090, b091, b092, b093, b094, b095,
        b096, b097, b098, b099, b100, b101, b102, b103, b104, b105, b106, b107, b108, b109, b110, b111,
        b112, b113, b114, b115, b116, b117, b118, b119, b120, b121, b122, b123, b124, b125, b126, b127)
SELECT 3600, span_start, provider_id, probe, sum(n), sum(up_n), coalesce(sum(n) FILTER (WHERE bucket IS NOT NULL), 0),
       min(latency_min_ms) FILTER (WHERE bucket IS NOT NULL), max(latency_max_ms) FILTER (WHERE bucket IS NOT NULL),
       max(last_checked_at),
       sum(CASE bucket WHEN 0 THEN n ELSE 0 END), sum(CASE bucket WHEN 1 THEN n ELSE 0 END), sum(CASE bucket WHEN 2 THEN n ELSE 0 END), sum(CASE bucket WHEN 3 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 4 THEN n ELSE 0 END), sum(CASE bucket WHEN 5 THEN n ELSE 0 END), sum(CASE bucket WHEN 6 THEN n ELSE 0 END), sum(CASE bucket WHEN 7 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 8 THEN n ELSE 0 END), sum(CASE bucket WHEN 9 THEN n ELSE 0 END), sum(CASE bucket WHEN 10 THEN n ELSE 0 END), sum(CASE bucket WHEN 11 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 12 THEN n ELSE 0 END), sum(CASE bucket WHEN 13 THEN n ELSE 0 END), sum(CASE bucket WHEN 14 THEN n ELSE 0 END), sum(CASE bucket WHEN 15 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 16 THEN n ELSE 0 END), sum(CASE bucket WHEN 17 THEN n ELSE 0 END), sum(CASE bucket WHEN 18 THEN n ELSE 0 END), sum(CASE bucket WHEN 19 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 20 THEN n ELSE 0 END), sum(CASE bucket WHEN 21 THEN n ELSE 0 END), sum(CASE bucket WHEN 22 THEN n ELSE 0 END), sum(CASE bucket WHEN 23 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 24 THEN n ELSE 0 END), sum(CASE bucket WHEN 25 THEN n ELSE 0 END), sum(CASE bucket WHEN 26 THEN n ELSE 0 END), sum(CASE bucket WHEN 27 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 28 THEN n ELSE 0 END), sum(CASE bucket WHEN 29 THEN n ELSE 0 END), sum(CASE bucket WHEN 30 THEN n ELSE 0 END), sum(CASE bucket WHEN 31 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 32 THEN n ELSE 0 END), sum(CASE bucket WHEN 33 THEN n ELSE 0 END), sum(CASE bucket WHEN 34 THEN n ELSE 0 END), sum(CASE bucket WHEN 35 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 36 THEN n ELSE 0 END), sum(CASE bucket WHEN 37 THEN n ELSE 0 END), sum(CASE bucket WHEN 38 THEN n ELSE 0 END), sum(CASE bucket WHEN 39 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 40 THEN n ELSE 0 END), sum(CASE bucket WHEN 41 THEN n ELSE 0 END), sum(CASE bucket WHEN 42 THEN n ELSE 0 END), sum(CASE bucket WHEN 43 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 44 THEN n ELSE 0 END), sum(CASE bucket WHEN 45 THEN n ELSE 0 END), sum(CASE bucket WHEN 46 THEN n ELSE 0 END), sum(CASE bucket WHEN 47 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 48 THEN n ELSE 0 END), sum(CASE bucket WHEN 49 THEN n ELSE 0 END), sum(CASE bucket WHEN 50 THEN n ELSE 0 END), sum(CASE bucket WHEN 51 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 52 THEN n ELSE 0 END), sum(CASE bucket WHEN 53 THEN n ELSE 0 END), sum(CASE bucket WHEN 54 THEN n ELSE 0 END), sum(CASE bucket WHEN 55 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 56 THEN n ELSE 0 END), sum(CASE bucket WHEN 57 THEN n ELSE 0 END), sum(CASE bucket WHEN 58 THEN n ELSE 0 END), sum(CASE bucket WHEN 59 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 60 THEN n ELSE 0 END), sum(CASE bucket WHEN 61 THEN n ELSE 0 END), sum(CASE bucket WHEN 62 THEN n ELSE 0 END), sum(CASE bucket WHEN 63 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 64 THEN n ELSE 0 END), sum(CASE bucket WHEN 65 THEN n ELSE 0 END), sum(CASE bucket WHEN 66 THEN n ELSE 0 END), sum(CASE bucket WHEN 67 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 68 THEN n ELSE 0 END), sum(CASE bucket WHEN 69 THEN n ELSE 0 END), sum(CASE bucket WHEN 70 THEN n ELSE 0 END), sum(CASE bucket WHEN 71 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 72 THEN n ELSE 0 END), sum(CASE bucket WHEN 73 THEN n ELSE 0 END), sum(CASE bucket WHEN 74 THEN n ELSE 0 END), sum(CASE bucket WHEN 75 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 76 THEN n ELSE 0 END), sum(CASE bucket WHEN 77 THEN n ELSE 0 END), sum(CASE bucket WHEN 78 THEN n ELSE 0 END), sum(CASE bucket WHEN 79 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 80 THEN n ELSE 0 END), sum(CASE bucket WHEN 81 THEN n ELSE 0 END), sum(CASE bucket WHEN 82 THEN n ELSE 0 END), sum(CASE bucket WHEN 83 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 84 THEN n ELSE 0 END), sum(CASE bucket WHEN 85 THEN n ELSE 0 END), sum(CASE bucket WHEN 86 THEN n ELSE 0 END), sum(CASE bucket WHEN 87 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 88 THEN n ELSE 0 END), sum(CASE bucket WHEN 89 THEN n ELSE 0 END), sum(CASE bucket WHEN 90 THEN n ELSE 0 END), sum(CASE bucket WHEN 91 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 92 THEN n ELSE 0 END), sum(CASE bucket WHEN 93 THEN n ELSE 0 END), sum(CASE bucket WHEN 94 THEN n ELSE 0 END), sum(CASE bucket WHEN 95 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 96 THEN n ELSE 0 END), sum(CASE bucket WHEN 97 THEN n ELSE 0 END), sum(CASE bucket WHEN 98 THEN n ELSE 0 END), sum(CASE bucket WHEN 99 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 100 THEN n ELSE 0 END), sum(CASE bucket WHEN 101 THEN n ELSE 0 END), sum(CASE bucket WHEN 102 THEN n ELSE 0 END), sum(CASE bucket WHEN 103 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 104 THEN n ELSE 0 END), sum(CASE bucket WHEN 105 THEN n ELSE 0 END), sum(CASE bucket WHEN 106 THEN n ELSE 0 END), sum(CASE bucket WHEN 107 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 108 THEN n ELSE 0 END), sum(CASE bucket WHEN 109 THEN n ELSE 0 END), sum(CASE bucket WHEN 110 THEN n ELSE 0 END), sum(CASE bucket WHEN 111 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 112 THEN n ELSE 0 END), sum(CASE bucket WHEN 113 THEN n ELSE 0 END), sum(CASE bucket WHEN 114 THEN n ELSE 0 END), sum(CASE bucket WHEN 115 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 116 THEN n ELSE 0 END), sum(CASE bucket WHEN 117 THEN n ELSE 0 END), sum(CASE bucket WHEN 118 THEN n ELSE 0 END), sum(CASE bucket WHEN 119 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 120 THEN n ELSE 0 END), sum(CASE bucket WHEN 121 THEN n ELSE 0 END), sum(CASE bucket WHEN 122 THEN n ELSE 0 END), sum(CASE bucket WHEN 123 THEN n ELSE 0 END),
       sum(CASE bucket WHEN 124 THEN n ELSE 0 END), sum(CASE bucket WHEN 125 THEN n ELSE 0 END), sum(CASE bucket WHEN 126 THEN n ELSE 0 END), sum(CASE bucket WHEN 127 THEN n ELSE 0 END)
FROM (
    SELECT span_start, provider_id, probe, bucket, count(*) AS n, count(*) FILTER (WHERE up) AS up_n,
           min(latency_ms) AS latency_min_ms, max(latency_ms) AS latency_max_ms, max(checked_at) AS last_checked_at
    FROM (
        SELECT to_timestamp(floor(extract(epoch FROM checked_at) / 3600) * 3600) AS span_start,
               provider_id, probe, checked_at, up, latency_ms,
               CASE WHEN up AND latency_ms IS NOT NULL
                    THEN least(greatest(CAST(floor(8 * ln(greatest(latency_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127) END AS bucket
        FROM availability_checks
        WHERE NOT EXISTS (SELECT 1 FROM availability_rollups)
    ) checks
    GROUP BY span_start, provider_id, probe, bucket
) counted
GROUP BY span_start, provider_id, probe;

INSERT INTO availability_rollups (span_s, span_start, provider_id, probe, checks, up_checks, latency_checks, latency_min_ms,
                                  latency_max_ms, last_checked_at,
        b000, b001, b002, b003, b004, b005, b006, b007, b008, b009, b010, b011, b012, b013, b014, b015,
        b016, b017, b018, b019, b020, b021, b022, b023, b024, b025, b026, b027, b028, b029, b030, b031,
        b032, b033, b034, b035, b036, b037, b038, b039, b040, b041, b042, b043, b044, b045, b046, b047,
        b048, b049, b050, b051, b052, b053, b054, b055, b056, b057, b058, b059, b060, b061, b062, b063,
        b064, b065, b066, b067, b068, b069, b070, b071, b072, b073, b074, b075, b076, b077, b078, b079,
        b080, b081, b082, b083, b084, b085, b086, b087, b088, b089, b090, b091, b092, b093, b094, b095,
        b096, b097, b098, b099, b100, b101, b102, b103, b104, b105, b106, b107, b108, b109, b110, b111,
        b112, b113, b114, b115, b116, b117, b118, b119, b120, b121, b122, b123, b124, b125, b126, b127)
SELECT 86400, to_timestamp(floor(extract(epoch FROM span_start) / 86400) * 86400) AS day_start, provider_id, probe,
       sum(checks), sum(up_checks), sum(latency_checks), min(latency_min_ms), max(latency_max_ms), max(last_checked_at),
       sum(b000), sum(b001), sum(b002), sum(b003), sum(b004), sum(b005), sum(b006), sum(b007), sum(b008), sum(b009), sum(b010), sum(b011),
       sum(b012), sum(b013), sum(b014), sum(b015), sum(b016), sum(b017), sum(b018), sum(b019), sum(b020), sum(b021), sum(b022), sum(b023),
       sum(b024), sum(b025), sum(b026), sum(b027), sum(b028), sum(b029), sum(b030), sum(b031), sum(b032), sum(b033), sum(b034), sum(b035),
       sum(b036), sum(b037), sum(b038), sum(b039), sum(b040), sum(b041), sum(b042), sum(b043), sum(b044), sum(b045), sum(b046), sum(b047),
       sum(b048), sum(b049), sum(b050), sum(b051), sum(b052), sum(b053), sum(b054), sum(b055), sum(b056), sum(b057), sum(b058), sum(b059),
       sum(b060), sum(b061), sum(b062), sum(b063), sum(b064), sum(b065), sum(b066), sum(b067), sum(b068), sum(b069), sum(b070), sum(b071),
       sum(b072), sum(b073), sum(b074), sum(b075), sum(b076), sum(b077), sum(b078), sum(b079), sum(b080), sum(b081), sum(b082), sum(b083),
       sum(b084), sum(b085), sum(b086), sum(b087), sum(b088), sum(b089), sum(b090), sum(b091), sum(b092), sum(b093), sum(b094), sum(b095),
       sum(b096), sum(b097), sum(b098), sum(b099), sum(b100), sum(b101), sum(b102), sum(b103), sum(b104), sum(b105), sum(b106), sum(b107),
       sum(b108), sum(b109), sum(b110), sum(b111), sum(b112), sum(b113), sum(b114), sum(b115), sum(b116), sum(b117), sum(b118), sum(b119),
       sum(b120), sum(b121), sum(b122), sum(b123), sum(b124), sum(b125), sum(b126), sum(b127)
FROM availability_rollups
WHERE span_s = 3600 AND NOT EXISTS (SELECT 1 FROM availability_rollups WHERE span_s = 86400)
GROUP BY day_start, provider_id, probe;

-- Uptime and latency per provider over the last 1 h, 24 h, 7 d and 30 d (listing probes), the same
-- answers as 0003_views.sql gave from the raw checks: uptime_pct is the share of probes answered,
-- p50_ms / p95_ms the percentiles (percentile_cont) of the answered probes' latencies.
--
-- A period, checked_at > now - period (no end, as before), is read in three parts: the raw checks
-- of its partial first hour (edge), up to first_full_hour; the hourly rollups from there to the
-- next UTC midnight, first_full_day; the daily rollups from there on, today's included (spans).
-- So at most an hour of raw checks, 23 hourly and 31 daily rollups per provider and period:
-- checks, up_checks and last_checked_at are exact.
--
-- The percentiles are exact (percentile_cont over the raw checks, as before) for a period with
-- at most 200 answered probes, which cost little to read (exact_latency). Above that they are
-- estimated from the histogram (estimated): percentile_cont interpolates between the values of
-- two ranks; for each, the estimate finds the bucket holding that rank, spreads the bucket's n
-- values evenly across it (on the log scale) and keeps the value within the period's lowest and
-- highest latency. Each estimated value lies in the same bucket as the exact one, so an estimated
-- percentile is within 9.05 % of the exact one (below 1 ms and from 60.9 s: within the period's
-- lowest and highest latency only), and much closer on the thousands of probes a day or more
-- holds (benchmarks/availability.py prints the largest difference).
CREATE OR REPLACE VIEW availability_uptime AS
WITH periods (period, seconds) AS (
    VALUES ('1h', 3600), ('24h', 86400), ('7d', 604800), ('30d', 2592000)
),
hour_bounds AS (
    SELECT period,
           now() - seconds * INTERVAL '1 second' AS window_start,
           to_timestamp(floor(extract(epoch FROM now()) / 3600) * 3600 - seconds + 3600) AS first_full_hour
    FROM periods
),
bounds AS (
    SELECT period, window_start, first_full_hour,
           to_timestamp(ceil(extract(epoch FROM first_full_hour) / 86400) * 86400) AS first_full_day
    FROM hour_bounds
),
edge_checks AS (
    -- the raw checks of each period's partial first hour, (window_start, first_full_hour); the four
    -- ranges holding them, [now - period, now - period + 1 hour], are spelled out from now() too,
    -- so that both stores skip all else before reading: PostgreSQL prunes the day partitions and
    -- reads through the index on the checks' time (migration 0006), DuckDB skips row groups
    SELECT b.period, c.provider_id, c.checked_at, c.up, c.latency_ms
    FROM availability_checks c
    JOIN bounds b ON c.checked_at > b.window_start AND c.checked_at < b.first_full_hour
    WHERE c.probe = 'listing'
      AND (c.checked_at BETWEEN now() - INTERVAL '1 hour' AND now()
        OR c.checked_at BETWEEN now() - INTERVAL '24 hours' AND now() - INTERVAL '23 hours'
        OR c.checked_at BETWEEN now() - INTERVAL '7 days' AND now() - INTERVAL '7 days' + INTERVAL '1 hour'
        OR c.checked_at BETWEEN now() - INTERVAL '30 days' AND now() - INTERVAL '30 days' + INTERVAL '1 hour')
),
edge AS (
    SELECT period, provider_id, checked_at, up, latency_ms,
           CASE WHEN up AND latency_ms IS NOT NULL
                THEN least(greatest(CAST(floor(8 * ln(greatest(latency_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127) END AS bucket
    FROM edge_checks
),
spans AS (
    -- the rollups a period reads: hours from first_full_hour to first_full_day, days from there on
    SELECT period, 3600 AS span_s, first_full_hour AS span_from, first_full_day AS span_to FROM bounds
    UNION ALL
    SELECT period, 86400, first_full_day, CAST('infinity' AS TIMESTAMPTZ) FROM bounds
),
summed AS (
    -- per period and provider. The rollups any period can read are spelled out from now() too, so
    -- that the stores skip the others before reading (PostgreSQL through the primary key): days
    -- from 30 days ago on, and hours within a day after the start of a period
    SELECT s.period, r.provider_id,
           sum(r.checks) AS checks, sum(r.up_checks) AS up_checks, sum(r.latency_checks) AS latency_checks,
           min(r.latency_min_ms) AS latency_min_ms, max(r.latency_max_ms) AS latency_max_ms, max(r.last_checked_at) AS last_checked_at,
           sum(r.b000) AS b000, sum(r.b001) AS b001, sum(r.b002) AS b002, sum(r.b003) AS b003, sum(r.b004) AS b004, sum(r.b005) AS b005, sum(r.b006) AS b006, sum(r.b007) AS b007,
           sum(r.b008) AS b008, sum(r.b009) AS b009, sum(r.b010) AS b010, sum(r.b011) AS b011, sum(r.b012) AS b012, sum(r.b013) AS b013, sum(r.b014) AS b014, sum(r.b015) AS b015,
           sum(r.b016) AS b016, sum(r.b017) AS b017, sum(r.b018) AS b018, sum(r.b019) AS b019, sum(r.b020) AS b020, sum(r.b021) AS b021, sum(r.b022) AS b022, sum(r.b023) AS b023,
           sum(r.b024) AS b024, sum(r.b025) AS b025, sum(r.b026) AS b026, sum(r.b027) AS b027, sum(r.b028) AS b028, sum(r.b029) AS b029, sum(r.b030) AS b030, sum(r.b031) AS b031,
           sum(r.b032) AS b032, sum(r.b033) AS b033, sum(r.b034) AS b034, sum(r.b035) AS b035, sum(r.b036) AS b036, sum(r.b037) AS b037, sum(r.b038) AS b038, sum(r.b039) AS b039,
           sum(r.b040) AS b040, sum(r.b041) AS b041, sum(r.b042) AS b042, sum(r.b043) AS b043, sum(r.b044) AS b044, sum(r.b045) AS b045, sum(r.b046) AS b046, sum(r.b047) AS b047,
           sum(r.b048) AS b048, sum(r.b049) AS b049, sum(r.b050) AS b050, sum(r.b051) AS b051, sum(r.b052) AS b052, sum(r.b053) AS b053, sum(r.b054) AS b054, sum(r.b055) AS b055,
           sum(r.b056) AS b056, sum(r.b057) AS b057, sum(r.b058) AS b058, sum(r.b059) AS b059, sum(r.b060) AS b060, sum(r.b061) AS b061, sum(r.b062) AS b062, sum(r.b063) AS b063,
           sum(r.b064) AS b064, sum(r.b065) AS b065, sum(r.b066) AS b066, sum(r.b067) AS b067, sum(r.b068) AS b068, sum(r.b069) AS b069, sum(r.b070) AS b070, sum(r.b071) AS b071,
           sum(r.b072) AS b072, sum(r.b073) AS b073, sum(r.b074) AS b074, sum(r.b075) AS b075, sum(r.b076) AS b076, sum(r.b077) AS b077, sum(r.b078) AS b078, sum(r.b079) AS b079,
           sum(r.b080) AS b080, sum(r.b081) AS b081, sum(r.b082) AS b082, sum(r.b083) AS b083, sum(r.b084) AS b084, sum(r.b085) AS b085, sum(r.b086) AS b086, sum(r.b087) AS b087,
           sum(r.b088) AS b088, sum(r.b089) AS b089, sum(r.b090) AS b090, sum(r.b091) AS b091, sum(r.b092) AS b092, sum(r.b093) AS b093, sum(r.b094) AS b094, sum(r.b095) AS b095,
           sum(r.b096) AS b096, sum(r.b097) AS b097, sum(r.b098) AS b098, sum(r.b099) AS b099, sum(r.b100) AS b100, sum(r.b101) AS b101, sum(r.b102) AS b102, sum(r.b103) AS b103,
           sum(r.b104) AS b104, sum(r.b105) AS b105, sum(r.b106) AS b106, sum(r.b107) AS b107, sum(r.b108) AS b108, sum(r.b109) AS b109, sum(r.b110) AS b110, sum(r.b111) AS b111,
           sum(r.b112) AS b112, sum(r.b113) AS b113, sum(r.b114) AS b114, sum(r.b115) AS b115, sum(r.b116) AS b116, sum(r.b117) AS b117, sum(r.b118) AS b118, sum(r.b119) AS b119,
           sum(r.b120) AS b120, sum(r.b121) AS b121, sum(r.b122) AS b122, sum(r.b123) AS b123, sum(r.b124) AS b124, sum(r.b125) AS b125, sum(r.b126) AS b126, sum(r.b127) AS b127
    FROM availability_rollups r
    JOIN spans s ON r.span_s = s.span_s AND r.span_start >= s.span_from AND r.span_start < s.span_to
    WHERE r.probe = 'listing'
      AND ((r.span_s = 86400 AND r.span_start > now() - INTERVAL '30 days')
        OR (r.span_s = 3600 AND (r.span_start BETWEEN now() - INTERVAL '1 hour' AND now() + INTERVAL '1 day'
                              OR r.span_start BETWEEN now() - INTERVAL '24 hours' AND now()
                              OR r.span_start BETWEEN now() - INTERVAL '7 days' AND now() - INTERVAL '6 days'
                              OR r.span_start BETWEEN now() - INTERVAL '30 days' AND now() - INTERVAL '29 days')))
    GROUP BY s.period, r.provider_id
),
totals AS (
    -- per period and provider; exact_latency: few enough answered probes to read them raw
    SELECT period, provider_id, sum(checks) AS checks, sum(up_checks) AS up_checks, sum(latency_checks) AS latency_checks,
           min(latency_min_ms) AS latency_min_ms, max(latency_max_ms) AS latency_max_ms, max(last_checked_at) AS last_checked_at,
           sum(latency_checks) <= 200 AS exact_latency
    FROM (
        SELECT period, provider_id, checks, up_checks, latency_checks, latency_min_ms, latency_max_ms, last_checked_at
        FROM summed
        UNION ALL
        SELECT period, provider_id, count(*), count(*) FILTER (WHERE up), count(bucket),
               min(latency_ms) FILTER (WHERE bucket IS NOT NULL), max(latency_ms) FILTER (WHERE bucket IS NOT NULL), max(checked_at)
        FROM edge
        GROUP BY period, provider_id
    ) parts
    GROUP BY period, provider_id
),
exact AS (
    -- per provider, through its index (provider_id, checked_at) in PostgreSQL
    SELECT t.period, t.provider_id, x.latency
    FROM totals t
    JOIN bounds b ON b.period = t.period
    CROSS JOIN LATERAL (
        -- both percentiles from one sort
        SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY c.latency_ms) AS latency
        FROM availability_checks c
        WHERE c.provider_id = t.provider_id AND c.probe = 'listing' AND c.up AND c.checked_at > b.window_start
    ) x
    WHERE t.exact_latency AND t.latency_checks > 0
),
histogram AS (
    -- the answered probes by latency bucket: how many (n), and how many in the buckets below (below)
    SELECT period, provider_id, bucket, n, sum(n) OVER (PARTITION BY period, provider_id ORDER BY bucket) - n AS below
    FROM (
        SELECT period, provider_id, bucket, CAST(sum(n) AS BIGINT) AS n
        FROM (
            SELECT s.period, s.provider_id, k.bucket,
                   CASE k.bucket
                       WHEN 0 THEN s.b000 WHEN 1 THEN s.b001 WHEN 2 THEN s.b002 WHEN 3 THEN s.b003 WHEN 4 THEN s.b004 WHEN 5 THEN s.b005
                       WHEN 6 THEN s.b006 WHEN 7 THEN s.b007 WHEN 8 THEN s.b008 WHEN 9 THEN s.b009 WHEN 10 THEN s.b010 WHEN 11 THEN s.b011
                       WHEN 12 THEN s.b012 WHEN 13 THEN s.b013 WHEN 14 THEN s.b014 WHEN 15 THEN s.b015 WHEN 16 THEN s.b016 WHEN 17 THEN s.b017
                       WHEN 18 THEN s.b018 WHEN 19 THEN s.b019 WHEN 20 THEN s.b020 WHEN 21 THEN s.b021 WHEN 22 THEN s.b022 WHEN 23 THEN s.b023
                       WHEN 24 THEN s.b024 WHEN 25 THEN s.b025 WHEN 26 THEN s.b026 WHEN 27 THEN s.b027 WHEN 28 THEN s.b028 WHEN 29 THEN s.b029
                       WHEN 30 THEN s.b030 WHEN 31 THEN s.b031 WHEN 32 THEN s.b032 WHEN 33 THEN s.b033 WHEN 34 THEN s.b034 WHEN 35 THEN s.b035
                       WHEN 36 THEN s.b036 WHEN 37 THEN s.b037 WHEN 38 THEN s.b038 WHEN 39 THEN s.b039 WHEN 40 THEN s.b040 WHEN 41 THEN s.b041
                       WHEN 42 THEN s.b042 WHEN 43 THEN s.b043 WHEN 44 THEN s.b044 WHEN 45 THEN s.b045 WHEN 46 THEN s.b046 WHEN 47 THEN s.b047
                       WHEN 48 THEN s.b048 WHEN 49 THEN s.b049 WHEN 50 THEN s.b050 WHEN 51 THEN s.b051 WHEN 52 THEN s.b052 WHEN 53 THEN s.b053
                       WHEN 54 THEN s.b054 WHEN 55 THEN s.b055 WHEN 56 THEN s.b056 WHEN 57 THEN s.b057 WHEN 58 THEN s.b058 WHEN 59 THEN s.b059
                       WHEN 60 THEN s.b060 WHEN 61 THEN s.b061 WHEN 62 THEN s.b062 WHEN 63 THEN s.b063 WHEN 64 THEN s.b064 WHEN 65 THEN s.b065
                       WHEN 66 THEN s.b066 WHEN 67 THEN s.b067 WHEN 68 THEN s.b068 WHEN 69 THEN s.b069 WHEN 70 THEN s.b070 WHEN 71 THEN s.b071
                       WHEN 72 THEN s.b072 WHEN 73 THEN s.b073 WHEN 74 THEN s.b074 WHEN 75 THEN s.b075 WHEN 76 THEN s.b076 WHEN 77 THEN s.b077
                       WHEN 78 THEN s.b078 WHEN 79 THEN s.b079 WHEN 80 THEN s.b080 WHEN 81 THEN s.b081 WHEN 82 THEN s.b082 WHEN 83 THEN s.b083
                       WHEN 84 THEN s.b084 WHEN 85 THEN s.b085 WHEN 86 THEN s.b086 WHEN 87 THEN s.b087 WHEN 88 THEN s.b088 WHEN 89 THEN s.b089
                       WHEN 90 THEN s.b090 WHEN 91 THEN s.b091 WHEN 92 THEN s.b092 WHEN 93 THEN s.b093 WHEN 94 THEN s.b094 WHEN 95 THEN s.b095
                       WHEN 96 THEN s.b096 WHEN 97 THEN s.b097 WHEN 98 THEN s.b098 WHEN 99 THEN s.b099 WHEN 100 THEN s.b100 WHEN 101 THEN s.b101
                       WHEN 102 THEN s.b102 WHEN 103 THEN s.b103 WHEN 104 THEN s.b104 WHEN 105 THEN s.b105 WHEN 106 THEN s.b106 WHEN 107 THEN s.b107
                       WHEN 108 THEN s.b108 WHEN 109 THEN s.b109 WHEN 110 THEN s.b110 WHEN 111 THEN s.b111 WHEN 112 THEN s.b112 WHEN 113 THEN s.b113
                       WHEN 114 THEN s.b114 WHEN 115 THEN s.b115 WHEN 116 THEN s.b116 WHEN 117 THEN s.b117 WHEN 118 THEN s.b118 WHEN 119 THEN s.b119
                       WHEN 120 THEN s.b120 WHEN 121 THEN s.b121 WHEN 122 THEN s.b122 WHEN 123 THEN s.b123 WHEN 124 THEN s.b124 WHEN 125 THEN s.b125
                       WHEN 126 THEN s.b126 WHEN 127 THEN s.b127
                   END AS n
            FROM summed s
            -- only the buckets from the lowest latency's to the highest's can hold any
            JOIN generate_series(0, 127) AS k (bucket)
              ON k.bucket BETWEEN least(greatest(CAST(floor(8 * ln(greatest(s.latency_min_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127)
                              AND least(greatest(CAST(floor(8 * ln(greatest(s.latency_max_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127)
            UNION ALL
            SELECT period, provider_id, bucket, count(*)
            FROM edge
            WHERE bucket IS NOT NULL
            GROUP BY period, provider_id, bucket
        ) counted
        GROUP BY period, provider_id, bucket
        HAVING sum(n) > 0
    ) buckets
),
ranks AS (
    -- percentile_cont(f) over n values: position f * (n - 1), between the 0-based ranks floor and ceil
    SELECT t.period, t.provider_id, f.fraction, f.fraction * (t.latency_checks - 1) AS position,
           t.latency_min_ms, t.latency_max_ms
    FROM totals t
    CROSS JOIN (VALUES (CAST(0.5 AS DOUBLE PRECISION)), (CAST(0.95 AS DOUBLE PRECISION))) AS f (fraction)
    WHERE NOT t.exact_latency
),
rank_ends AS (
    SELECT period, provider_id, fraction, position, floor(position) AS rank, latency_min_ms, latency_max_ms FROM ranks
    UNION ALL
    SELECT period, provider_id, fraction, position, ceil(position), latency_min_ms, latency_max_ms FROM ranks
),
rank_values AS (
    -- each rank's value: its bucket's n values spread evenly across the bucket (on the log scale),
    -- kept within the period's lowest and highest latency
    SELECT r.period, r.provider_id, r.fraction, r.position,
           least(greatest(exp(ln(2.0) * (h.bucket + (r.rank - h.below + 0.5) / h.n) / 8), r.latency_min_ms),
                 r.latency_max_ms) AS value
    FROM rank_ends r
    JOIN histogram h ON h.period = r.period AND h.provider_id = r.provider_id AND h.below <= r.rank AND r.rank < h.below + h.n
),
estimated AS (
    -- the lower rank's value, then the interpolation towards the upper one's
    SELECT period, provider_id,
           max(value) FILTER (WHERE fraction = 0.5) AS p50_ms,
           max(value) FILTER (WHERE fraction = 0.95) AS p95_ms
    FROM (
        SELECT period, provider_id, fraction, min(value) + (max(value) - min(value)) * (position - floor(position)) AS value
        FROM rank_values
        GROUP BY period, provider_id, fraction, position
    ) interpolated
    GROUP BY period, provider_id
)
SELECT t.provider_id, t.period,
       CAST(t.checks AS BIGINT) AS checks,
       CAST(t.up_checks AS BIGINT) AS up_checks,
       round(100.0 * CAST(t.up_checks AS BIGINT) / CAST(t.checks AS BIGINT), 3) AS uptime_pct,
       coalesce(x.latency[1], e.p50_ms) AS p50_ms,
       coalesce(x.latency[2], e.p95_ms) AS p95_ms,
       t.last_checked_at
FROM totals t
LEFT JOIN exact x ON x.period = t.period AND x.provider_id = t.provider_id
LEFT JOIN estimated e ON e.period = t.period AND e.provider_id = t.provider_id;
