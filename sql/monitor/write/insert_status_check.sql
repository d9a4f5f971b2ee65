INSERT INTO status_checks (checked_at, provider_id, page_url, indicator, description, http_status, not_modified, error)
VALUES ($checked_at, $provider_id, $page_url, $indicator, $description, $http_status, $not_modified, $error)
