INSERT INTO monitor_state (key, value, updated_at) VALUES ($key, $value, $updated_at)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
