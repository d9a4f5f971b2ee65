-- The columns of the fetch log (an archive made before a column was added lacks it).
SELECT name FROM pragma_table_info('fetches')
