"""Slack notifications end to end: real runs on a real Dagster instance, the sensors evaluated
(twice, to prove the dedup), messages posted over real HTTP to a local receiver, the outbox in
the real monitor store."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import dagster as dg
import duckdb
import psycopg
import pytest
from dagster_slack import SlackResource

from core.notify.outbox import MAX_DELIVERY_ATTEMPTS, Notification, deliver_pending, record
from core.stores.monitor import open_monitor_store
from pipelines.notify.channel import SlackNotifyResource
from pipelines.resources.monitor import MonitorStoreResource
from pipelines.resources.warehouse import SnapshotStoreResource
from tests.conftest import FIXTURES
from tests.receiver import Post, Receiver

DAGSTER_URL = "http://dagster.example:3000"
WEBHOOK_SECRET = "T0PLANTED/B0PLANTED/PLANTEDwebhookSecret42"
BOT_TOKEN = "xoxb-PLANTED-bot-token-0a1b2c3d"
OPENROUTER_PATH = "/openrouter/api/v1/models"
LITELLM_PATH = "/litellm/model_prices_and_context_window.json"


# -- helpers ---------------------------------------------------------------------------------


def webhook(receiver: Receiver) -> str:
    """The receiver's URL with a secret-looking path, as a real Slack webhook has."""
    return f"{receiver.url}/{WEBHOOK_SECRET}"


def resources(home: Path, slack_notify: SlackNotifyResource) -> dict[str, object]:
    return {
        "monitor": MonitorStoreResource(home=str(home)),
        "snapshots": SnapshotStoreResource(directory=str(home / "snapshots")),
        "slack_notify": slack_notify,
    }


def via_webhook(home: Path, receiver: Receiver) -> dict[str, object]:
    return resources(home, SlackNotifyResource(slack_webhook_url=webhook(receiver), dagster_url=DAGSTER_URL, digest_top=3))


def run_event(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> dg.DagsterEvent:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    assert records, f"run {run_id} has no {event_type}"
    return records[-1].event_log_entry.dagster_event


def failure_tick(instance: dg.DagsterInstance, run_id: str, res: dict[str, object]) -> dg.SkipReason:
    from pipelines.notify.definitions import slack_run_failures

    with dg.build_run_status_sensor_context(
        sensor_name="slack_run_failures", dagster_event=run_event(instance, run_id, dg.DagsterEventType.RUN_FAILURE),
        dagster_instance=instance, dagster_run=instance.get_run_by_id(run_id), resources=res,
    ) as context:
        return slack_run_failures(context.for_run_failure())


def success_tick(instance: dg.DagsterInstance, run_id: str, res: dict[str, object]) -> dg.SkipReason:
    from pipelines.notify.definitions import slack_catalog_updates

    with dg.build_run_status_sensor_context(
        sensor_name="slack_catalog_updates", dagster_event=run_event(instance, run_id, dg.DagsterEventType.RUN_SUCCESS),
        dagster_instance=instance, dagster_run=instance.get_run_by_id(run_id), resources=res,
    ) as context:
        return slack_catalog_updates(context)


def outbox_tick(res: dict[str, object]) -> dg.SkipReason:
    from pipelines.notify.definitions import slack_outbox

    with dg.build_sensor_context(resources=res) as context:
        return slack_outbox(context)


def notification(home: Path, dedup_key: str) -> dict[str, Any]:
    rows = open_monitor_store(home).query("notify/notification.sql", {"dedup_key": dedup_key})
    assert rows, dedup_key
    return rows[0]


def all_notifications(home: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "monitor" / "monitor.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM notifications ORDER BY created_at").fetchall()


def texts(receiver: Receiver) -> list[str]:
    return [body["text"] for body in receiver.delivered()]


# A tiny graph whose blocking check fails (a stand-in for the GX checks in core/quality).
@dg.asset
def priced_models() -> int:
    return 3


@dg.asset_check(asset=priced_models, blocking=True, description="no negative prices")
def no_negative_prices(priced_models: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        description="2 of 3 rows have a negative price",
        metadata={
            "failed_rows": dg.MetadataValue.table([
                dg.TableRecord({"model_key": "openai/gpt-4o", "usd_per_mtok": -2.5}),
                dg.TableRecord({"model_key": "mistral/mistral-large", "usd_per_mtok": -1.0}),
            ]),
            "unexpected_percent": 66.7,
        },
    )


@dg.asset(deps=[priced_models])
def published_models() -> int:
    return 1


@dg.op
def explode() -> None:
    raise ValueError("boom: the source answered garbage")


@dg.job
def tiny_failing_job() -> None:
    explode()


def run_failing_check_job(instance: dg.DagsterInstance) -> str:
    defs = dg.Definitions(assets=[priced_models, published_models], asset_checks=[no_negative_prices])
    job = dg.define_asset_job("quality_job").resolve(asset_graph=defs.resolve_asset_graph())
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return result.run_id


@pytest.fixture
def slack() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


# -- run failures and blocking checks -------------------------------------------------------


def test_run_failure_posts_job_error_and_link_once(home: Path, slack: Receiver) -> None:
    with dg.instance_for_test() as instance:
        run_id = tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False).run_id
        res = via_webhook(home, slack)
        first = failure_tick(instance, run_id, res)
        second = failure_tick(instance, run_id, res)  # the same run seen again: nothing new
    assert "posted now 1" in first.skip_message and "posted now 0" in second.skip_message
    assert len(slack.posts) == 1 and slack.posts[0].path == f"/hook/{WEBHOOK_SECRET}"
    (text,) = texts(slack)
    assert "*Run failed*: `tiny_failing_job`" in text
    assert "explode: ValueError: boom: the source answered garbage" in text
    assert f"<{DAGSTER_URL}/runs/{run_id}|Open the run in Dagster>" in text
    row = notification(home, f"run_failure:{run_id}")
    assert row["kind"] == "run_failure" and row["delivered_at"] is not None and row["attempts"] == 1
    assert row["channel"] == "slack" and row["last_error"] is None


def test_blocking_check_failure_posts_the_check_and_sample_rows_once(home: Path, slack: Receiver) -> None:
    with dg.instance_for_test() as instance:
        run_id = run_failing_check_job(instance)
        res = via_webhook(home, slack)
        failure_tick(instance, run_id, res)
        failure_tick(instance, run_id, res)
    assert len(slack.posts) == 2
    run_text, check_text = texts(slack)  # the run's failure first, then its check
    assert "*Run failed*: `quality_job`" in run_text and "DagsterAssetCheckFailedError" in run_text
    assert "*Blocking check failed*: `no_negative_prices` on `priced_models`" in check_text
    assert "severity ERROR" in check_text and "2 of 3 rows have a negative price" in check_text
    assert "failed_rows: 2 row(s):" in check_text
    assert "`model_key=openai/gpt-4o, usd_per_mtok=-2.5`" in check_text
    assert "unexpected_percent: 66.7" in check_text
    assert f"{DAGSTER_URL}/runs/{run_id}" in check_text
    assert notification(home, f"check_failed:{run_id}:priced_models:no_negative_prices")["delivered_at"] is not None


def test_slack_outage_is_recorded_not_raised_and_delivered_once_later(home: Path, slack: Receiver) -> None:
    with dg.instance_for_test() as instance:
        run_id = tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False).run_id
        res = via_webhook(home, slack)
        slack.fail_next = 1
        result = failure_tick(instance, run_id, res)  # Slack answers 500: the tick still succeeds
        assert "posted now 0, failed 1" in result.skip_message
        row = notification(home, f"run_failure:{run_id}")
        assert row["delivered_at"] is None and row["attempts"] == 1
        assert row["last_error"] == "Slack webhook answered HTTP 500"
        assert texts(slack) == [] and len(slack.posts) == 1

        assert "delivered 1" in outbox_tick(res).skip_message  # a later tick delivers it
        assert "delivered 0" in outbox_tick(res).skip_message
        failure_tick(instance, run_id, res)  # and the sensor seeing the run again adds nothing
    assert len(texts(slack)) == 1 and len(slack.posts) == 2
    row = notification(home, f"run_failure:{run_id}")
    assert row["delivered_at"] is not None and row["attempts"] == 2 and row["last_error"] is None
    # The webhook URL (a secret) is never stored, not even in an error.
    assert WEBHOOK_SECRET not in json.dumps(all_notifications(home), default=str)


def test_unreachable_slack_is_retried_a_bounded_number_of_times(home: Path, slack: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_NOTIFY_RETRY_BACKOFF_S", "0")  # no wait between tries: ten ticks, ten tries
    store = open_monitor_store(home)
    now = datetime.now(timezone.utc)
    record(store, [Notification("test:outage", "run_failure", "hello", now)])
    res = via_webhook(home, slack)
    slack.fail_next = 1000
    for _ in range(MAX_DELIVERY_ATTEMPTS + 3):
        outbox_tick(res)
    assert len(slack.posts) == MAX_DELIVERY_ATTEMPTS and texts(slack) == []
    row = notification(home, "test:outage")
    assert row["attempts"] == MAX_DELIVERY_ATTEMPTS and row["delivered_at"] is None
    assert store.query("notify/pending_count.sql", {"max_attempts": MAX_DELIVERY_ATTEMPTS}) == [{"pending": 0, "abandoned": 1}]


def test_two_evaluations_at_once_never_post_the_same_message_twice(home: Path, slack: Receiver) -> None:
    store = open_monitor_store(home)
    now = datetime.now(timezone.utc)
    record(store, [Notification(f"test:{i}", "run_failure", f"message {i}", now) for i in range(30)])
    sink = SlackNotifyResource(slack_webhook_url=webhook(slack)).sink()
    outcomes: list[dict[str, int]] = []
    threads = [threading.Thread(target=lambda: outcomes.append(deliver_pending(open_monitor_store(home), sink, now)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(texts(slack)) == sorted(f"message {i}" for i in range(30))
    assert sum(o["delivered"] for o in outcomes) == 30


@pytest.mark.postgres
def test_outbox_in_postgres_posts_once_and_retries(home: Path, slack: Receiver, pg_database: str) -> None:
    res = {**via_webhook(home, slack), "monitor": MonitorStoreResource(database_url=pg_database)}
    with dg.instance_for_test() as instance:
        run_id = run_failing_check_job(instance)
        slack.fail_next = 1
        failure_tick(instance, run_id, res)  # the first post fails, the second goes through
        failure_tick(instance, run_id, res)
        outbox_tick(res)
    # The run's failure was refused first (posted in order), its check went through, then the retry.
    assert [t.split("*")[1] for t in texts(slack)] == ["Blocking check failed", "Run failed"]
    assert len(slack.posts) == 3
    with psycopg.connect(pg_database) as conn:
        rows = conn.execute("SELECT kind, attempts, delivered_at IS NOT NULL, last_error FROM monitor.notifications "
                            "ORDER BY kind").fetchall()
    assert rows == [("check_failed", 1, True, None), ("run_failure", 2, True, None)]


# -- catalog runs: degraded sources and the changes digest ----------------------------------


def latest_run_id(instance: dg.DagsterInstance) -> str:
    return instance.get_run_records(filters=dg.RunsFilter(job_name="catalog_job"), limit=1)[0].dagster_run.run_id


def test_degraded_sources_alert_once_per_streak_with_since(replay, home: Path, refresh, slack: Receiver) -> None:
    summary = refresh()
    assert summary.success, summary.errors
    instance = dg.DagsterInstance.get()
    res = via_webhook(home, slack)
    success_tick(instance, summary.run_id, res)
    success_tick(instance, summary.run_id, res)
    degraded = {s["source"]: s for s in summary.sources if s["status"] in ("cached", "failed")}
    assert "openrouter_endpoints" in degraded and "openai_pricing" in degraded  # no replay for those here
    posted = texts(slack)
    assert len(posted) == len(degraded)
    for source, run in degraded.items():
        (text,) = [t for t in posted if f"source `{source}`" in t]
        assert text.startswith(":warning: *API Failure Alert*") and "degraded to *config*" in text
        assert run["error"][:40] in text and "(1 run in a row; last healthy: never)" in text
    for healthy in ("openrouter", "litellm", "models_dev", "model_defaults", "openai"):
        assert not [t for t in posted if f"source `{healthy}`" in t]

    # litellm fails from now on: it serves its archived payload (cached), one alert, since this run.
    replay.routes[LITELLM_PATH].mode = "500"
    second = refresh("litellm")
    assert second.success, second.errors
    success_tick(instance, second.run_id, res)
    third = refresh("litellm")  # still failing: the same streak, nothing new
    success_tick(instance, third.run_id, res)
    litellm = [t for t in texts(slack) if "source `litellm`" in t]
    assert len(litellm) == 1 and len(texts(slack)) == len(degraded) + 1
    assert "degraded to *cached*: serving its last good payload" in litellm[0]
    assert "HTTP 500" in litellm[0] and "(1 run in a row; last healthy: " in litellm[0]
    assert {s["source"]: s["status"] for s in second.sources}["litellm"] == "cached"
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        (since,) = con.execute("SELECT started_at FROM source_runs WHERE source = 'litellm' AND run_id = ?",
                               [second.run_id]).fetchone()
    assert f"Since: {since.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC" in litellm[0]
    assert notification(home, f"source_degraded:litellm:{second.run_id}")["delivered_at"] is not None

    # Healthy again, then failing again: a new streak, a new alert.
    replay.routes[LITELLM_PATH].mode = "ok"
    success_tick(instance, refresh("litellm").run_id, res)
    replay.routes[LITELLM_PATH].mode = "500"
    fifth = refresh("litellm")
    success_tick(instance, fifth.run_id, res)
    litellm = [t for t in texts(slack) if "source `litellm`" in t]
    assert len(litellm) == 2 and "last healthy: never" not in litellm[1]
    assert notification(home, f"source_degraded:litellm:{fifth.run_id}")["delivered_at"] is not None


def test_streak_since_is_the_first_degraded_run(replay, home: Path, refresh, slack: Receiver) -> None:
    from pipelines.notify.definitions import catalog_notifications

    assert refresh().success
    replay.routes[LITELLM_PATH].mode = "500"
    second = refresh("litellm")
    # Another source's change brings the next merge; litellm is still degraded (same cached payload).
    replay.routes[OPENROUTER_PATH].body = _reprice(replay.routes[OPENROUTER_PATH].body)
    third = refresh()
    notes = catalog_notifications(SnapshotStoreResource(directory=str(home / "snapshots")),
                                  SlackNotifyResource(dagster_url=DAGSTER_URL), third.run_id, datetime.now(timezone.utc))
    (note,) = [n for n in notes if n.dedup_key.startswith("source_degraded:litellm:")]
    assert note.dedup_key == f"source_degraded:litellm:{second.run_id}"  # keyed by the streak's first run
    assert "(2 runs in a row; last healthy: " in note.text()


def _reprice(body: bytes) -> bytes:
    """The OpenRouter fixture with gpt-4o dearer and one model more."""
    data = json.loads(body)
    for model in data["data"]:
        if model.get("id") == "openai/gpt-4o":
            model["pricing"]["prompt"] = "0.000003"  # 2.5 -> 3.0 USD per 1M: +20 %
    extra = json.loads(json.dumps(data["data"][0]))
    extra.update({"id": "openai/gpt-9-preview", "canonical_slug": "openai/gpt-9-preview", "name": "OpenAI: GPT-9 Preview"})
    data["data"].append(extra)
    return json.dumps(data).encode()


def test_changes_digest_once_per_catalog_run_with_top_n(replay, home: Path, refresh, slack: Receiver) -> None:
    first = refresh()
    assert first.success, first.errors
    instance = dg.DagsterInstance.get()
    res = via_webhook(home, slack)
    success_tick(instance, first.run_id, res)
    assert not [t for t in texts(slack) if "*Catalog changes*" in t]  # the first publish is a baseline

    replay.add(OPENROUTER_PATH, _reprice((FIXTURES / "openrouter_models.json").read_bytes()))
    second = refresh("openrouter")
    assert second.success, second.errors
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        kinds = dict(con.execute("SELECT kind, count(*) FROM changes WHERE run_id = ? GROUP BY kind", [second.run_id]).fetchall())
    if not kinds.get("price_changed") or not kinds.get("model_added"):
        pytest.skip(f"the changes feed (sql/migrations/0004_changes.sql) did not record the fixture's changes: {kinds}")
    success_tick(instance, second.run_id, res)
    success_tick(instance, second.run_id, res)
    digests = [t for t in texts(slack) if "*Catalog changes*" in t]
    assert len(digests) == 1
    digest = digests[0]
    assert f"run <{DAGSTER_URL}/runs/{second.run_id}|{second.run_id[:8]}>" in digest
    assert f"{kinds['price_changed']} price change" in digest and f"{kinds['model_added']} new model" in digest
    assert "openai/gpt-4o @ openrouter input: $2.5 → $3/1M (+20.0 %)" in digest
    assert "openai/gpt-9-preview" in digest
    price_lines = [line for line in digest.splitlines() if line.startswith("• ") and "→" in line]
    assert len(price_lines) == min(3, kinds["price_changed"])  # digest_top=3
    assert notification(home, f"changes_digest:{second.run_id}")["kind"] == "changes_digest"


def test_snapshot_without_changes_feed_gives_no_digest_and_no_error(replay, home: Path, refresh, slack: Receiver) -> None:
    summary = refresh()
    assert summary.success
    snapshots = home / "snapshots"
    old = snapshots / "20200101T000000Z.duckdb"  # a snapshot from before 0004_changes.sql
    shutil.copyfile((snapshots / "latest.duckdb").resolve(), old)
    with duckdb.connect(str(old)) as con:
        con.execute("DROP TABLE IF EXISTS changes")
    (snapshots / "latest.duckdb").unlink()
    (snapshots / "latest.duckdb").symlink_to(old.name)
    result = success_tick(dg.DagsterInstance.get(), summary.run_id, via_webhook(home, slack))
    assert "changes_digest" not in result.skip_message and "source_degraded" in result.skip_message
    assert texts(slack) and not [t for t in texts(slack) if "*Catalog changes*" in t]


# -- the daily report -----------------------------------------------------------------------


def test_daily_report_once_a_day_with_sources_counts_changes_failures_uptime(replay, home: Path, refresh, slack: Receiver) -> None:
    from pipelines.notify.definitions import SCHEDULED_TAG, daily_report_job

    assert refresh().success
    instance = dg.DagsterInstance.get()
    tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False)
    now = datetime.now(timezone.utc)
    open_monitor_store(home).append_checks([
        {"checked_at": now - timedelta(minutes=m), "provider_id": "openai", "probe": "listing", "target": "t",
         "up": m != 3, "state": "ok" if m != 3 else "error", "error_kind": None if m != 3 else "5xx",
         "http_status": 200 if m != 3 else 502, "latency_ms": 100.0 + m, "authenticated": False}
        for m in range(1, 5)
    ])
    res = via_webhook(home, slack)
    tags = {SCHEDULED_TAG: "2026-11-21T08:00:00+00:00"}
    first = daily_report_job.execute_in_process(instance=instance, resources=res, tags=tags)
    second = daily_report_job.execute_in_process(instance=instance, resources=res, tags=tags)
    assert first.success and second.success
    assert first.output_for_node("daily_report")["delivered"] == 1
    assert second.output_for_node("daily_report")["delivered"] == 0
    (report,) = texts(slack)
    assert report.startswith(":bar_chart: *AI Server Information: daily report for 2026-11-21*")
    assert "• openrouter: ok, badge aggregator" in report and "• model_defaults: ok, badge config" in report
    assert "• openai_pricing: failed" in report
    skipped = [line for line in report.splitlines() if line.startswith("• skipped (no key): ")]
    assert len(skipped) == 1 and "openai" in skipped[0] and "anthropic" in skipped[0]
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        models, offerings, prices = con.execute(
            "SELECT (SELECT count(*) FROM models), (SELECT count(*) FROM offerings), (SELECT count(*) FROM current_prices)").fetchone()
    assert f"*Catalog*: {models} models, {offerings} offerings, {prices} current prices" in report
    assert "*Changes in 24 h*: none" in report  # a first publish records a baseline, no change
    assert "*Failures in 24 h*: 1 failed run (tiny_failing_job ×1)" in report
    assert "*Uptime 24 h* (our probes): openai 75.00 %, p50 102 ms" in report
    assert notification(home, "daily_report:2026-11-21")["delivered_at"] is not None
    # A Slack outage on another day: the run succeeds, the outbox delivers it later, once.
    slack.fail_next = 1
    third = daily_report_job.execute_in_process(instance=instance, resources=res, tags={SCHEDULED_TAG: "2026-11-22T08:00:00+00:00"})
    assert third.success and third.output_for_node("daily_report")["failed"] == 1
    outbox_tick(res)
    outbox_tick(res)
    assert len([t for t in texts(slack) if "daily report for 2026-11-22" in t]) == 1


def test_daily_report_without_snapshot_or_monitor(home: Path, slack: Receiver) -> None:
    from pipelines.notify.definitions import daily_report_job

    with dg.instance_for_test() as instance:
        result = daily_report_job.execute_in_process(instance=instance, resources=via_webhook(home, slack))
    assert result.success
    (report,) = texts(slack)
    assert "*Catalog*: no snapshot published yet" in report and "no probes recorded" in report


# -- the bot token path: dagster-slack's SlackResource ----------------------------------------


class SlackApi(Receiver):
    """A stand-in for slack.com/api over real HTTP: records each call, answers like Slack
    (HTTP 200 with ``{"ok": false, "error": ...}`` when it refuses)."""

    def __init__(self) -> None:
        self.error: str | None = None
        super().__init__(answer=self._answer)

    def _answer(self, post: Post) -> tuple[int, bytes]:
        payload: dict[str, Any] = {"ok": False, "error": self.error} if self.error else {
            "ok": True, "channel": "C0123", "ts": "1732280000.000100"}
        self.error = None
        return 200, json.dumps(payload).encode()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api/"


def test_bot_token_posts_chat_post_message_through_slack_resource(home: Path) -> None:
    with SlackApi() as api:
        slack_notify = SlackNotifyResource(slack=SlackResource(token=BOT_TOKEN), slack_channel="#aisi-alerts",
                                           slack_api_url=api.url, dagster_url=DAGSTER_URL)
        assert type(slack_notify.sink()).__name__ == "SlackBotSink"
        res = resources(home, slack_notify)
        with dg.instance_for_test() as instance:
            run_id = tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False).run_id
            api.error = "not_in_channel"  # Slack refuses once: recorded, retried, never raised
            assert "failed 1" in failure_tick(instance, run_id, res).skip_message
            row = notification(home, f"run_failure:{run_id}")
            assert row["last_error"] == "Slack API refused the message (HTTP 200, not_in_channel)"
            assert row["channel"] == "slack-bot"
            failure_tick(instance, run_id, res)
            outbox_tick(res)
        assert len(api.posts) == 2
        path, headers, body = api.posts[-1].path, api.posts[-1].headers, api.posts[-1].body
        assert path == "/api/chat.postMessage"
        assert headers["authorization"] == f"Bearer {BOT_TOKEN}"  # the token travels only in the header
        assert body["channel"] == "#aisi-alerts" and "*Run failed*: `tiny_failing_job`" in body["text"]
        assert BOT_TOKEN not in json.dumps(body) and BOT_TOKEN not in json.dumps(all_notifications(home), default=str)
        assert notification(home, f"run_failure:{run_id}")["delivered_at"] is not None
