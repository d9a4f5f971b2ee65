"""One module per source: its spec (where and how often to fetch) and its pure parser."""
