"""`aisi doctor` on real homes: one refreshed against the replay server (healthy), one whose
litellm route is missing (the source fails), provider APIs replayed with planted keys (one
wrong key answers 401), PostgreSQL down and unmigrated, a local Slack receiver, a failed
Dagster run, and real Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
from click.testing import CliRunner

from tests.aisi_process import REPO, child_env
from tests.conftest import FIXTURES, PLANTED_KEYS, PROVIDER_APIS, SOURCE_ROUTES, api_page, free_port, isolate
from tests.receiver import Receiver
from tests.replay import ReplayServer

pytestmark = pytest.mark.slow

AGGREGATORS = "openrouter,models_dev,litellm"
WRONG_KEY = "sk-proj-WRONGdoctorKey5e6f7a8b9c0d1e2f"
PG_PASSWORD = "doctorSecretPassw0rd"


@dataclass
class Home:
    path: Path
    replay: ReplayServer
    env: dict[str, str]  # the environment it was refreshed with, provider APIs and their keys added


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """A home refreshed once against the replay server (the aggregators), then the seven
    provider APIs added to the replay server, each requiring its planted key (set)."""
    from tests.test_api import run_refresh

    home = tmp_path_factory.mktemp("doctor") / "data"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        replay = ReplayServer().start()
        try:
            for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
                replay.add(prefix + path, FIXTURES / fixture)
                mp.setenv(f"AISI_SOURCE_{env_name}_URL", replay.url + prefix)
                mp.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "2")
            mp.setenv("AISI_SOURCES", AGGREGATORS)
            mp.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
            run_refresh()
            for api in PROVIDER_APIS:
                key = PLANTED_KEYS[api.key_variable]
                for target, fixture in api.pages:
                    replay.add(target, api_page(api, fixture, replay.url), require=api.auth(key))
                mp.setenv(f"AISI_SOURCE_{api.env_name}_URL", replay.url + api.prefix)
                mp.setenv(f"AISI_SOURCE_{api.env_name}_TIMEOUT", "2")
                mp.setenv(api.key_variable, key)
            # Thresholds the test machine's disk is sure to pass (the disk test sets its own).
            mp.setenv("AISI_DOCTOR_DISK_WARN_GB", "0.01")
            mp.setenv("AISI_DOCTOR_DISK_FAIL_GB", "0.001")
            yield Home(home, replay, dict(os.environ))
        finally:
            replay.stop()


@pytest.fixture(scope="module")
def failing(healthy: Home) -> Iterator[Home]:
    """The same home once litellm's route is gone and litellm is refreshed again: it fails and
    serves its last good payload (badge cached). Requested after the healthy home's tests."""
    from tests.test_api import run_refresh

    del healthy.replay.routes[SOURCE_ROUTES["LITELLM"][0] + SOURCE_ROUTES["LITELLM"][1]]
    with pytest.MonkeyPatch.context() as mp:
        use(healthy, mp)
        run_refresh("litellm")
    yield healthy


def use(home: Home, mp: pytest.MonkeyPatch, **extra: str) -> None:
    """This test's environment: the home's, plus ``extra``."""
    secret_names = {api.key_variable for api in PROVIDER_APIS} | {"SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL"}
    for name in list(os.environ):
        if name not in home.env and (name.startswith("AISI_") or name in secret_names):
            mp.delenv(name)
    for name, value in {**home.env, **extra}.items():
        mp.setenv(name, value)


def doctor(*args: str) -> tuple[int, str]:
    """`aisi doctor ARGS` in this process (the click command itself); (exit code, output)."""
    from pipelines.cli import main

    result = CliRunner().invoke(main, ["doctor", *args], catch_exceptions=False)
    return result.exit_code, result.output


def checks(output: str) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in json.loads(output)}


def secrets_absent(output: str, *extra: str) -> None:
    for secret in [*PLANTED_KEYS.values(), *extra]:
        assert secret not in output
        assert secret[4:16] not in output  # not even partly


def test_healthy_home_is_all_ok_and_exits_0(healthy: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    with Receiver() as slack:
        use(healthy, monkeypatch, SLACK_WEBHOOK_URL=slack.url)
        code, output = doctor("--json")
        assert slack.posts == []  # reachability only: nothing posted without --notify-test
    found = checks(output)
    assert code == 0, output
    assert {c["status"] for c in found.values()} <= {"ok", "skip"}
    # Every planted key tried once against its replayed API and accepted.
    for api in PROVIDER_APIS:
        line = found[f"key:{api.source}"]
        assert line["status"] == "ok" and f"{api.key_variable} accepted by 127.0.0.1:" in line["message"]
        assert healthy.replay.seen(api.path), api.source
    assert found["key:artificial_analysis"]["status"] == "skip"
    assert "not configured (ARTIFICIAL_ANALYSIS_API_KEY unset)" in found["key:artificial_analysis"]["message"]
    with duckdb.connect(str(healthy.path / "snapshots" / "latest.duckdb"), read_only=True) as con:
        models, snapshot_id = con.execute("SELECT (SELECT count(*) FROM models), (SELECT max(snapshot_id) FROM publishes)").fetchone()
        runs = dict(con.execute("SELECT source, status FROM source_runs").fetchall())
    assert f"{models} models, last publish {snapshot_id}" in found["snapshot"]["message"]
    assert f"{models} models" in found["warehouse"]["message"]
    for source in AGGREGATORS.split(","):
        line = found[f"source:{source}"]
        assert runs[source] == "ok" and line["status"] == "ok"
        assert line["message"].startswith("ok, badge aggregator,") and "cadence 0 * * * *" in line["message"]
    assert found["source:model_defaults"]["status"] == "ok"
    skipped = found["sources:skipped"]  # not among AISI_SOURCES: skipped, not a failure
    assert skipped["status"] == "skip" and "not in AISI_SOURCES: anthropic, anthropic_pricing," in skipped["message"]
    assert skipped["message"].startswith(f"{len(runs) - 4} skipped (not configured: not a failure): ")
    assert found["postgres"]["status"] == "skip"
    assert found["chromium"]["status"] == "ok" and "starts headless (Chromium " in found["chromium"]["message"]
    assert found["alerts:slack"]["status"] == "ok" and "Slack webhook host 127.0.0.1:" in found["alerts:slack"]["message"]
    assert "alerts" not in found and not any(c.startswith("alerts:") and c != "alerts:slack" for c in found)
    assert found["disk"]["status"] == "ok" and "GB free" in found["disk"]["message"]
    assert found["runs"]["status"] == "ok" and "none failed" in found["runs"]["message"]
    secrets_absent(output)


def test_json_shape_and_text_report(healthy: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    use(healthy, monkeypatch, AISI_DOCTOR_DISK_WARN_GB="1000000")
    code, output = doctor("--json")
    listed = json.loads(output)
    assert isinstance(listed, list) and listed
    for item in listed:
        assert set(item) == {"check", "status", "message", "hint"}
        assert item["status"] in ("ok", "warn", "fail", "skip") and item["message"]
        assert (item["hint"] is not None) == (item["status"] in ("warn", "fail"))
    disk = checks(output)["disk"]
    assert code == 1 and disk["status"] == "warn" and "under 1e+06 GB" in disk["message"]
    assert [i["check"] for i in listed if i["status"] in ("warn", "fail")] == ["disk"]

    code, text = doctor()
    assert code == 1
    lines = text.splitlines()
    assert lines[-1].startswith("0 failed, 1 warnings, ")
    disk_line = next(i for i, line in enumerate(lines) if line.split()[:2] == ["warn", "disk"])
    assert lines[disk_line + 1].strip().startswith("-> free some space")
    assert any(line.split()[:2] == ["ok", "source:openrouter"] for line in lines)

    monkeypatch.setenv("AISI_DOCTOR_DISK_FAIL_GB", "999999")
    code, output = doctor("--json", "--only", "disk")
    assert code == 2 and checks(output)["disk"]["status"] == "fail"
    secrets_absent(output + text)


def test_home_with_a_failing_source_fails_and_says_what_to_do(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    use(failing, monkeypatch)
    code, output = doctor("--json")
    found = checks(output)
    assert code == 2, output
    litellm = found["source:litellm"]
    assert litellm["status"] == "fail"
    with duckdb.connect(str(failing.path / "snapshots" / "latest.duckdb"), read_only=True) as con:
        rows, fetched = con.execute("SELECT rows, payload_fetched_at FROM source_runs WHERE source = 'litellm' "
                                    "ORDER BY started_at DESC LIMIT 1").fetchone()
    assert litellm["message"].startswith(f"cached, badge cached, {rows} rows, last run ")
    assert rows > 0
    assert f"failed: HTTP 404; serving the last good payload from {fetched:%Y-%m-%d %H:%M}Z as cached" in litellm["message"]
    assert "AISI_SOURCE_LITELLM_URL" in litellm["hint"] and "aisi refresh --source litellm" in litellm["hint"]
    assert [c for c, v in found.items() if v["status"] == "fail"] == ["source:litellm"]
    assert found["source:openrouter"]["status"] == "ok" and found["source:models_dev"]["status"] == "ok"
    secrets_absent(output)


def test_the_real_command_exits_2_on_the_failing_home(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    use(failing, monkeypatch)
    # `python -m pipelines.cli` from the repository: this checkout's code, whatever the venv's entry point says.
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "doctor"], cwd=REPO, env=child_env(), capture_output=True,
                          text=True, timeout=180)
    described = f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}"
    print(done.stdout)  # the report, for whoever runs this test with -s
    assert done.returncode == 2, described
    lines = [line for line in done.stdout.splitlines() if line.startswith("fail  source:litellm")]
    assert len(lines) == 1 and "HTTP 404" in lines[0], described
    assert done.stdout.splitlines()[-1].startswith("1 failed, 0 warnings, "), described
    secrets_absent(done.stdout + done.stderr)


def test_wrong_key_is_rejected_and_never_shown(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    use(failing, monkeypatch, OPENAI_API_KEY=WRONG_KEY, AISI_SOURCE_MISTRAL_URL=dead)
    code, output = doctor("--json", "--only", "keys")
    found = checks(output)
    assert code == 2
    openai = found["key:openai"]
    assert openai["status"] == "fail"
    assert openai["message"] == f"OPENAI_API_KEY rejected by {failing.replay.url.split('//')[1]} (HTTP 401): key rejected"
    assert "put a valid key in OPENAI_API_KEY" in openai["hint"]
    # The wrong key really went to the API, in its header, once.
    sent = [s.headers.get("authorization") for s in failing.replay.seen("/openai/v1/models")]
    assert sent[-1] == f"Bearer {WRONG_KEY}"
    mistral = found["key:mistral"]
    assert mistral["status"] == "warn" and f"{dead.split('//')[1]} did not answer" in mistral["message"]
    assert found["key:anthropic"]["status"] == "ok"
    assert {c.split(":")[0] for c in found} == {"key"}
    _, text = doctor("--only", "keys")
    secrets_absent(output + text, WRONG_KEY)


def test_postgres_down_fails_without_showing_the_password(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    use(failing, monkeypatch, AISI_DATABASE_URL=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{port}/aisi")
    code, output = doctor("--json", "--only", "postgres", "--only", "warehouse", "--only", "sources", "--only", "snapshot")
    found = checks(output)
    assert code == 2
    assert found["postgres"]["status"] == "fail"
    assert found["postgres"]["message"].startswith(f"PostgreSQL at 127.0.0.1:{port}/aisi unreachable: ")
    assert "AISI_DATABASE_URL" in found["postgres"]["hint"]
    assert found["warehouse"]["status"] == "fail" and found["sources"]["status"] == "fail"
    secrets_absent(output, PG_PASSWORD)


@pytest.mark.postgres
def test_postgres_reachable_then_migrated(failing: Home, monkeypatch: pytest.MonkeyPatch, pg_database: str) -> None:
    from core.stores.warehouse import PostgresWarehouse, migration_files

    use(failing, monkeypatch, AISI_DATABASE_URL=pg_database)
    pg_checks = ("--json", "--only", "postgres", "--only", "warehouse", "--only", "sources")
    found = checks(doctor(*pg_checks)[1])
    assert found["postgres"]["status"] == "fail"
    assert "reachable, not migrated: schema curated missing" in found["postgres"]["message"]
    assert "aisi refresh" in found["postgres"]["hint"]

    PostgresWarehouse(pg_database).migrate()
    found = checks(doctor(*pg_checks)[1])
    assert found["postgres"]["status"] == "ok"
    assert found["postgres"]["message"].endswith(f"schema curated migrated ({len(migration_files())} migrations)")
    assert found["warehouse"]["status"] == "warn" and "0 models, never published" in found["warehouse"]["message"]
    # Nothing published in PostgreSQL yet: every chosen source never ran there.
    assert found["source:openrouter"]["status"] == "warn" and found["source:openrouter"]["message"].startswith("never ran")


def test_notify_test_posts_one_real_message_and_a_dead_webhook_fails(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    with Receiver() as slack:
        use(failing, monkeypatch, SLACK_WEBHOOK_URL=slack.url)
        code, output = doctor("--json", "--notify-test", "--only", "alerts")
        assert code == 0
        alerts = checks(output)["alerts:slack"]
        assert alerts == {"check": "alerts:slack", "status": "ok", "message": "test message posted via slack: look for it in the channel",
                          "hint": None}
        delivered = slack.delivered()
        assert len(delivered) == 1 and "aisi doctor test message" in delivered[0]["text"]
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/services/T0/B0/doctorWebhookSecret")
    code, output = doctor("--json", "--only", "alerts")
    found = checks(output)
    assert code == 2 and found["alerts:slack"]["status"] == "fail" and "unreachable" in found["alerts:slack"]["message"]
    assert "doctorWebhookSecret" not in json.dumps(found)


def test_pagerduty_and_the_webhook_are_checked_each_on_a_line_of_its_own(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    routing_key, secret = "PLANTEDpagerdutyKey0123456789abcd", "PLANTEDhookSigningSecret"
    with Receiver() as pagerduty, Receiver() as hook:
        use(failing, monkeypatch, PAGERDUTY_ROUTING_KEY=routing_key, AISI_PAGERDUTY_EVENTS_URL=pagerduty.url,
            AISI_ALERT_WEBHOOK_URL=hook.url, AISI_ALERT_WEBHOOK_SECRET=secret)
        code, output = doctor("--json", "--only", "alerts")
        found = checks(output)
        assert code == 0 and sorted(found) == ["alerts:pagerduty", "alerts:webhook"], output  # no Slack: no Slack line
        assert found["alerts:pagerduty"]["status"] == "ok"
        assert found["alerts:pagerduty"]["message"].startswith("PagerDuty Events API host 127.0.0.1:")
        assert found["alerts:webhook"]["status"] == "ok" and found["alerts:webhook"]["message"].startswith("alert webhook host 127.0.0.1:")
        assert pagerduty.posts == [] and hook.posts == []  # reachability only: nothing posted, no incident opened

        code, output = doctor("--json", "--notify-test", "--only", "alerts")
        found = checks(output)
        assert code == 0, output
        # PagerDuty: a test incident triggered, then resolved under the same key (none stays open).
        trigger, resolve = [p.body for p in pagerduty.posts]
        assert (trigger["event_action"], trigger["routing_key"], trigger["payload"]["class"]) == ("trigger", routing_key, "doctor_test")
        assert resolve == {"routing_key": routing_key, "event_action": "resolve", "dedup_key": trigger["dedup_key"]}
        assert found["alerts:pagerduty"] == {
            "check": "alerts:pagerduty", "status": "ok", "hint": None,
            "message": f"test incident {trigger['dedup_key']} triggered and resolved via pagerduty: look for it in PagerDuty"}
        # The webhook: one signed post.
        [post] = hook.posts
        assert post.body["kind"] == "doctor_test" and "aisi doctor test message" in post.body["text"]
        assert post.headers["x-aisi-signature"].startswith("sha256=")
        assert found["alerts:webhook"]["message"] == "test message posted via webhook: look for it in the channel"

        pagerduty.fail_next = 1  # PagerDuty refuses the event: the line fails, the webhook's stays ok
        code, output = doctor("--json", "--notify-test", "--only", "alerts")
        found = checks(output)
        assert code == 2 and found["alerts:pagerduty"]["status"] == "fail"
        assert found["alerts:pagerduty"]["message"] == "test message not delivered via pagerduty: PagerDuty answered HTTP 500"
        assert found["alerts:webhook"]["status"] == "ok"
    monkeypatch.setenv("AISI_PAGERDUTY_EVENTS_URL", f"http://127.0.0.1:{free_port()}/v2/enqueue")
    found = checks(doctor("--json", "--only", "alerts")[1])
    assert found["alerts:pagerduty"]["status"] == "fail" and "unreachable" in found["alerts:pagerduty"]["message"]
    assert "AISI_PAGERDUTY_EVENTS_URL" in found["alerts:pagerduty"]["hint"]
    secrets_absent(output, routing_key, secret)

    for name in ("PAGERDUTY_ROUTING_KEY", "AISI_ALERT_WEBHOOK_URL", "AISI_ALERT_WEBHOOK_SECRET"):
        monkeypatch.delenv(name)
    found = checks(doctor("--json", "--only", "alerts")[1])
    assert list(found) == ["alerts"] and found["alerts"]["status"] == "skip"
    assert "PAGERDUTY_ROUTING_KEY, AISI_ALERT_WEBHOOK_URL unset" in found["alerts"]["message"]


def test_a_failed_dagster_run_fails_the_runs_check(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    import dagster as dg

    from pipelines.cli import prepare_instance

    use(failing, monkeypatch)

    @dg.op
    def boom() -> None:
        raise RuntimeError("doctor test: the disk quota was exceeded")

    @dg.job
    def doctor_probe_job() -> None:
        boom()

    prepare_instance()
    with dg.DagsterInstance.get() as instance:
        result = doctor_probe_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    code, output = doctor("--json", "--only", "runs")
    runs = checks(output)["runs"]
    assert code == 2
    assert runs["status"] == "fail"
    assert "still failing: doctor_probe_job" in runs["message"]
    assert "boom: RuntimeError: doctor test: the disk quota was exceeded" in runs["message"] or \
        "doctor test: the disk quota was exceeded" in runs["message"]
    assert result.run_id in runs["hint"]


def test_each_source_verdict_maps_to_a_status() -> None:
    """The statuses a source_runs row can have, judged as /api/v1/status judges them."""
    from datetime import datetime, timedelta, timezone

    from core.doctor import source_check
    from core.sources.registry import ALL_SOURCES

    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    specs = {m.SPEC.name: m.SPEC for m in ALL_SOURCES}

    def judged(status: str, **row: Any) -> Any:
        base = {"source": "litellm", "status": status, "badge": None, "rows": 0, "error": None, "http_status": None,
                "payload_fetched_at": None, "last_run_at": now - timedelta(minutes=5)}
        return source_check({**base, **row}, specs, now)

    failed = judged("failed", error="connection failed: refused")
    assert failed.status == "fail" and "no archived payload to serve" in failed.message and "AISI_SOURCE_LITELLM_URL" in failed.hint
    held = judged("cached", badge="cached", rows=10, payload_fetched_at=now - timedelta(hours=1),
                  error="entries fell by 50 % vs the last good run; new data held back")
    assert held.status == "warn" and held.message.startswith("cached, badge cached, 10 rows, last run 5m ago, payload 1h 0m old")
    stale = judged("ok", badge="aggregator", rows=10, http_status=200, payload_fetched_at=now - timedelta(days=2))
    assert stale.status == "warn" and "stale: payload from" in stale.message and "schedules" in stale.hint
    fresh = judged("ok", badge="aggregator", rows=10, http_status=304, payload_fetched_at=now - timedelta(minutes=30))
    assert fresh.status == "ok" and fresh.hint is None and "ok (304 not modified)" in fresh.message
    skipped = judged("skipped", error="skipped: no key (LITELLM_KEY unset)")
    assert skipped.status == "skip" and skipped.message == "skipped: no key (LITELLM_KEY unset)"


def test_slack_bot_token_checked_with_auth_test(failing: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_notify import SlackApi

    token = "xoxb-doctor-PLANTEDbotToken4d5e6f"
    with SlackApi() as api:
        use(failing, monkeypatch, SLACK_BOT_TOKEN=token, SLACK_CHANNEL="#aisi-alerts", AISI_SLACK_API_URL=api.url)
        alerts = checks(doctor("--json", "--only", "alerts")[1])["alerts:slack"]
        assert alerts["status"] == "ok" and alerts["message"].startswith("Slack bot token accepted, posting to #aisi-alerts")
        api.error = "invalid_auth"
        output = doctor("--json", "--only", "alerts")[1]
        alerts = checks(output)["alerts:slack"]
        assert alerts["status"] == "fail" and alerts["message"] == "Slack bot token rejected (invalid_auth)"
        assert [p.path for p in api.posts] == ["/api/auth.test", "/api/auth.test"]  # nothing posted to the channel
        assert api.posts[-1].headers["authorization"] == f"Bearer {token}"
    secrets_absent(output, token)


def test_only_groups_are_the_modules_groups() -> None:
    from pipelines.cli import doctor as command
    from pipelines.doctor import GROUPS

    only = next(p for p in command.params if p.name == "only")
    assert list(only.type.choices) == list(GROUPS)


def test_a_secret_echoed_by_an_error_is_removed_and_a_broken_check_is_a_fail_line(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipelines.doctor

    # A malformed URL: the driver quotes it back in its error; the report must not.
    monkeypatch.setenv("AISI_DATABASE_URL", "host=127.0.0.1 PLANTEDdbSecret9x8y7z")
    code, output = doctor("--json", "--only", "postgres")
    postgres = checks(output)["postgres"]
    assert code == 2 and postgres == {"check": "postgres", "status": "fail",
                                      "message": "AISI_DATABASE_URL is not a connection URL PostgreSQL can read",
                                      "hint": "set it as postgresql://user@host:port/database"}
    assert "PLANTEDdbSecret" not in output
    # A key=value string's password, in whatever the driver says back.
    monkeypatch.setenv("AISI_DATABASE_URL", f"host=127.0.0.1 port={free_port()} dbname=aisi password=PLANTEDdbSecret9x8y7z")
    output = doctor("--json", "--only", "postgres")[1]
    assert checks(output)["postgres"]["message"].startswith(f"PostgreSQL at 127.0.0.1:")
    assert "PLANTEDdbSecret" not in output

    def broken(home: Path, notify_test: bool) -> list[Any]:
        raise OSError("statvfs failed")

    monkeypatch.setitem(pipelines.doctor.GROUPS, "disk", broken)
    code, output = doctor("--json", "--only", "disk", "--only", "runs")
    found = checks(output)
    assert code == 2 and found["disk"]["status"] == "fail"
    assert found["disk"]["message"] == "the check could not run: OSError: statvfs failed"
    assert found["runs"]["status"] == "skip"  # the other groups still ran (no Dagster instance on this home yet)


def test_every_configured_secret_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.doctor import CheckResult, redacted, secret_values

    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/PLANTEDhookSecret")
    monkeypatch.setenv("AISI_DATABASE_URL", f"postgresql://aisi:{PG_PASSWORD}@db:5432/aisi")
    secrets = secret_values()
    leaky = CheckResult("x", "fail", f"saw {WRONG_KEY} and password {PG_PASSWORD}",
                        "posted to https://hooks.slack.com/services/T0/B0/PLANTEDhookSecret")
    assert redacted([leaky], secrets) == [CheckResult("x", "fail", "saw *** and password ***", "posted to ***")]
