SELECT drop_availability_partitions($keep_from) AS dropped
