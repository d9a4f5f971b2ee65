-- depends: 0003_views
-- The Slack outbox: every notification (provider down / recovered, run failure, blocking check
-- failure, source degraded, price / new-model digest, daily report) recorded once under a dedup key before it is posted,
-- then marked delivered, or retried on later ticks a bounded number of times. Portable SQL: yoyo
-- applies it to PostgreSQL (schema `monitor`); the embedded DuckDB store runs it on every open,
-- hence IF NOT EXISTS. Timestamps are UTC. No secret (webhook URL, bot token) is ever stored.
CREATE TABLE IF NOT EXISTS notifications (
    dedup_key       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    text            TEXT NOT NULL,
    delivered_at    TIMESTAMPTZ,
    channel         TEXT,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    claimed_by      TEXT,
    claimed_at      TIMESTAMPTZ
);

COMMENT ON TABLE notifications IS 'Slack notifications, one per event (dedup_key): recorded once, posted once; a failed post is retried on later ticks a bounded number of times.';
COMMENT ON COLUMN notifications.dedup_key IS 'The event: <provider>:down:<since>, <provider>:recovered:<since>, run_failure:<run>, check_failed:<run>:<asset>:<check>, source_degraded:<source>:<first run of the streak>, changes_digest:<run>, daily_report:<day>.';
COMMENT ON COLUMN notifications.kind IS 'provider_down, provider_recovered, run_failure, check_failed, source_degraded, changes_digest or daily_report.';
COMMENT ON COLUMN notifications.text IS 'The message as posted (Slack mrkdwn).';
COMMENT ON COLUMN notifications.delivered_at IS 'When the channel accepted it; NULL while pending (or given up after the maximum attempts).';
COMMENT ON COLUMN notifications.channel IS 'slack (incoming webhook), slack-bot (Web API with a bot token) or log: where the last attempt went.';
COMMENT ON COLUMN notifications.attempts IS 'Delivery attempts so far.';
COMMENT ON COLUMN notifications.last_error IS 'Why the last attempt failed (never contains the webhook URL or the token).';
COMMENT ON COLUMN notifications.claimed_by IS 'The evaluation delivering it right now (so two sensors never post it both); NULL otherwise.';
COMMENT ON COLUMN notifications.claimed_at IS 'When it was claimed; a claim older than ten minutes (a crashed evaluation) is taken over.';
