"""Notifications to Slack, PagerDuty and a JSON webhook (DESIGN "Orchestration"): run failures,
blocking check failures, sources degraded to cached / config (the "API Failure Alert"), a digest
of price changes and new models per catalog run, and a daily report. Every message goes through
one outbox, the monitor store's ``notifications`` table: recorded once under a dedup key, posted
once to each channel its kind is routed to, a failed post retried on later flushes; an outage
never fails a run. Sensors and jobs: ``definitions.py``; what ``aisi refresh`` records for its
own runs: ``after_refresh.py``; the outbox, texts, channels and routing are in ``core/notify``."""
