"""Daily maintenance (the seeds' "DB optimisation", DESIGN "Orchestration": maintenance daily at
03:00): VACUUM / ANALYZE of PostgreSQL's ``curated`` and ``monitor`` schemas, retention of raw
payloads and of snapshots, and compaction of the embedded monitor store (job and schedule in ``definitions.py``); each part
reports what it removed."""
