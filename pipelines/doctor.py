"""``aisi doctor``: the runbook's health check in one report. The Dagster-free checks live in
``core/doctor.py``; here are the ones that need the pipelines' parts: Chromium launched the way
the browser resource launches it, the alert channels built by the notify area (``--notify-test``
posts a real message through each), and the recent runs of the Dagster instance.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import dagster as dg

from core.doctor import (
    FAIL,
    OK,
    SKIP,
    WARN,
    CheckResult,
    disk_check,
    key_checks,
    postgres_check,
    redacted,
    secret_values,
    snapshot_check,
    source_checks,
    warehouse_check,
)
from core.paths import aisi_home, dagster_home
from core.settings import settings
from core.sources.registry import ALL_SOURCES
from core.sources.spec import is_chosen
from pipelines.resources.browser import CHROMIUM_ARGS

CHROMIUM_TIMEOUT_S = 20.0
CHANNEL_TIMEOUT_S = 10.0
RUNS_WINDOW = timedelta(hours=24)
RUNS_LOOKED_AT = 500


def chromium_check(timeout_s: float = CHROMIUM_TIMEOUT_S) -> CheckResult:
    """The Chromium of ``AISI_CHROMIUM`` started headless by Playwright (as the pricing pages
    start it) and closed. Missing is a failure when a rendered source runs, else a warning."""
    path = settings().chromium
    rendered = [m.SPEC.name for m in ALL_SOURCES if m.SPEC.rendered and is_chosen(m.SPEC.name)]
    needed = FAIL if rendered else WARN
    why = f"the pricing pages ({', '.join(rendered)}) fall back to cached" if rendered else "no rendered source runs now"
    if not Path(path).is_file():
        return CheckResult("chromium", needed, f"{path} not found: {why}",
                           "install Debian's `chromium` package, or point AISI_CHROMIUM at a Chromium binary")
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True, timeout=timeout_s * 1000)
            try:
                version = browser.version
            finally:
                browser.close()
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return CheckResult("chromium", needed, f"{path} could not start within {timeout_s:g} s: {first} ({why})",
                           "run it by hand (`chromium --headless --no-sandbox --dump-dom about:blank`) to see why")
    return CheckResult("chromium", OK, f"{path} starts headless (Chromium {version})")


# What each channel (by route) is called in the doctor's messages, and the variable that sets its URL.
CHANNEL_NAMES = {"slack": "Slack webhook", "pagerduty": "PagerDuty Events API", "webhook": "alert webhook"}
CHANNEL_URLS = {"slack": "SLACK_WEBHOOK_URL", "pagerduty": "AISI_PAGERDUTY_EVENTS_URL", "webhook": "AISI_ALERT_WEBHOOK_URL"}
NO_CHANNEL = "SLACK_WEBHOOK_URL, SLACK_BOT_TOKEN + SLACK_CHANNEL, PAGERDUTY_ROUTING_KEY, AISI_ALERT_WEBHOOK_URL"


def alert_channels() -> list[Any]:
    """Every channel the notify area posts through (Slack, PagerDuty, the JSON webhook), as the
    environment configures them, secrets resolved; the log alone when none is configured."""
    from pipelines.notify.channel import slack_notify_from_environment

    with dg.build_resources({"slack_notify": slack_notify_from_environment()}) as resources:
        return resources.slack_notify.channels()


def _host_reachable(check: str, route: str, url: str) -> CheckResult:
    """The channel's host answers a GET (any HTTP status): nothing is posted, no key is judged."""
    import httpx

    parsed = httpx.URL(url)
    host = f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
    what = CHANNEL_NAMES[route]
    try:
        answer = httpx.get(url, timeout=CHANNEL_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return CheckResult(check, FAIL, f"{what} host {host} unreachable ({type(exc).__name__})",
                           f"check the network to {host}, or {CHANNEL_URLS[route]}")
    return CheckResult(check, OK, f"{what} host {host} reachable (HTTP {answer.status_code} to a GET); "
                                  "`aisi doctor --notify-test` posts a test message")


def _slack_bot_accepted(check: str, sink: Any) -> CheckResult:
    """A Slack bot token checked with ``auth.test`` (nothing is posted to the channel)."""
    from slack_sdk.errors import SlackApiError

    try:
        answer = sink.client().auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        return CheckResult(check, FAIL, f"Slack bot token rejected ({error or f'HTTP {exc.response.status_code}'})",
                           "put a valid bot token in SLACK_BOT_TOKEN (scope chat:write) and invite the app to SLACK_CHANNEL")
    except Exception as exc:
        return CheckResult(check, FAIL, f"Slack API unreachable ({type(exc).__name__})",
                           "check the network to slack.com (or AISI_SLACK_API_URL)")
    team = answer.get("team") if isinstance(answer.data, dict) else None
    return CheckResult(check, OK, f"Slack bot token accepted{f' (team {team})' if team else ''}, posting to {sink.slack_channel}; "
                                  "`aisi doctor --notify-test` posts a test message")


def _channel_reachable(check: str, sink: Any) -> CheckResult:
    """Without posting: a bot token is checked with ``auth.test``; a webhook's or PagerDuty's host must answer."""
    if sink.channel == "slack-bot":
        return _slack_bot_accepted(check, sink)
    env = settings()
    url = {"slack": env.raw("SLACK_WEBHOOK_URL"), "pagerduty": env.pagerduty_events_url, "webhook": env.alert_webhook_url}
    return _host_reachable(check, sink.route, url[sink.route] or "")


def _test_message(check: str, sink: Any) -> CheckResult:
    """A real test message through ``sink``. On PagerDuty the test incident it opens is resolved at once."""
    from core.notify.channels import pagerduty_dedup_key
    from core.notify.outbox import Notification

    now = datetime.now(timezone.utc)
    host = socket.gethostname()
    text = f":stethoscope: aisi doctor test message from {host} at {now:%Y-%m-%d %H:%M:%S}Z: alerts reach this channel."
    note = Notification(f"doctor_test:{now.isoformat()}", "doctor_test", text, now, subject=f"doctor/{host}")
    incident = pagerduty_dedup_key(note) if sink.route == "pagerduty" else None
    try:
        sink.deliver(note)
        if incident:
            sink.send({"event_action": "resolve", "dedup_key": incident})
    except Exception as exc:
        return CheckResult(check, FAIL, f"test message not delivered via {sink.channel}: {exc}",
                           "check the webhook / token / routing key and the channel; the outbox keeps real alerts until delivery works")
    if incident:
        return CheckResult(check, OK, f"test incident {incident} triggered and resolved via pagerduty: look for it in PagerDuty")
    return CheckResult(check, OK, f"test message posted via {sink.channel}: look for it in the channel")


def alert_checks(notify_test: bool = False) -> list[CheckResult]:
    """One line per configured alert channel (``alerts:slack``, ``alerts:pagerduty``,
    ``alerts:webhook``), each reachable; with ``notify_test`` a real test message posted through
    each. One ``alerts`` line when none is configured (alerts go to the log)."""
    try:
        channels = alert_channels()
    except Exception as exc:
        return [CheckResult("alerts", FAIL, f"the alert channels could not be set up: {type(exc).__name__}",
                            f"check {NO_CHANNEL}")]
    channels = [c for c in channels if c.route != "log"]
    if not channels:
        if notify_test:
            return [CheckResult("alerts", WARN, "no alert channel configured: no test message sent (alerts go to the log only)",
                                f"set one of {NO_CHANNEL}")]
        return [CheckResult("alerts", SKIP, f"not configured ({NO_CHANNEL} unset): alerts go to the log")]
    check = _test_message if notify_test else _channel_reachable
    return [check(f"alerts:{sink.route}", sink) for sink in channels]


def _step_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """``step: innermost error`` for each failed step of the run, else its run failure message."""
    errors: list[str] = []
    for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records:
        event = record.event_log_entry.dagster_event
        data = event.step_failure_data if event is not None else None
        error = data.error if data is not None else None
        while error is not None and error.cause is not None:
            error = error.cause
        message = (error.message if error is not None else record.event_log_entry.user_message or "failed").strip()
        errors.append(f"{event.step_key if event else '?'}: {message.splitlines()[0] if message else 'failed'}")
    if not errors:
        for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records:
            message = (record.event_log_entry.user_message or "").strip()
            if message:
                errors.append(message.splitlines()[0])
    return errors


def runs_check(now: datetime | None = None) -> CheckResult:
    """The Dagster instance's runs of the last day: a job whose latest run failed is a failure,
    failures since fixed by a later success a warning."""
    now = now or datetime.now(timezone.utc)
    if not (dagster_home() / "dagster.yaml").is_file():
        return CheckResult("runs", SKIP, f"no Dagster instance yet ({dagster_home()}): nothing has run on this home")
    try:
        instance = dg.DagsterInstance.get()
        records = instance.get_run_records(filters=dg.RunsFilter(updated_after=now - RUNS_WINDOW), limit=RUNS_LOOKED_AT)
    except Exception as exc:
        return CheckResult("runs", FAIL, f"the Dagster instance in {dagster_home()} not readable: {type(exc).__name__}: {exc}",
                           "check its storage (SQLite files there, or AISI_DAGSTER_PG_URL)")
    finished = [r for r in records if r.dagster_run.status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)]
    failed = [r for r in finished if r.dagster_run.status == dg.DagsterRunStatus.FAILURE]
    if not failed:
        return CheckResult("runs", OK, f"{len(records)} run(s) in the last 24 h, none failed")
    latest: dict[str, Any] = {}
    for record in sorted(finished, key=lambda r: r.update_timestamp):
        latest[record.dagster_run.job_name] = record
    still = sorted({job for job, r in latest.items() if r.dagster_run.status == dg.DagsterRunStatus.FAILURE})
    newest = max(failed, key=lambda r: r.update_timestamp)
    errors = _step_errors(instance, newest.dagster_run.run_id)
    detail = f"; newest: {newest.dagster_run.job_name} run {newest.dagster_run.run_id[:8]}: {'; '.join(errors[:3]) or 'no error recorded'}"
    count = f"{len(failed)} failed run(s) of {len(records)} in the last 24 h"
    if still:
        return CheckResult("runs", FAIL, f"{count}, still failing: {', '.join(still)}{detail}",
                           f"open the run in the Dagster UI ({settings().dagster_url.rstrip('/')}/runs/{newest.dagster_run.run_id}) "
                           "and fix its error; the next good run clears this")
    return CheckResult("runs", WARN, f"{count}, each job's latest run succeeded since{detail}",
                       "nothing to do unless it recurs; the run's error is in the Dagster UI")


# The checks by group, in report order (``aisi doctor --only GROUP``).
GROUPS: dict[str, Callable[[Path, bool], list[CheckResult]]] = {
    "keys": lambda home, notify_test: key_checks(),
    "postgres": lambda home, notify_test: [postgres_check(settings().database_url)],
    "warehouse": lambda home, notify_test: [warehouse_check(home, settings().database_url)],
    "snapshot": lambda home, notify_test: [snapshot_check(home)],
    "sources": lambda home, notify_test: source_checks(home, settings().database_url),
    "chromium": lambda home, notify_test: [chromium_check()],
    "alerts": lambda home, notify_test: alert_checks(notify_test),
    "disk": lambda home, notify_test: [disk_check(home)],
    "runs": lambda home, notify_test: [runs_check()],
}


def run_checks(notify_test: bool = False, only: Iterable[str] = ()) -> list[CheckResult]:
    """Every check (or those of the groups ``only`` names) in report order, secrets removed from their text."""
    home = aisi_home()
    chosen = set(only)
    results: list[CheckResult] = []
    for group, run in GROUPS.items():
        if chosen and group not in chosen:
            continue
        try:
            results += run(home, notify_test)
        except Exception as exc:  # a check that breaks is a failed line, never a traceback hiding the others
            first = (str(exc).strip().splitlines() or [""])[0]
            results.append(CheckResult(group, FAIL, f"the check could not run: {type(exc).__name__}: {first}",
                                       "run `aisi doctor --only " + group + "` again; if it persists, it is a bug to report"))
    return redacted(results, secret_values())
