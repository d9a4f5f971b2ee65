"""Where notifications go: Slack (incoming webhook or bot token), PagerDuty Events API v2, a
generic JSON webhook, or, with none configured, the log.

Every channel has a ``route`` (the name routing and the per-channel delivery state use: ``slack``,
``pagerduty``, ``webhook``, ``log``), a ``channel`` (what ``notifications.channel`` shows, e.g.
``slack-bot``) and ``deliver(note)``, which raises on failure with a text that never holds a
secret: webhook URLs, tokens and the routing key travel only in the request.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import time
from typing import Any, Mapping, Protocol

from core.settings import Settings, settings

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
SLACK_API_URL = "https://slack.com/api/"
PAGERDUTY_SUMMARY_CHARS = 1024
# Which PagerDuty event and severity each kind makes; a kind not listed triggers with severity info.
PAGERDUTY_SEVERITY = {"provider_down": "critical", "run_failure": "error", "check_failed": "error", "source_degraded": "warning"}
RESOLVING_KINDS = {"provider_recovered": "provider_down"}
# The family of a PagerDuty dedup key per kind: what one incident is about (recovered resolves down).
INCIDENT_FAMILY = {"provider_down": "provider", "provider_recovered": "provider", "run_failure": "job",
                   "check_failed": "check", "source_degraded": "source"}


class _HideSecrets(logging.Filter):
    """Drops log records that would show a secret URL (httpx logs each request's URL at INFO)."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        return not any(secret in text for secret in self.secrets)


_HIDE = _HideSecrets()
logging.getLogger("httpx").addFilter(_HIDE)


def keep_out_of_logs(secret: str) -> None:
    """Never let ``secret`` (a webhook URL) reach a log line through httpx."""
    if secret:
        _HIDE.secrets.add(secret)


class Channel(Protocol):
    route: str
    channel: str

    def deliver(self, note: Any) -> None: ...


def plain_text(text: str) -> str:
    """A Slack mrkdwn message as plain text (PagerDuty's summary): links as their label, no
    emphasis or emoji codes, entities unescaped."""
    text = re.sub(r"<([^<>|]+)\|([^<>]+)>", r"\2", text)
    text = re.sub(r"(^|\s):[a-z0-9_+-]+:\s*", r"\1", text)
    text = text.replace("*", "").replace("`", "")
    return html.unescape(text).strip()


def _subject(note: Any) -> str:
    subject = getattr(note, "subject", None)
    if subject:
        return str(subject)
    if note.kind in ("provider_down", "provider_recovered"):
        return str(note.dedup_key).split(":", 1)[0]  # <provider>:down:<since>
    return str(note.dedup_key)


def pagerduty_dedup_key(note: Any) -> str:
    """One incident per provider (down, then recovered resolves it), per job (its failed runs),
    per source, per check: stable across events, so a resolve closes what the trigger opened."""
    family = INCIDENT_FAMILY.get(note.kind, note.kind)
    return f"aisi/{family}/{_subject(note)}"


class LogChannel:
    """No channel configured: the message goes to the log (and stays in ``notifications``)."""

    route = "log"
    channel = "log"

    def deliver(self, note: Any) -> None:
        log.warning("notification (no alert channel configured): %s", note.text())


class SlackWebhookChannel:
    """A Slack incoming webhook; the URL is a secret and never appears in errors or logs."""

    route = "slack"
    channel = "slack"

    def __init__(self, webhook_url: str, timeout_s: float = TIMEOUT_S):
        self._url = webhook_url
        self.timeout_s = timeout_s
        keep_out_of_logs(webhook_url)

    def deliver(self, note: Any) -> None:
        import httpx

        try:
            response = httpx.post(self._url, json={"text": note.text()}, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Slack webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise RuntimeError(f"Slack webhook answered HTTP {response.status_code}")


class SlackBotChannel:
    """``chat.postMessage`` to one channel with a bot token (the token only in the header)."""

    route = "slack"
    channel = "slack-bot"

    def __init__(self, token: str, slack_channel: str, api_url: str | None = None, timeout_s: float = TIMEOUT_S):
        self._token = token
        self.slack_channel = slack_channel
        self.api_url = (api_url or SLACK_API_URL).rstrip("/") + "/"
        self.timeout_s = timeout_s

    def deliver(self, note: Any) -> None:
        import httpx

        body = {"channel": self.slack_channel, "text": note.text(), "mrkdwn": True, "unfurl_links": False, "unfurl_media": False}
        try:
            response = httpx.post(self.api_url + "chat.postMessage", json=body, timeout=self.timeout_s,
                                  headers={"Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise RuntimeError(f"Slack API unreachable ({type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 300 or not isinstance(answer, dict) or not answer.get("ok"):
            error = answer.get("error") if isinstance(answer, dict) else None
            raise RuntimeError(f"Slack API refused the message (HTTP {response.status_code}, {error or 'no error code'})")


class PagerDutyChannel:
    """PagerDuty Events API v2: ``provider_recovered`` resolves, every other kind triggers, under
    ``pagerduty_dedup_key``. The routing key is a secret: in the request body only."""

    route = "pagerduty"
    channel = "pagerduty"

    def __init__(self, routing_key: str, events_url: str, timeout_s: float = TIMEOUT_S):
        self._routing_key = routing_key
        self.events_url = events_url
        self.timeout_s = timeout_s

    def event(self, note: Any) -> dict[str, Any]:
        """The event this notification makes, without the routing key."""
        dedup_key = pagerduty_dedup_key(note)
        if note.kind in RESOLVING_KINDS:
            return {"event_action": "resolve", "dedup_key": dedup_key}
        text = plain_text(note.text())
        summary = text.splitlines()[0] if text else note.kind
        created = note.created_at.isoformat() if hasattr(note.created_at, "isoformat") else str(note.created_at)
        return {
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {
                "summary": summary[:PAGERDUTY_SUMMARY_CHARS],
                "source": "aisi",
                "severity": PAGERDUTY_SEVERITY.get(note.kind, "info"),
                "component": _subject(note),
                "class": note.kind,
                "timestamp": created,
                "custom_details": {"text": text, "notification": note.dedup_key},
            },
            "client": "AI Server Information",
        }

    def deliver(self, note: Any) -> None:
        self.send(self.event(note))

    def send(self, event: Mapping[str, Any]) -> None:
        """Posts one event (``event`` without the routing key, which is added here)."""
        import httpx

        body = {"routing_key": self._routing_key, **event}
        try:
            response = httpx.post(self.events_url, json=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"PagerDuty unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise RuntimeError(f"PagerDuty answered HTTP {response.status_code}")


def webhook_body(note: Any) -> dict[str, Any]:
    """What the generic webhook receives for one notification."""
    created = note.created_at.isoformat() if hasattr(note.created_at, "isoformat") else str(note.created_at)
    return {"source": "aisi", "dedup_key": note.dedup_key, "kind": note.kind, "subject": getattr(note, "subject", None),
            "created_at": created, "summary": plain_text(note.text()).split("\n", 1)[0], "text": note.text()}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """A generic JSON webhook: the notification POSTed as JSON, with an optional shared-secret
    header and an optional HMAC signature (``X-AISI-Signature`` over ``X-AISI-Timestamp`` and the body)."""

    route = "webhook"
    channel = "webhook"

    def __init__(self, url: str, secret: str | None = None, header: tuple[str, str] | None = None, timeout_s: float = TIMEOUT_S):
        self._url = url
        self._secret = secret
        self._header = header
        self.timeout_s = timeout_s
        keep_out_of_logs(url)

    def deliver(self, note: Any) -> None:
        import httpx

        body = json.dumps(webhook_body(note), separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-AISI-Delivery": note.dedup_key, "X-AISI-Kind": note.kind}
        if self._header:
            headers[self._header[0]] = self._header[1]
        if self._secret:
            stamp = str(int(time.time()))
            headers["X-AISI-Timestamp"] = stamp
            headers["X-AISI-Signature"] = signature(self._secret, stamp, body)
        try:
            response = httpx.post(self._url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"alert webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise RuntimeError(f"alert webhook answered HTTP {response.status_code}")


def configured_channels(env: Settings | Mapping[str, str] | None = None, slack: Channel | None = None) -> list[Channel]:
    """The channels the environment configures: Slack (the bot token with ``SLACK_CHANNEL`` wins
    over the webhook; ``slack`` replaces both, e.g. the Dagster resource's), PagerDuty, the
    JSON webhook. Empty when none is."""
    s = env if isinstance(env, Settings) else settings(env)
    channels: list[Channel] = []
    if slack is not None:
        channels.append(slack)
    elif s.raw("SLACK_BOT_TOKEN") and s.raw("SLACK_CHANNEL"):
        channels.append(SlackBotChannel(s.raw("SLACK_BOT_TOKEN") or "", s.raw("SLACK_CHANNEL") or "", s.slack_api_url))
    elif s.raw("SLACK_WEBHOOK_URL"):
        channels.append(SlackWebhookChannel(s.raw("SLACK_WEBHOOK_URL") or ""))
    if s.raw("PAGERDUTY_ROUTING_KEY"):
        channels.append(PagerDutyChannel(s.raw("PAGERDUTY_ROUTING_KEY") or "", s.pagerduty_events_url))
    if s.alert_webhook_url:
        channels.append(WebhookChannel(s.alert_webhook_url, s.alert_webhook_secret, s.alert_webhook_header))
    return channels


def channels_or_log(channels: list[Channel]) -> list[Channel]:
    """``channels``, or the log when there are none (the outbox still records every message)."""
    return channels or [LogChannel()]
