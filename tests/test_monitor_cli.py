"""`aisi monitor` as a user runs it: one cycle with --once, and the daemon-less loop that a
signal stops cleanly; then the read API answers from what it wrote, with no server between."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.aisi_process import REPO, aisi_command, child_env, run_aisi
from tests.replay import ReplayServer

pytestmark = pytest.mark.slow

OFF = ("google", "cohere", "replicate", "huggingface", "openrouter", "anthropic", "mistral")


@pytest.fixture
def one_provider(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    server = ReplayServer().start()
    server.add("/status/api/v2/summary.json", b'{"page":{"id":"x"},"status":{"indicator":"minor","description":"Partial outage"},'
                                              b'"components":[],"incidents":[{"id":"i1","name":"Slow responses","status":"investigating",'
                                              b'"impact":"minor","created_at":"2026-11-22T10:00:00Z","incident_updates":[]}]}')
    server.add("/status/api/v2/incidents.json", b'{"page":{"id":"x"},"incidents":[]}')
    server.add("/openai/v1/models", b'{"data":[]}', require={"authorization": "Bearer sk-test-monitor-key"})
    extra = tmp_path / "monitor.yaml"
    extra.write_text("providers:\n" + "".join(f"  {p}: {{enabled: false}}\n" for p in OFF), encoding="utf-8")
    monkeypatch.setenv("AISI_MONITOR_CONFIG", str(extra))
    monkeypatch.setenv("AISI_STATUS_OPENAI_URL", server.url + "/status")
    monkeypatch.setenv("AISI_SOURCE_OPENAI_URL", server.url + "/openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-monitor-key")
    yield server
    server.stop()


def test_monitor_once_prints_each_provider_and_lands_for_the_api(one_provider: ReplayServer, home: Path) -> None:
    result = run_aisi("monitor", "--once", timeout=120)
    assert result.returncode == 0, result.describe()
    assert "1 probes, 1 status pages" in result.stdout, result.describe()
    line = next(l for l in result.stdout.splitlines() if l.strip().startswith("openai"))
    assert "degraded" in line and "ok 200" in line and "minor" in line, line
    assert [r.headers.get("authorization") for r in one_provider.seen("/openai/v1/models")] == ["Bearer sk-test-monitor-key"]
    assert "sk-test-monitor-key" not in result.stdout + result.stderr

    from api.app import create_app

    with TestClient(create_app(home=home)) as client:
        status = client.get("/api/v1/status").json()
        openai = next(p for p in status["providers"] if p["provider_id"] == "openai")
        assert openai["state"] == "degraded" and openai["page_indicator"] == "minor"
        assert [i["name"] for i in openai["open_incidents"]] == ["Slow responses"]
        assert openai["uptime"]["24h"] == 100.0
        series = client.get("/api/v1/providers/openai/availability", params={"window": "1h"}).json()
        assert sum(b["checks"] for b in series["series"]) == 1


def test_monitor_loop_runs_every_interval_until_stopped(one_provider: ReplayServer, home: Path) -> None:
    proc = subprocess.Popen(aisi_command("monitor", "--interval", "1"), cwd=REPO, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(one_provider.seen("/openai/v1/models")) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert len(one_provider.seen("/openai/v1/models")) >= 3
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.count("monitor cycle at") >= 3, out
    summaries = one_provider.seen("/status/api/v2/summary.json")
    assert summaries[0].status == 200 and all(s.status == 304 for s in summaries[1:])  # conditional after the first
