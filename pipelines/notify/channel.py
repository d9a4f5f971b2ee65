"""Where notifications go: a Slack incoming webhook (``SLACK_WEBHOOK_URL``), the Slack Web API
through dagster-slack's ``SlackResource`` (``SLACK_BOT_TOKEN`` + ``SLACK_CHANNEL``), PagerDuty and
the JSON webhook (``core.notify.channels``, from the environment), or, with none, the log (the
outbox still records every message).

The webhook URL and the token are secrets: they reach this resource as ``dagster.EnvVar`` (resolved
at run time, never stored in the run config), travel only in the request (the URL, a header), and
never appear in an error text, a log line or the ``notifications`` table.
"""

from __future__ import annotations

from typing import Any, Optional

import dagster as dg
from dagster_slack import SlackResource

from core.availability.alerts import SlackWebhookSink
from core.notify.channels import LogChannel
from core.settings import settings


class SlackBotSink:
    """``chat.postMessage`` to one channel with a bot token, through ``SlackResource``'s client."""

    route = "slack"
    channel = "slack-bot"

    def __init__(self, slack: SlackResource, slack_channel: str, api_url: str | None = None, timeout_s: int = 10):
        self._slack = slack
        self.slack_channel = slack_channel
        self.api_url = api_url
        self.timeout_s = timeout_s

    def client(self) -> Any:
        client = self._slack.get_client()
        if self.api_url:  # a Slack-compatible endpoint (a gateway, or a local receiver in tests)
            client.base_url = self.api_url if self.api_url.endswith("/") else self.api_url + "/"
        client.timeout = self.timeout_s
        return client

    def deliver(self, alert: Any) -> None:
        from slack_sdk.errors import SlackApiError

        try:
            self.client().chat_postMessage(channel=self.slack_channel, text=alert.text(), mrkdwn=True,
                                           unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            response = exc.response
            error = response.get("error") if isinstance(response.data, dict) else None
            raise RuntimeError(f"Slack API refused the message (HTTP {response.status_code}, {error or 'no error code'})") from None
        except Exception as exc:
            raise RuntimeError(f"Slack API unreachable ({type(exc).__name__})") from None


class SlackNotifyResource(dg.ConfigurableResource):
    """Slack for the platform's notifications. The bot token (``slack``) with ``slack_channel``
    wins when both are set; else the incoming webhook; else the log."""

    slack_webhook_url: Optional[str] = None
    slack: Optional[SlackResource] = None
    slack_channel: Optional[str] = None
    slack_api_url: Optional[str] = None
    dagster_url: Optional[str] = None  # None: AISI_DAGSTER_URL (core.settings)
    digest_top: Optional[int] = None  # None: AISI_SLACK_DIGEST_TOP

    def sink(self) -> Any:
        if self.slack is not None and self.slack.token and self.slack_channel:
            return SlackBotSink(self.slack, self.slack_channel, self.slack_api_url)
        if self.slack_webhook_url:
            return SlackWebhookSink(self.slack_webhook_url)
        return LogChannel()

    def channels(self) -> list[Any]:
        """Every alert channel: this resource's Slack, and PagerDuty and the JSON webhook as the
        environment configures them (``core.notify.channels``); the log when there is none."""
        from core.notify.channels import configured_channels

        slack = self.sink()
        found = configured_channels(slack=None if isinstance(slack, LogChannel) else slack)
        if isinstance(slack, LogChannel):  # the environment's Slack is this resource's: none configured
            found = [c for c in found if c.route != "slack"]
        return found or [slack]

    def run_url(self, run_id: str) -> str:
        return f"{(self.dagster_url or settings().dagster_url).rstrip('/')}/runs/{run_id}"

    def top(self) -> int:
        """How many price changes and new models a digest lists."""
        return self.digest_top if self.digest_top is not None else settings().slack_digest_top


def slack_notify_from_environment() -> SlackNotifyResource:
    """The resource as the environment configures it; secrets as EnvVars (read at run time)."""
    env = settings()
    fields: dict[str, Any] = {"dagster_url": env.dagster_url, "digest_top": env.slack_digest_top}
    if env.raw("SLACK_BOT_TOKEN") and env.raw("SLACK_CHANNEL"):
        fields["slack"] = SlackResource(token=dg.EnvVar("SLACK_BOT_TOKEN"))
        fields["slack_channel"] = dg.EnvVar("SLACK_CHANNEL")
        if env.slack_api_url:
            fields["slack_api_url"] = env.slack_api_url
    if env.raw("SLACK_WEBHOOK_URL"):
        fields["slack_webhook_url"] = dg.EnvVar("SLACK_WEBHOOK_URL")
    return SlackNotifyResource(**fields)
