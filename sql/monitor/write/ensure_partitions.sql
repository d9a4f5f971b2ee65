SELECT ensure_availability_partitions($first_day, $days) AS created
