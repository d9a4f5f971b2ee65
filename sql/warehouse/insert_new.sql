-- A history table's new rows: those of the staged table (this run's state of the table) whose
-- key the warehouse does not hold yet. Placeholders: {table}, {staged}, {columns}, {key_match}.
INSERT INTO {table} ({columns})
SELECT {columns} FROM {staged} AS s
WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {key_match})
