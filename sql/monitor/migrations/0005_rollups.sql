-- depends: 0004_notifications
-- Rollups of the probes by hour and by day, so that uptime and latency over a day, a week or a
-- month read a few dozen rows per provider instead of every probe. Portable SQL: yoyo applies it
-- to PostgreSQL (schema `monitor`) once; the embedded DuckDB store runs it on every open, hence
-- IF NOT EXISTS, a backfill that does nothing once the table has rows, and CREATE OR REPLACE.
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

-- The one-time backfill from the checks already there (the embedded store: while the table is empty).
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
SELECT span_s, span_start, provider_id, probe, count(*), count(*) FILTER (WHERE up), count(bucket),
       min(latency_ms) FILTER (WHERE bucket IS NOT NULL), max(latency_ms) FILTER (WHERE bucket IS NOT NULL), max(checked_at),
       count(*) FILTER (WHERE bucket = 0), count(*) FILTER (WHERE bucket = 1), count(*) FILTER (WHERE bucket = 2), count(*) FILTER (WHERE bucket = 3),
       count(*) FILTER (WHERE bucket = 4), count(*) FILTER (WHERE bucket = 5), count(*) FILTER (WHERE bucket = 6), count(*) FILTER (WHERE bucket = 7),
       count(*) FILTER (WHERE bucket = 8), count(*) FILTER (WHERE bucket = 9), count(*) FILTER (WHERE bucket = 10), count(*) FILTER (WHERE bucket = 11),
       count(*) FILTER (WHERE bucket = 12), count(*) FILTER (WHERE bucket = 13), count(*) FILTER (WHERE bucket = 14), count(*) FILTER (WHERE bucket = 15),
       count(*) FILTER (WHERE bucket = 16), count(*) FILTER (WHERE bucket = 17), count(*) FILTER (WHERE bucket = 18), count(*) FILTER (WHERE bucket = 19),
       count(*) FILTER (WHERE bucket = 20), count(*) FILTER (WHERE bucket = 21), count(*) FILTER (WHERE bucket = 22), count(*) FILTER (WHERE bucket = 23),
       count(*) FILTER (WHERE bucket = 24), count(*) FILTER (WHERE bucket = 25), count(*) FILTER (WHERE bucket = 26), count(*) FILTER (WHERE bucket = 27),
       count(*) FILTER (WHERE bucket = 28), count(*) FILTER (WHERE bucket = 29), count(*) FILTER (WHERE bucket = 30), count(*) FILTER (WHERE bucket = 31),
       count(*) FILTER (WHERE bucket = 32), count(*) FILTER (WHERE bucket = 33), count(*) FILTER (WHERE bucket = 34), count(*) FILTER (WHERE bucket = 35),
       count(*) FILTER (WHERE bucket = 36), count(*) FILTER (WHERE bucket = 37), count(*) FILTER (WHERE bucket = 38), count(*) FILTER (WHERE bucket = 39),
       count(*) FILTER (WHERE bucket = 40), count(*) FILTER (WHERE bucket = 41), count(*) FILTER (WHERE bucket = 42), count(*) FILTER (WHERE bucket = 43),
       count(*) FILTER (WHERE bucket = 44), count(*) FILTER (WHERE bucket = 45), count(*) FILTER (WHERE bucket = 46), count(*) FILTER (WHERE bucket = 47),
       count(*) FILTER (WHERE bucket = 48), count(*) FILTER (WHERE bucket = 49), count(*) FILTER (WHERE bucket = 50), count(*) FILTER (WHERE bucket = 51),
       count(*) FILTER (WHERE bucket = 52), count(*) FILTER (WHERE bucket = 53), count(*) FILTER (WHERE bucket = 54), count(*) FILTER (WHERE bucket = 55),
       count(*) FILTER (WHERE bucket = 56), count(*) FILTER (WHERE bucket = 57), count(*) FILTER (WHERE bucket = 58), count(*) FILTER (WHERE bucket = 59),
       count(*) FILTER (WHERE bucket = 60), count(*) FILTER (WHERE bucket = 61), count(*) FILTER (WHERE bucket = 62), count(*) FILTER (WHERE bucket = 63),
       count(*) FILTER (WHERE bucket = 64), count(*) FILTER (WHERE bucket = 65), count(*) FILTER (WHERE bucket = 66), count(*) FILTER (WHERE bucket = 67),
       count(*) FILTER (WHERE bucket = 68), count(*) FILTER (WHERE bucket = 69), count(*) FILTER (WHERE bucket = 70), count(*) FILTER (WHERE bucket = 71),
       count(*) FILTER (WHERE bucket = 72), count(*) FILTER (WHERE bucket = 73), count(*) FILTER (WHERE bucket = 74), count(*) FILTER (WHERE bucket = 75),
       count(*) FILTER (WHERE bucket = 76), count(*) FILTER (WHERE bucket = 77), count(*) FILTER (WHERE bucket = 78), count(*) FILTER (WHERE bucket = 79),
       count(*) FILTER (WHERE bucket = 80), count(*) FILTER (WHERE bucket = 81), count(*) FILTER (WHERE bucket = 82), count(*) FILTER (WHERE bucket = 83),
       count(*) FILTER (WHERE bucket = 84), count(*) FILTER (WHERE bucket = 85), count(*) FILTER (WHERE bucket = 86), count(*) FILTER (WHERE bucket = 87),
       count(*) FILTER (WHERE bucket = 88), count(*) FILTER (WHERE bucket = 89), count(*) FILTER (WHERE bucket = 90), count(*) FILTER (WHERE bucket = 91),
       count(*) FILTER (WHERE bucket = 92), count(*) FILTER (WHERE bucket = 93), count(*) FILTER (WHERE bucket = 94), count(*) FILTER (WHERE bucket = 95),
       count(*) FILTER (WHERE bucket = 96), count(*) FILTER (WHERE bucket = 97), count(*) FILTER (WHERE bucket = 98), count(*) FILTER (WHERE bucket = 99),
       count(*) FILTER (WHERE bucket = 100), count(*) FILTER (WHERE bucket = 101), count(*) FILTER (WHERE bucket = 102), count(*) FILTER (WHERE bucket = 103),
       count(*) FILTER (WHERE bucket = 104), count(*) FILTER (WHERE bucket = 105), count(*) FILTER (WHERE bucket = 106), count(*) FILTER (WHERE bucket = 107),
       count(*) FILTER (WHERE bucket = 108), count(*) FILTER (WHERE bucket = 109), count(*) FILTER (WHERE bucket = 110), count(*) FILTER (WHERE bucket = 111),
       count(*) FILTER (WHERE bucket = 112), count(*) FILTER (WHERE bucket = 113), count(*) FILTER (WHERE bucket = 114), count(*) FILTER (WHERE bucket = 115),
       count(*) FILTER (WHERE bucket = 116), count(*) FILTER (WHERE bucket = 117), count(*) FILTER (WHERE bucket = 118), count(*) FILTER (WHERE bucket = 119),
       count(*) FILTER (WHERE bucket = 120), count(*) FILTER (WHERE bucket = 121), count(*) FILTER (WHERE bucket = 122), count(*) FILTER (WHERE bucket = 123),
       count(*) FILTER (WHERE bucket = 124), count(*) FILTER (WHERE bucket = 125), count(*) FILTER (WHERE bucket = 126), count(*) FILTER (WHERE bucket = 127)
FROM (
    SELECT s.span_s, to_timestamp(floor(extract(epoch FROM c.checked_at) / s.span_s) * s.span_s) AS span_start,
           c.provider_id, c.probe, c.checked_at, c.up, c.latency_ms,
           CASE WHEN c.up AND c.latency_ms IS NOT NULL
                THEN least(greatest(CAST(floor(8 * ln(greatest(c.latency_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127) END AS bucket
    FROM availability_checks c
    CROSS JOIN (VALUES (3600), (86400)) AS s (span_s)
    WHERE NOT EXISTS (SELECT 1 FROM availability_rollups)
) checks
GROUP BY span_s, span_start, provider_id, probe;

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
-- at most 200 answered probes, which cost little to read (exact). Above that they are estimated
-- from the histogram (estimated): percentile_cont interpolates between the values of two ranks;
-- for each, the estimate finds the bucket holding that rank, spreads the bucket's n values evenly
-- across it (on the log scale) and keeps the value within the period's lowest and highest
-- latency. Each estimated value lies in the same bucket as the exact one, so an estimated
-- percentile is within 9.05 % of the exact one, and much closer on the thousands of probes a
-- day or more holds (benchmarks/availability.py prints the largest difference).
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
edge AS (
    SELECT b.period, c.provider_id, c.checked_at, c.up, c.latency_ms,
           CASE WHEN c.up AND c.latency_ms IS NOT NULL
                THEN least(greatest(CAST(floor(8 * ln(greatest(c.latency_ms, 1.0)) / ln(2.0)) AS INTEGER), 0), 127) END AS bucket
    FROM bounds b
    JOIN availability_checks c ON c.checked_at > b.window_start AND c.checked_at < b.first_full_hour
    WHERE c.probe = 'listing'
),
spans AS (
    SELECT b.period, r.*
    FROM bounds b
    CROSS JOIN LATERAL (
        SELECT * FROM availability_rollups
        WHERE span_s = 3600 AND span_start >= b.first_full_hour AND span_start < b.first_full_day AND probe = 'listing'
        UNION ALL
        SELECT * FROM availability_rollups
        WHERE span_s = 86400 AND span_start >= b.first_full_day AND probe = 'listing'
    ) r
),
summed AS (
    SELECT r.period, r.provider_id,
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
    FROM spans r
    GROUP BY r.period, r.provider_id
),
totals AS (
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
    SELECT period, provider_id, bucket, n, sum(n) OVER (PARTITION BY period, provider_id ORDER BY bucket) - n AS below
    FROM (
        SELECT period, provider_id, bucket, CAST(sum(n) AS BIGINT) AS n
        FROM (
            SELECT s.period, s.provider_id, v.bucket, v.n
            FROM summed s
            CROSS JOIN LATERAL (VALUES
                (0, s.b000), (1, s.b001), (2, s.b002), (3, s.b003), (4, s.b004), (5, s.b005), (6, s.b006), (7, s.b007), (8, s.b008), (9, s.b009),
                (10, s.b010), (11, s.b011), (12, s.b012), (13, s.b013), (14, s.b014), (15, s.b015), (16, s.b016), (17, s.b017), (18, s.b018), (19, s.b019),
                (20, s.b020), (21, s.b021), (22, s.b022), (23, s.b023), (24, s.b024), (25, s.b025), (26, s.b026), (27, s.b027), (28, s.b028), (29, s.b029),
                (30, s.b030), (31, s.b031), (32, s.b032), (33, s.b033), (34, s.b034), (35, s.b035), (36, s.b036), (37, s.b037), (38, s.b038), (39, s.b039),
                (40, s.b040), (41, s.b041), (42, s.b042), (43, s.b043), (44, s.b044), (45, s.b045), (46, s.b046), (47, s.b047), (48, s.b048), (49, s.b049),
                (50, s.b050), (51, s.b051), (52, s.b052), (53, s.b053), (54, s.b054), (55, s.b055), (56, s.b056), (57, s.b057), (58, s.b058), (59, s.b059),
                (60, s.b060), (61, s.b061), (62, s.b062), (63, s.b063), (64, s.b064), (65, s.b065), (66, s.b066), (67, s.b067), (68, s.b068), (69, s.b069),
                (70, s.b070), (71, s.b071), (72, s.b072), (73, s.b073), (74, s.b074), (75, s.b075), (76, s.b076), (77, s.b077), (78, s.b078), (79, s.b079),
                (80, s.b080), (81, s.b081), (82, s.b082), (83, s.b083), (84, s.b084), (85, s.b085), (86, s.b086), (87, s.b087), (88, s.b088), (89, s.b089),
                (90, s.b090), (91, s.b091), (92, s.b092), (93, s.b093), (94, s.b094), (95, s.b095), (96, s.b096), (97, s.b097), (98, s.b098), (99, s.b099),
                (100, s.b100), (101, s.b101), (102, s.b102), (103, s.b103), (104, s.b104), (105, s.b105), (106, s.b106), (107, s.b107), (108, s.b108), (109, s.b109),
                (110, s.b110), (111, s.b111), (112, s.b112), (113, s.b113), (114, s.b114), (115, s.b115), (116, s.b116), (117, s.b117), (118, s.b118), (119, s.b119),
                (120, s.b120), (121, s.b121), (122, s.b122), (123, s.b123), (124, s.b124), (125, s.b125), (126, s.b126), (127, s.b127)
            ) AS v (bucket, n)
            WHERE v.n > 0
            UNION ALL
            SELECT period, provider_id, bucket, count(*)
            FROM edge
            WHERE bucket IS NOT NULL
            GROUP BY period, provider_id, bucket
        ) counted
        GROUP BY period, provider_id, bucket
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
    SELECT r.period, r.provider_id, r.fraction, r.position,
           least(greatest(exp(ln(2.0) * (h.bucket + (r.rank - h.below + 0.5) / h.n) / 8), r.latency_min_ms),
                 r.latency_max_ms) AS value
    FROM rank_ends r
    JOIN histogram h ON h.period = r.period AND h.provider_id = r.provider_id AND h.below <= r.rank AND r.rank < h.below + h.n
),
estimated AS (
    -- the lower rank's value, then the interpolation towards the upper one's
    SELECT period, provider_id, fraction, min(value) + (max(value) - min(value)) * (position - floor(position)) AS value
    FROM rank_values
    GROUP BY period, provider_id, fraction, position
)
SELECT t.provider_id, t.period,
       CAST(t.checks AS BIGINT) AS checks,
       CAST(t.up_checks AS BIGINT) AS up_checks,
       round(100.0 * CAST(t.up_checks AS BIGINT) / CAST(t.checks AS BIGINT), 3) AS uptime_pct,
       coalesce(x.latency[1], p50.value) AS p50_ms,
       coalesce(x.latency[2], p95.value) AS p95_ms,
       t.last_checked_at
FROM totals t
LEFT JOIN exact x ON x.period = t.period AND x.provider_id = t.provider_id
LEFT JOIN estimated p50 ON p50.period = t.period AND p50.provider_id = t.provider_id AND p50.fraction = 0.5
LEFT JOIN estimated p95 ON p95.period = t.period AND p95.provider_id = t.provider_id AND p95.fraction = 0.95;
