"""The notify and maintenance definitions load beside the catalog's, and secrets stay EnvVars."""

from __future__ import annotations

import dagster as dg
import pytest

from core.notify.channels import LogChannel
from pipelines.notify.channel import SlackBotSink, SlackNotifyResource, slack_notify_from_environment


def _definitions() -> dg.Definitions:
    from pipelines.definitions import build_definitions

    return build_definitions()


@pytest.mark.parametrize("area", ["catalog", "monitor", "notify", "maintenance", "history"])
def test_each_area_hands_its_own_loadable_definitions(area: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.delenv("AISI_DATABASE_URL", raising=False)
    defs = importlib.import_module(f"pipelines.{area}.definitions").definitions()
    assert isinstance(defs, dg.Definitions)
    dg.Definitions.validate_loadable(defs)


def test_autostart_is_decided_per_area_in_one_place(tmp_path) -> None:
    """AISI_<AREA>_AUTOSTART=1 starts that area's schedules and sensors, and only those."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import json, dagster as dg\n"
        "from pipelines.definitions import build_definitions\n"
        "repo = build_definitions().get_repository_def()\n"
        "print(json.dumps({**{s.name: s.default_status.value for s in repo.schedule_defs},"
        " **{s.name: s.default_status.value for s in repo.sensor_defs}}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_AUTOSTART")}
    env.update(AISI_HOME=str(tmp_path), AISI_NOTIFY_AUTOSTART="1", AISI_CATALOG_AUTOSTART="yes")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    status = json.loads(out.strip().splitlines()[-1])
    running = {name for name, value in status.items() if value == "RUNNING"}
    assert running == {"daily_report_0800", "slack_run_failures", "slack_catalog_updates", "slack_outbox", "catalog_automation",
                       *(name for name in status if name.startswith("sources_"))}
    assert status["maintenance_daily_0300"] == status["probe_every_minute"] == status["provider_alerts"] == "STOPPED"


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
    assert isinstance(slack_notify_from_environment().sink(), LogChannel)
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

    from core.availability.alerts import SlackWebhookSink

    bot = SlackResource(token="xoxb-t")
    assert isinstance(SlackNotifyResource(slack=bot, slack_channel="#a", slack_webhook_url="https://x").sink(), SlackBotSink)
    assert isinstance(SlackNotifyResource(slack=bot, slack_webhook_url="https://x").sink(), SlackWebhookSink)  # no channel
    assert isinstance(SlackNotifyResource(slack_webhook_url="https://x").sink(), SlackWebhookSink)
    assert isinstance(SlackNotifyResource().sink(), LogChannel)
