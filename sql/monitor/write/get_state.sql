SELECT value FROM monitor_state WHERE key = $key
