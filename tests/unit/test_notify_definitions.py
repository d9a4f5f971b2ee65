"""The notify and maintenance definitions load beside the catalog's, and secrets stay EnvVars."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.notify.channel import LogNotificationSink, SlackBotSink, SlackNotifyResource, slack_notify_from_environment


def _definitions() -> dg.Definitions:
    from assets.availability.assets import availability_checks, status_pages
    from pipelines.catalog import all_assets, cadence_schedules, catalog_job, default_resources
    from pipelines.maintenance import maintenance_definitions
    from pipelines.monitor import monitor_resources, monitor_schedules, probe_job, provider_alerts, status_job
    from pipelines.notify import notify_definitions

    n, m = notify_definitions(), maintenance_definitions()
    for part in (n, m):
        assert set(part) == {"jobs", "schedules", "sensors", "resources", "assets"}
    return dg.Definitions(
        assets=[*all_assets(), status_pages, availability_checks, *n["assets"], *m["assets"]],
        jobs=[catalog_job, status_job, probe_job, *n["jobs"], *m["jobs"]],
        schedules=[*cadence_schedules(), *monitor_schedules(), *n["schedules"], *m["schedules"]],
        sensors=[provider_alerts, *n["sensors"], *m["sensors"]],
        resources={**default_resources(), **monitor_resources(), **n["resources"], **m["resources"]},
    )


def test_definitions_load_with_the_catalog_and_monitor(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "AISI_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    defs = _definitions()
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    assert {"daily_report_job", "maintenance_job"} <= {j.name for j in repo.get_all_jobs()}
    schedules = {s.name: s for s in repo.schedule_defs}
    assert schedules["daily_report_0800"].cron_schedule == "0 8 * * *"
    assert schedules["maintenance_daily_0300"].cron_schedule == "0 3 * * *"
    for name in ("daily_report_0800", "maintenance_daily_0300"):
        assert schedules[name].execution_timezone == "UTC"
        assert schedules[name].default_status == dg.DefaultScheduleStatus.STOPPED
    sensors = {s.name: s for s in repo.sensor_defs}
    assert {"slack_run_failures", "slack_catalog_updates", "slack_outbox"} <= set(sensors)


def test_secrets_are_env_vars_and_the_channel_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "AISI_DAGSTER_URL", "AISI_SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(slack_notify_from_environment().sink(), LogNotificationSink)
    assert slack_notify_from_environment().run_url("r1") == "http://127.0.0.1:3000/runs/r1"

    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/secret")
    monkeypatch.setenv("AISI_DAGSTER_URL", "https://dagster.example/")
    resource = slack_notify_from_environment()
    assert isinstance(resource.slack_webhook_url, dg.EnvVar) and resource.slack_webhook_url.env_var_name == "SLACK_WEBHOOK_URL"
    assert resource.run_url("r1") == "https://dagster.example/runs/r1"

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("SLACK_CHANNEL", "#alerts")
    resource = slack_notify_from_environment()
    assert resource.slack is not None and isinstance(resource.slack.token, dg.EnvVar)
    assert resource.slack.token.env_var_name == "SLACK_BOT_TOKEN"

    # Resolved by Dagster at run time: the bot token (with a channel) wins over the webhook.
    seen: dict[str, object] = {}

    @dg.op
    def which(slack_notify: SlackNotifyResource) -> None:
        sink = slack_notify.sink()
        seen.update(sink=type(sink).__name__, channel=getattr(sink, "slack_channel", None))

    @dg.job
    def probe_resource() -> None:
        which()

    assert probe_resource.execute_in_process(resources={"slack_notify": resource}).success
    assert seen == {"sink": "SlackBotSink", "channel": "#alerts"}


def test_sink_choice() -> None:
    from dagster_slack import SlackResource

    from assets.availability.alerts import SlackWebhookSink

    bot = SlackResource(token="xoxb-t")
    assert isinstance(SlackNotifyResource(slack=bot, slack_channel="#a", slack_webhook_url="https://x").sink(), SlackBotSink)
    assert isinstance(SlackNotifyResource(slack=bot, slack_webhook_url="https://x").sink(), SlackWebhookSink)  # no channel
    assert isinstance(SlackNotifyResource(slack_webhook_url="https://x").sink(), SlackWebhookSink)
    assert isinstance(SlackNotifyResource().sink(), LogNotificationSink)
