"""HTTP transport: the client with deadlines, retries and safe redirects, and its Dagster-free parts shared with the probes."""
