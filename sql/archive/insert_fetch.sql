INSERT INTO fetches (source, url, http_status, etag, last_modified, sha256, bytes, fetched_at, outcome, error,
                     entries, accepted, prices, rejected, benchmarks, profile)
VALUES (:source, :url, :http_status, :etag, :last_modified, :sha256, :bytes, :fetched_at, :outcome, :error,
        :entries, :accepted, :prices, :rejected, :benchmarks, :profile)
