"""A host that does not answer is given up for the rest of the run: the OpenRouter endpoints
fan-out sends a handful of requests to it, not 60 x 3, and none at all when the listing's own
fetch could not reach it in the same run. Real HTTP against local servers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from core.fetch.engine import FetchOutcome
from core.fetch.fanout import BREAKER_THRESHOLD, fetch_endpoints, host_down
from core.http.client import FetchError, HostBreaker
from core.http.transport import unreachable_error
from core.sources import openrouter_endpoints as endpoints
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.conftest import FIXTURES, free_port
from tests.replay import HangingServer, ReplayServer

pytestmark = pytest.mark.slow

ANSWERS = {
    "openai/gpt-4o": "openai_gpt-4o.json",
    "anthropic/claude-sonnet-4": "anthropic_claude-sonnet-4.json",
    "meta-llama/llama-3.1-70b-instruct": "meta-llama_llama-3.1-70b-instruct.json",
}
MODELS = [*ANSWERS, *(f"vendor/model-{i}" for i in range(57))]  # 60, the default per run
CONCURRENCY = 4
HTTP = HttpClientResource(max_attempts=3, backoff_initial_s=0.05)


def fan_out(home: Path, down: str | None = None) -> tuple[FetchOutcome, float]:
    started = time.monotonic()
    outcome = fetch_endpoints(MODELS, HTTP, RawArchive(home / "raw"), max_per_run=60, concurrency=CONCURRENCY, down=down)
    return outcome, time.monotonic() - started


def answered_first(home: Path, monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    """A run while the host (on ``port``) was up: three models answered, the others 404."""
    with ReplayServer(port=port) as up:
        for model_id, fixture in ANSWERS.items():
            up.add(f"/openrouter/api/v1/models/{model_id}/endpoints", FIXTURES / "openrouter_endpoints" / fixture)
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", up.url + "/openrouter")
        outcome, _ = fan_out(home)
    assert outcome.status == "ok" and outcome.pages == 3, outcome.error
    assert "stopped asking" not in (outcome.error or "")  # 404s are answers: the host is up


def test_a_hanging_host_gets_a_handful_of_requests_and_the_models_keep_their_answers(home: Path, monkeypatch):
    port = free_port()
    answered_first(home, monkeypatch, port)
    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_TIMEOUT", "1")
    archive = RawArchive(home / "raw")
    asked_before = archive.last_attempt_per_url(endpoints.SPEC.name)
    with HangingServer(port=port) as hung:  # the same host, now hung
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", hung.url + "/openrouter")
        outcome, elapsed = fan_out(home)
        connections = hung.connections

    # The first wave (one request per worker) times out, then the host is given up: not 60 x 3.
    assert connections <= CONCURRENCY + 3, connections
    assert elapsed < 15, elapsed  # about one timeout (1 s), not 60 x 3 of them
    assert outcome.status == "cached" and outcome.badge == "cached", outcome
    assert {e["model_id"] for e in outcome.entries} == set(ANSWERS)  # nothing lost
    assert "stopped asking it" in outcome.error and "endpoint requests not sent" in outcome.error, outcome.error
    assert "timed out" in outcome.error, outcome.error
    # Only the requests sent were recorded as attempts: the others stay first in line next run.
    asked_now = archive.last_attempt_per_url(endpoints.SPEC.name)
    changed = [url for url, at in asked_now.items() if asked_before.get(url) != at]
    assert 1 <= len(changed) <= connections, (changed, connections)


def test_a_refused_host_is_given_up_after_a_few_requests(home: Path, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", f"http://127.0.0.1:{free_port()}/openrouter")
    outcome, elapsed = fan_out(home)
    assert elapsed < 5, elapsed
    recorded = RawArchive(home / "raw").last_attempt_per_url(endpoints.SPEC.name)
    assert 1 <= len(recorded) <= CONCURRENCY + 1, len(recorded)  # requests that were sent (and failed)
    assert outcome.status == "failed" and outcome.entries == []  # never answered, nothing archived
    assert "connection failed" in outcome.error and "stopped asking it" in outcome.error, outcome.error


def test_a_host_known_down_is_not_asked_at_all(home: Path, monkeypatch):
    with HangingServer() as hung:
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", hung.url + "/openrouter")
        outcome, elapsed = fan_out(home, down="openrouter could not reach it this run: timed out: ...")
        assert hung.connections == 0
    assert elapsed < 1
    assert outcome.status == "failed" and "60 of 60 endpoint requests not sent" in outcome.error, outcome.error
    assert RawArchive(home / "raw").last_attempt_per_url(endpoints.SPEC.name) == {}


def outcome(status: str, error: str | None, attempted_at: datetime) -> FetchOutcome:
    return FetchOutcome(source="openrouter", status=status, badge=None, url="http://x", entries=[], fetched_at=None,
                        attempted_at=attempted_at, error=error)


def test_only_a_listing_that_got_no_answer_this_run_marks_its_host_down():
    now = datetime.now(timezone.utc)
    run_started = now - timedelta(minutes=1)
    refused = "connection failed: [Errno 111] Connection refused after 3 attempts"
    assert host_down(outcome("cached", refused, now), run_started) == f"openrouter could not reach it this run: {refused}"
    assert host_down(outcome("failed", "timed out: no complete answer within 30 s (ReadTimeout) after 3 attempts", now), run_started)
    assert host_down(outcome("cached", refused, now - timedelta(hours=1)), run_started) is None  # an earlier run
    assert host_down(outcome("cached", "HTTP 500 after 3 attempts", now), run_started) is None  # it answered
    assert host_down(outcome("cached", "records collapsed: ...; new data held back", now), run_started) is None
    assert host_down(outcome("ok", None, now), run_started) is None
    assert not unreachable_error("redirect loop: http://a -> http://a")


def test_the_breaker_counts_attempts_without_an_answer_in_a_row():
    breaker = HostBreaker(threshold=2)
    url, other = "http://api.example:8080/x", "http://other.example/y"
    breaker.failed(url, "refused")
    breaker.answered(url)  # any answer resets the count
    breaker.failed(url, "refused")
    assert breaker.down(url) is None
    breaker.failed("http://api.example:8080/z", "timed out")  # same host, another path
    assert "timed out" in (breaker.down(url) or "")
    assert breaker.down(other) is None
    breaker.trip(other, "known down")
    assert breaker.down_hosts == {"api.example:8080": breaker.down(url), "other.example:80": "known down"}
    with pytest.raises(FetchError) as not_sent:
        HTTP.get(other, timeout_s=1, breaker=breaker)
    assert not_sent.value.kind == "unreachable" and not_sent.value.attempts == 0
    assert unreachable_error(str(not_sent.value))
    assert BREAKER_THRESHOLD == 2


def test_the_endpoints_asset_asks_nothing_when_the_listing_could_not_reach_the_host(home: Path, monkeypatch):
    """Through Dagster: openrouter_raw times out (serving its cached listing), and
    openrouter_endpoints_raw, in the same run, sends no request to that host."""
    from pipelines.resources.defaults import shared_resources
    from pipelines.catalog.sources import openrouter_endpoints_raw, source_assets

    [listing] = [a for a in source_assets() if a.key == dg.AssetKey("openrouter_raw")]
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "2")
    with ReplayServer() as up:  # an earlier run archived a good listing
        up.add("/openrouter/api/v1/models", FIXTURES / "openrouter_models.json")
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", up.url + "/openrouter")
        assert dg.materialize([listing], resources=shared_resources()).success

    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_TIMEOUT", "1")
    with HangingServer() as hung:
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", hung.url + "/openrouter")
        result = dg.materialize([listing, openrouter_endpoints_raw], resources=shared_resources())
        connections = hung.connections
    assert result.success
    models = result.output_for_node("openrouter_raw")
    assert models.status == "cached" and models.entries and models.error.startswith("timed out"), models
    assert connections == models.attempts == 2  # the listing's own attempts; the fan-out sent nothing
    fanned = result.output_for_node("openrouter_endpoints_raw")
    assert fanned.pages == 0 and "openrouter could not reach it this run" in fanned.error, fanned.error
    assert "endpoint requests not sent" in fanned.error
