"""Slack notifications (DESIGN "Orchestration"): run failures, blocking check failures, sources
degraded to cached / config (the "API Failure Alert"), a digest of price changes and new models
per catalog run, and a daily report. Every message goes through one outbox, the monitor store's
``notifications`` table: recorded once under a dedup key, posted once, a failed post retried on
later ticks; a Slack outage never fails a run. Sensors and jobs: ``definitions.py``; the outbox and texts are in ``core/notify``."""
