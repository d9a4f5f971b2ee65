-- A history table's changed rows: a stored row whose key is staged with other values (a price
-- row closed this run gets its valid_to; an open row its refreshed provenance). Unchanged rows
-- are not written. Placeholders: {table}, {staged}, {assign}, {key_match}, {stored}, {incoming}.
UPDATE {table} AS t SET {assign}
FROM {staged} AS s
WHERE {key_match} AND ({stored}) IS DISTINCT FROM ({incoming})
