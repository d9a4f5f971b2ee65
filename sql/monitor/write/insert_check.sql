INSERT INTO availability_checks (checked_at, provider_id, probe, target, up, state, error_kind, http_status, latency_ms,
                                 authenticated, ttft_ms, tokens_per_s, tokens, detail)
VALUES ($checked_at, $provider_id, $probe, $target, $up, $state, $error_kind, $http_status, $latency_ms,
        $authenticated, $ttft_ms, $tokens_per_s, $tokens, $detail)
