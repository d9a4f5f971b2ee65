-- Archives made before the sudden-drop guard: the entry count of each fetch (NULL for older fetches).
ALTER TABLE fetches ADD COLUMN entries INTEGER
