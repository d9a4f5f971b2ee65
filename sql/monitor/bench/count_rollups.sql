SELECT count(*) AS n FROM availability_rollups
