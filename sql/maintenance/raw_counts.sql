SELECT count(*) AS fetches, count(DISTINCT sha256) AS payloads FROM fetches
