SELECT * FROM publishes
