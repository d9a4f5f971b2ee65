SELECT count(*) FROM fetches WHERE (:source IS NULL OR source = :source)
