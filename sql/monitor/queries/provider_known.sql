-- Whether the monitor has any row about $provider_id (a probe, a page read or an incident).
SELECT (EXISTS (SELECT 1 FROM availability_checks WHERE provider_id = $provider_id)
        OR EXISTS (SELECT 1 FROM status_checks WHERE provider_id = $provider_id)
        OR EXISTS (SELECT 1 FROM status_incidents WHERE provider_id = $provider_id)) AS known
