-- depends: 0007_partitions_concurrent
-- Alerts to several channels (Slack, PagerDuty, a JSON webhook), each with its own delivery
-- state: a message is settled once every channel its kind is routed to has taken it, and a
-- channel that failed is retried on a later flush (after a backoff) without posting again to
-- the channels that already have it. Portable SQL (PostgreSQL through yoyo, the embedded DuckDB
-- store on every open), hence IF NOT EXISTS. No secret (routing key, URL, token) is ever stored.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS subject TEXT;
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS next_attempt_at TIMESTAMPTZ;

CREATE TABLE IF NOT EXISTS notification_deliveries (
    dedup_key       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    delivered_at    TIMESTAMPTZ,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (dedup_key, channel)
);

COMMENT ON COLUMN notifications.subject IS 'What the event is about: the provider (provider_down / recovered), the job (run_failure), the source (source_degraded), the check; PagerDuty dedup keys are made from it.';
COMMENT ON COLUMN notifications.next_attempt_at IS 'After a failed delivery: no flush retries it before this time (a backoff doubling from AISI_NOTIFY_RETRY_BACKOFF_S).';
COMMENT ON TABLE notification_deliveries IS 'Per notification and channel (slack, pagerduty, webhook, log): delivered or not, attempts, the last error.';
