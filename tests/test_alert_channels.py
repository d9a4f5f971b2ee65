"""Alerts wherever they are configured, whoever runs the job: `aisi refresh` and `aisi monitor`
flush the outbox themselves, to Slack, PagerDuty (Events API v2) and a generic JSON webhook,
each over real HTTP to a local receiver, routed by kind, each message once per channel, a
failing channel retried without the others posting twice."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import dagster as dg
import psycopg
import pytest
from click.testing import CliRunner

from core.notify.channels import configured_channels, plain_text, signature
from core.notify.flush import flush
from core.notify.outbox import Notification, retry_delay
from core.notify.routing import Routing, RoutingError, load_routing, parse
from core.stores.monitor import open_monitor_store
from tests.receiver import Receiver
from tests.replay import ReplayServer

ROUTING_KEY = "R0PLANTEDpagerdutyRoutingKey0123456789"
WEBHOOK_SECRET = "whsec-PLANTED-shared-secret-42"


@pytest.fixture
def slack() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def pagerduty() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def channels_env(home: Path, monkeypatch: pytest.MonkeyPatch, slack: Receiver, pagerduty: Receiver) -> None:
    """Slack (webhook) and PagerDuty configured, pointed at the local receivers; nothing else."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_CHANNEL", "AISI_ALERT_WEBHOOK_URL", "AISI_ALERT_WEBHOOK_SECRET",
                 "AISI_ALERT_WEBHOOK_HEADER", "AISI_ALERT_ROUTING", "AISI_NOTIFY_RETRY_BACKOFF_S"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
    monkeypatch.setenv("AISI_PAGERDUTY_EVENTS_URL", pagerduty.url)


def routing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "alert-routing.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("AISI_ALERT_ROUTING", str(path))


def texts(receiver: Receiver) -> list[str]:
    return [body["text"] for body in receiver.delivered()]


def events(receiver: Receiver) -> list[tuple[str, str]]:
    return [(body["event_action"], body["dedup_key"]) for body in receiver.delivered()]


def note(key: str, kind: str, text: str, subject: str | None = None, minutes: int = 0) -> Notification:
    return Notification(key, kind, text, datetime.now(timezone.utc) - timedelta(minutes=minutes), subject)


def deliveries(home: Path, key: str) -> dict[str, dict[str, Any]]:
    return {r["channel"]: r for r in open_monitor_store(home).query("notify/deliveries.sql", {"dedup_key": key})}


def stored(home: Path) -> str:
    """Everything the outbox keeps, as text (to look for secrets in)."""
    import duckdb

    with duckdb.connect(str(home / "monitor" / "monitor.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT * FROM notifications").fetchall() + con.execute("SELECT * FROM notification_deliveries").fetchall()
    return json.dumps(rows, default=str)


# -- aisi refresh ------------------------------------------------------------------------------


def test_refresh_delivers_each_message_once_to_slack_and_pagerduty(
        replay: ReplayServer, home: Path, channels_env: None, slack: Receiver, pagerduty: Receiver,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from pipelines.cli import main
    from pipelines.notify.after_refresh import notify_refresh
    from pipelines.refresh_alerts import run_refresh_with_alerts
    from tests.test_notify import success_tick, via_webhook

    # Degraded sources page too here (by default PagerDuty takes provider down / recovered and failed runs only).
    routing_file(tmp_path, monkeypatch, "routes:\n  pagerduty: [source_degraded, provider_down, provider_recovered, run_failure]\n")
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(main, ["refresh"])  # `aisi refresh`, as cron runs it: no daemon, no sensor
    assert result.exit_code == 0, result.output
    run_id = re.search(r"Refresh succeeded in [0-9.]+s \(run ([0-9a-f-]+)\)", result.output).group(1)
    degraded = sorted(re.findall(r"^  (\S+) +(?:cached|failed) +badge=", result.output, re.MULTILINE))
    assert degraded, result.output
    assert sorted(t.split("source `")[1].split("`")[0] for t in texts(slack)) == degraded
    assert sorted(events(pagerduty)) == sorted(("trigger", f"aisi/source/{s}") for s in degraded)
    assert all(b["routing_key"] == ROUTING_KEY for b in pagerduty.delivered())
    assert all(b["payload"]["severity"] == "warning" and b["payload"]["source"] == "aisi" for b in pagerduty.delivered())
    assert (f"Alerts: {len(degraded)} event(s) recorded; delivered {len(degraded)}, failed 0 (channels: slack, pagerduty)"
            in result.output.splitlines())

    # Run again (cron's next tick, through the function the CLI calls): the sources' data is
    # unchanged, nothing new is recorded and nothing goes out twice.
    again = run_refresh_with_alerts(["litellm"], progress=lambda line: None)
    assert again.success and not again.recomputed
    assert again.alerts == "Alerts: 0 event(s) recorded; delivered 0, failed 0 (channels: slack, pagerduty)"
    # The Dagster sensor seeing the same run (a daemon running besides cron) posts nothing more,
    # nor does flushing that run's notifications again.
    success_tick(dg.DagsterInstance.get(), run_id, via_webhook(home, slack))
    assert notify_refresh([run_id]).delivered == 0
    assert len(slack.posts) == len(degraded) and len(pagerduty.posts) == len(degraded)
    row = deliveries(home, f"source_degraded:{degraded[0]}:{run_id}")
    assert {c: (r["attempts"], r["delivered_at"] is not None) for c, r in row.items()} == {"slack": (1, True), "pagerduty": (1, True)}
    # The routing key is a secret: never stored, never logged.
    assert ROUTING_KEY not in stored(home) and ROUTING_KEY not in caplog.text + result.output


def test_refresh_run_failure_triggers_pagerduty_per_job(home: Path, channels_env: None, slack: Receiver, pagerduty: Receiver) -> None:
    from pipelines.notify.after_refresh import notify_refresh
    from tests.test_notify import tiny_failing_job

    with dg.instance_for_test() as instance:
        runs = [tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False).run_id for _ in range(2)]
        first = notify_refresh([runs[0]], instance=instance)
        notify_refresh([runs[0]], instance=instance)  # the same run again: nothing new
        notify_refresh([runs[1]], instance=instance)
    assert first.delivered == 1 and first.failed == 0
    (text, _) = texts(slack)
    assert "*Run failed*: `tiny_failing_job`" in text and "explode: ValueError: boom: the source answered garbage" in text
    # Both failures of the job are one PagerDuty incident: the same dedup key.
    assert events(pagerduty) == [("trigger", "aisi/job/tiny_failing_job")] * 2
    payload = pagerduty.delivered()[0]["payload"]
    assert payload["severity"] == "error" and payload["class"] == "run_failure" and payload["component"] == "tiny_failing_job"
    assert payload["summary"] == f"Run failed: tiny_failing_job (run {runs[0][:8]})"
    assert payload["custom_details"]["notification"] == f"run_failure:{runs[0]}"


def test_refresh_without_channels_records_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.notify.after_refresh import notify_refresh

    for name in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "PAGERDUTY_ROUTING_KEY", "AISI_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    report = notify_refresh(["no-such-run"])
    assert report.channels == [] and report.render().startswith("Alerts: no alert channel configured")
    assert not (home / "monitor" / "monitor.duckdb").exists()


# -- aisi monitor --once -------------------------------------------------------------------------


@pytest.fixture
def one_probe(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """One provider (openai), probed at the replay server, no status page; down after one failure."""
    server = ReplayServer().start()
    server.add("/openai/v1/models", b'{"object":"list","data":[{"id":"gpt-4o"}]}')
    off = ("anthropic", "google", "mistral", "cohere", "replicate", "huggingface", "openrouter")
    extra = tmp_path / "monitor.yaml"
    extra.write_text("providers:\n  openai: {status_page: null}\n" + "".join(f"  {p}: {{enabled: false}}\n" for p in off),
                     encoding="utf-8")
    monkeypatch.setenv("AISI_MONITOR_CONFIG", str(extra))
    monkeypatch.setenv("AISI_SOURCE_OPENAI_URL", server.url + "/openai")
    monkeypatch.setenv("AISI_MONITOR_DOWN_AFTER", "1")
    monkeypatch.setenv("AISI_PROBE_TIMEOUT", "5")
    yield server
    server.stop()


def test_monitor_once_cycles_trigger_then_resolve_with_one_dedup_key(
        one_probe: ReplayServer, channels_env: None, slack: Receiver, pagerduty: Receiver) -> None:
    from pipelines.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["monitor", "--once"])
    assert ok.exit_code == 0, ok.output
    assert pagerduty.posts == [] and slack.posts == []

    one_probe.routes["/openai/v1/models"].mode = "500"
    down = runner.invoke(main, ["monitor", "--once"])
    assert down.exit_code == 1, down.output  # a provider is down
    runner.invoke(main, ["monitor", "--once"])  # still down: nothing new
    one_probe.routes["/openai/v1/models"].mode = "ok"
    up = runner.invoke(main, ["monitor", "--once"])
    assert up.exit_code == 0, up.output
    runner.invoke(main, ["monitor", "--once"])

    assert events(pagerduty) == [("trigger", "aisi/provider/openai"), ("resolve", "aisi/provider/openai")]
    trigger, resolve = pagerduty.delivered()
    assert trigger["payload"]["severity"] == "critical" and trigger["payload"]["summary"].startswith("openai is down since ")
    assert set(resolve) == {"routing_key", "event_action", "dedup_key"}
    assert len(texts(slack)) == 2 and "openai is down since" in texts(slack)[0] and "openai has recovered" in texts(slack)[1]
    assert "alerts new 1, delivered 1, failed 0" in down.output


# -- the generic webhook -------------------------------------------------------------------------


def test_generic_webhook_gets_the_json_with_a_valid_signature(home: Path, hook: Receiver, monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("AISI_ALERT_WEBHOOK_URL", f"{hook.url}/PLANTEDwebhookPath")
    monkeypatch.setenv("AISI_ALERT_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("AISI_ALERT_WEBHOOK_HEADER", "Authorization: Bearer shared-PLANTED")
    channels = configured_channels()
    assert [c.route for c in channels] == ["webhook"]
    sent = note("acme:down:2026-11-22T10:00:00+00:00", "provider_down", ":red_circle: acme is down since 2026-11-22 10:00 UTC: 5xx",
                "acme")
    report = flush(open_monitor_store(home), [sent])
    assert (report.delivered, report.failed, report.channels) == (1, 0, ["webhook"])
    (post,) = hook.posts
    assert post.body == {
        "source": "aisi", "dedup_key": sent.dedup_key, "kind": "provider_down", "subject": "acme",
        "created_at": sent.created_at.isoformat(), "summary": "acme is down since 2026-11-22 10:00 UTC: 5xx", "text": sent.message,
    }
    raw = json.dumps(post.body, separators=(",", ":"), ensure_ascii=False).encode()
    assert post.headers["x-aisi-signature"] == signature(WEBHOOK_SECRET, post.headers["x-aisi-timestamp"], raw)
    assert post.headers["x-aisi-signature"] != signature("another secret", post.headers["x-aisi-timestamp"], raw)
    assert post.headers["authorization"] == "Bearer shared-PLANTED"
    assert post.headers["x-aisi-delivery"] == sent.dedup_key and post.headers["content-type"] == "application/json"
    assert post.path == "/hook/PLANTEDwebhookPath" and "PLANTEDwebhookPath" not in caplog.text  # the URL is a secret too
    assert WEBHOOK_SECRET not in stored(home) and "shared-PLANTED" not in stored(home)
    flush(open_monitor_store(home))
    assert len(hook.posts) == 1


# -- routing ------------------------------------------------------------------------------------------


def test_routing_sends_a_kind_only_where_configured(home: Path, channels_env: None, hook: Receiver, slack: Receiver,
                                                     pagerduty: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_ALERT_WEBHOOK_URL", hook.url)
    routing_file(tmp_path, monkeypatch, "routes:\n  slack: [changes_digest, daily_report]\n  pagerduty: [run_failure]\n"
                                        "  webhook: none\n")
    notes = [note("run_failure:r1", "run_failure", "*Run failed*: `catalog_job`", "catalog_job", 3),
             note("changes_digest:r1", "changes_digest", "*Catalog changes*", None, 2),
             note("acme:down:x", "provider_down", "acme is down", "acme", 1)]
    report = flush(open_monitor_store(home), notes)
    assert (report.delivered, report.failed) == (3, 0)
    assert texts(slack) == ["*Catalog changes*"]
    assert events(pagerduty) == [("trigger", "aisi/job/catalog_job")]
    assert hook.posts == []
    # A kind routed nowhere is settled, not retried.
    row = open_monitor_store(home).query("notify/notification.sql", {"dedup_key": "acme:down:x"})[0]
    assert row["delivered_at"] is not None and row["channel"] == "none"
    flush(open_monitor_store(home))
    assert len(slack.posts) == 1 and len(pagerduty.posts) == 1


def test_default_routing_and_routing_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISI_ALERT_ROUTING", raising=False)
    shipped = load_routing()  # config/alert-routing.yaml
    assert shipped == Routing()
    assert shipped.takes("slack", "daily_report") and shipped.takes("webhook", "changes_digest")
    assert shipped.takes("pagerduty", "provider_recovered") and not shipped.takes("pagerduty", "daily_report")
    assert parse({"routes": {"pagerduty": "all"}}).takes("pagerduty", "daily_report")
    with pytest.raises(RoutingError, match="unknown channel 'email'"):
        parse({"routes": {"email": "all"}})
    with pytest.raises(RoutingError, match="unknown kind\\(s\\) provider_dwn"):
        parse({"routes": {"slack": ["provider_dwn"]}})
    monkeypatch.setenv("AISI_ALERT_ROUTING", str(tmp_path / "missing.yaml"))
    with pytest.raises(RoutingError, match="does not exist"):
        load_routing()
    assert plain_text(":rotating_light: *Run failed*: `job` (run <http://x/runs/1|abcd>) &amp; more") == "Run failed: job (run abcd) & more"
    assert [retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 4, 9)] == [0, 60, 120, 240, 3600]


# -- failures: retried with backoff, never lost, never duplicated ------------------------------


def test_a_channel_answering_500_gets_it_on_the_next_flush_the_others_once(
        home: Path, channels_env: None, hook: Receiver, slack: Receiver, pagerduty: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_ALERT_WEBHOOK_URL", hook.url)
    monkeypatch.setenv("AISI_NOTIFY_RETRY_BACKOFF_S", "600")
    store = open_monitor_store(home)
    down = note("acme:down:t0", "provider_down", ":red_circle: acme is down", "acme")
    pagerduty.fail_next = 1
    first = flush(store, [down])
    assert (first.delivered, first.failed) == (0, 1)
    assert len(texts(slack)) == 1 and len(hook.delivered()) == 1 and pagerduty.delivered() == []
    row = store.query("notify/notification.sql", {"dedup_key": down.dedup_key})[0]
    assert row["delivered_at"] is None and row["last_error"] == "pagerduty: PagerDuty answered HTTP 500"
    assert {c: r["delivered_at"] is not None for c, r in deliveries(home, down.dedup_key).items()} == {
        "slack": True, "webhook": True, "pagerduty": False}

    second = flush(store)  # the next flush: PagerDuty only
    assert (second.delivered, second.failed) == (1, 0)
    assert events(pagerduty) == [("trigger", "aisi/provider/acme")]
    assert len(slack.posts) == 1 and len(hook.posts) == 1
    flush(store)
    assert len(slack.posts) == 1 and len(hook.posts) == 1 and len(pagerduty.posts) == 2
    assert deliveries(home, down.dedup_key)["pagerduty"]["attempts"] == 2

    # Failing twice in a row: then it waits (backoff) instead of hammering the channel.
    up = note("acme:recovered:t0", "provider_recovered", ":large_green_circle: acme has recovered", "acme")
    pagerduty.fail_next = 5
    flush(store, [up])
    flush(store)
    flush(store)  # within the backoff: not tried
    assert len([p for p in pagerduty.posts if p.body["event_action"] == "resolve"]) == 2
    row = store.query("notify/notification.sql", {"dedup_key": up.dedup_key})[0]
    assert row["attempts"] == 2 and row["next_attempt_at"] is not None
    pagerduty.fail_next = 0
    later = datetime.now(timezone.utc) + timedelta(minutes=11)
    assert flush(store, now=later).delivered == 1
    assert events(pagerduty)[-1] == ("resolve", "aisi/provider/acme")
    assert len(texts(slack)) == 2 and len(hook.delivered()) == 2  # the recovery once each


@pytest.mark.postgres
def test_sensor_and_cli_flushing_at_once_deliver_each_message_once(
        home: Path, channels_env: None, slack: Receiver, pagerduty: Receiver, pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.notify.channel import SlackNotifyResource
    from pipelines.notify.definitions import slack_outbox
    from pipelines.resources.monitor import MonitorStoreResource

    monkeypatch.setenv("AISI_DATABASE_URL", pg_database)
    store = open_monitor_store()
    store.ensure_migrated()
    store_notes = [note(f"run_failure:r{i}", "run_failure", f"failed {i}", f"job{i % 3}", 60 - i) for i in range(24)]
    from core.notify.outbox import record

    record(store, store_notes)
    resources = {"monitor": MonitorStoreResource(database_url=pg_database),
                 "slack_notify": SlackNotifyResource(slack_webhook_url=slack.url)}
    outcomes: list[Any] = []

    def sensor() -> None:
        with dg.build_sensor_context(resources=resources) as context:
            outcomes.append(slack_outbox(context).skip_message)

    def cli() -> None:
        own = open_monitor_store()
        try:
            outcomes.append(flush(own))
        finally:
            own.close()

    threads = [threading.Thread(target=t) for t in (sensor, cli, sensor, cli)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(texts(slack)) == sorted(f"failed {i}" for i in range(24))
    assert len(slack.posts) == 24 and len(pagerduty.posts) == 24
    assert sorted(b["payload"]["custom_details"]["notification"] for b in pagerduty.delivered()) == sorted(n.dedup_key for n in store_notes)
    with psycopg.connect(pg_database) as conn:
        counts = conn.execute("SELECT channel, count(*), sum(attempts) FROM monitor.notification_deliveries "
                              "WHERE delivered_at IS NOT NULL GROUP BY channel ORDER BY channel").fetchall()
        settled = conn.execute("SELECT count(*) FROM monitor.notifications WHERE delivered_at IS NOT NULL").fetchone()[0]
    assert counts == [("pagerduty", 24, 24), ("slack", 24, 24)] and settled == 24
    store.close()


def test_slack_bot_token_from_the_environment_posts_chat_post_message(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_notify import SlackApi

    token = "xoxb-PLANTED-cli-bot-token"
    for name in ("SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "AISI_ALERT_WEBHOOK_URL", "AISI_ALERT_ROUTING"):
        monkeypatch.delenv(name, raising=False)
    with SlackApi() as api:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
        monkeypatch.setenv("SLACK_CHANNEL", "#aisi-alerts")
        monkeypatch.setenv("AISI_SLACK_API_URL", api.url)
        store = open_monitor_store(home)
        api.error = "not_in_channel"  # refused once (HTTP 200, ok false): kept, retried on the next flush
        first = flush(store, [note("run_failure:b1", "run_failure", "*Run failed*: `catalog_job`", "catalog_job")])
        assert (first.channels, first.delivered, first.failed) == (["slack-bot"], 0, 1)
        row = store.query("notify/notification.sql", {"dedup_key": "run_failure:b1"})[0]
        assert row["last_error"] == "Slack API refused the message (HTTP 200, not_in_channel)" and row["channel"] == "slack-bot"
        assert flush(store).delivered == 1 and flush(store).delivered == 0
    assert len(api.posts) == 2 and api.posts[-1].path == "/api/chat.postMessage"
    assert api.posts[-1].headers["authorization"] == f"Bearer {token}"
    assert api.posts[-1].body["channel"] == "#aisi-alerts" and api.posts[-1].body["text"] == "*Run failed*: `catalog_job`"
    assert token not in stored(home)
