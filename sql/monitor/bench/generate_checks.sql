-- Benchmark data: $targets providers probed every minute for $minutes minutes up to $now, with
-- a deterministic mix of failures (about 1 in 97 probes) and latencies of 40-1039 ms. Portable.
INSERT INTO availability_checks (checked_at, provider_id, probe, target, up, state, error_kind, http_status, latency_ms, authenticated)
SELECT $now - m.i * INTERVAL '1 minute',
       'bench-' || t.j,
       'listing',
       'http://127.0.0.1/bench/' || t.j,
       (m.i + t.j) % 97 <> 0,
       CASE WHEN (m.i + t.j) % 97 <> 0 THEN 'ok' ELSE 'error' END,
       CASE WHEN (m.i + t.j) % 97 <> 0 THEN NULL ELSE '5xx' END,
       CASE WHEN (m.i + t.j) % 97 <> 0 THEN 200 ELSE 503 END,
       40 + ((m.i * 7919 + t.j * 104729) % 1000),
       TRUE
FROM generate_series(0, $minutes - 1) AS m(i)
CROSS JOIN generate_series(1, $targets) AS t(j)
