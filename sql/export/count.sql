-- How many rows an export streams (the command line's progress bar total). The placeholder in
-- braces below is the text of one of this folder's export files (a file, never a value).
SELECT count(*) AS n FROM (
{query}
) AS export
