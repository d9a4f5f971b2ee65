"""The notification outbox and message texts."""
