DELETE FROM status_checks WHERE checked_at < $cutoff
