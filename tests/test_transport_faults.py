"""Transport faults end as that source's failure with its fallback, credentials go only to their
own host, and a non-finite number never reaches a table or the API (all over real HTTP)."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.availability.probes import run_probes
from core.availability.targets import ProbeTarget
from core.fetch.engine import fetch_source
from core.records import Provenance, non_finite, per_token_to_per_mtok, to_int, to_number
from core.sources import google, litellm
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.replay import ReplayServer

LITELLM_PATH = "/litellm/model_prices_and_context_window.json"
MODELS_DEV_PATH = "/models_dev/api.json"
KEY = "AIza-PLANTED-transport-key"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def logged(server: ReplayServer, path: str) -> list:
    """The requests the server logged for ``path``; it logs after answering, so wait for them."""
    deadline = time.monotonic() + 2.0
    while not server.seen(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.seen(path)


# -- numbers ---------------------------------------------------------------------------------------


def test_non_finite_numbers_are_refused_with_their_reason():
    with pytest.raises(ValueError, match="not a finite number"):
        per_token_to_per_mtok("1e303")  # finite per token, infinite per 1M tokens
    for bad in ("inf", "-Infinity", float("nan"), "NaN", "1e999", 10**400):
        with pytest.raises(ValueError, match="not a finite number"):
            to_number(bad)
    with pytest.raises(ValueError, match="not a finite number"):
        to_int("1e999")
    with pytest.raises(ValueError, match="out of range"):
        to_int(1e300)
    assert per_token_to_per_mtok("2.5e-06") == 2.5 and to_number(None) is None and to_int("128000") == 128000
    assert non_finite({"input": 2.5, "output": float("inf")}) == "output: not a finite number: inf"
    assert non_finite({"input": 2.5, "output": None}) is None


def test_a_litellm_price_that_overflows_is_rejected_with_its_reason():
    payload = json.dumps({
        "openai/overflow-text": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": "1e303",
                                 "output_cost_per_token": 1e-05},
        "openai/overflow-number": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06,
                                   "output_cost_per_token": 1e303},
        "openai/fine": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06},
    }).encode()
    batch = litellm.normalise(litellm.parse(payload), Provenance("litellm", "aggregator", "http://x", NOW))
    assert list(batch.offerings["provider_model_id"]) == ["fine"]
    reasons = dict(zip(batch.rejects["source_id"], batch.rejects["reason"]))
    assert set(reasons) == {"openai/overflow-text", "openai/overflow-number"}
    assert all("not a finite number" in r for r in reasons.values()), reasons
    assert batch.prices["usd_per_mtok"].map(math.isfinite).all()


def test_the_api_encoder_never_emits_nan_or_infinity():
    from api.encoding import dumps

    body = dumps({"usd_per_mtok": float("inf"), "items": [{"score": float("nan")}, {"score": 1.5}]})
    assert json.loads(body) == {"usd_per_mtok": None, "items": [{"score": None}, {"score": 1.5}]}
    assert b"Infinity" not in body and b"NaN" not in body
    assert dumps({"a": 1.0}) == b'{"a":1.0}'  # the common path is unchanged


# -- one source's fetch ----------------------------------------------------------------------------


@pytest.fixture
def litellm_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_free_body: bytes):
    with ReplayServer() as server:
        monkeypatch.setenv("AISI_SOURCE_LITELLM_URL", server.url)
        route = server.add("/model_prices_and_context_window.json", reference_free_body)
        archive = RawArchive(tmp_path / "raw")
        http = HttpClientResource(max_attempts=2, backoff_initial_s=0.01)
        yield server, route, lambda: fetch_source(litellm, http, archive)


@pytest.fixture
def reference_free_body() -> bytes:
    return json.dumps({"gpt-4o": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-06}}).encode()


def test_a_redirect_loop_without_an_archive_is_a_failed_source(litellm_served):
    server, route, fetch = litellm_served
    route.mode, route.location = "redirect", "/elsewhere"
    server.add("/elsewhere", b"").mode = "redirect"
    server.routes["/elsewhere"].location = "/model_prices_and_context_window.json"
    outcome = fetch()
    assert (outcome.status, outcome.badge, outcome.entries) == ("failed", None, [])
    assert "redirect loop" in outcome.error and outcome.attempts == 1


@pytest.mark.parametrize("mode, says", [("gzip-garbage", "could not be decoded"), ("redirect", "redirect loop"), ("drip", "timed out")])
def test_a_transport_fault_after_a_good_fetch_serves_the_last_good_payload(litellm_served, monkeypatch, mode, says):
    server, route, fetch = litellm_served
    good = fetch()
    assert good.status == "ok" and len(good.entries) == 1
    route.body = route.body + b" "  # a new ETag: the fetch is not answered by a 304
    route.mode, route.location, route.delay = mode, "/model_prices_and_context_window.json", 0.3
    monkeypatch.setenv("AISI_SOURCE_LITELLM_TIMEOUT", "1")
    outcome = fetch()
    assert (outcome.status, outcome.badge) == ("cached", "cached"), outcome.error
    assert says in outcome.error and outcome.sha256 == good.sha256 and len(outcome.entries) == 1


def test_a_keyed_source_redirected_to_another_host_does_not_send_its_key(tmp_path, monkeypatch):
    with ReplayServer() as provider, ReplayServer() as elsewhere:
        monkeypatch.setenv("AISI_SOURCE_GOOGLE_URL", provider.url)
        path = google.SPEC.path.split("?", 1)[0]
        provider.add(path, b"").mode = "redirect"
        provider.routes[path].location = elsewhere.url + "/models"
        elsewhere.add("/models", b'{"error": "who are you"}')
        outcome = fetch_source(google, HttpClientResource(max_attempts=1), RawArchive(tmp_path / "raw"), key=KEY)
        assert outcome.status == "failed"  # the other host's answer is no listing
        asked = logged(provider, path)[0].headers
        (away,) = logged(elsewhere, "/models")
    assert asked["x-goog-api-key"] == KEY
    assert "x-goog-api-key" not in away.headers and KEY not in repr(away.headers)


# -- the availability probes -----------------------------------------------------------------------


def test_a_probe_follows_a_redirect_without_its_key_to_another_host():
    with ReplayServer() as provider, ReplayServer() as elsewhere:
        provider.add("/v1/models", b"").mode = "redirect"
        provider.routes["/v1/models"].location = elsewhere.url + "/v1/models"
        elsewhere.add("/v1/models", b'{"data": []}')
        target = ProbeTarget("openai", provider.url + "/v1/models", "openai", ("OPENAI_API_KEY",))
        (row,) = run_probes([(target, "sk-PLANTED-probe")], NOW, timeout_s=5)
        (away,) = logged(elsewhere, "/v1/models")
    assert "authorization" not in away.headers
    assert row["up"] and row["http_status"] == 200 and "asked without the key" in row["detail"]


def test_a_probe_in_a_redirect_loop_is_an_answer_of_kind_4xx():
    with ReplayServer() as provider:
        for here, there in (("/a", "/b"), ("/b", "/a")):
            provider.add(here, b"").mode = "redirect"
            provider.routes[here].location = there
        (row,) = run_probes([(ProbeTarget("p", provider.url + "/a", None), None)], NOW, timeout_s=5)
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "error", "4xx", 302)
    assert "redirect loop" in row["detail"]


# -- the whole graph -------------------------------------------------------------------------------


def snapshot_rows(home: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(home / "snapshots" / "latest.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.mark.slow
def test_transport_faults_degrade_their_sources_and_the_run_publishes(replay, home, refresh):
    route = replay.routes[LITELLM_PATH]
    entries = json.loads(route.body)
    entries["openai/overflow-1e303"] = {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": "1e303"}
    route.body = json.dumps(entries).encode()

    first = refresh()
    assert first.success, first.errors
    (reasons,) = snapshot_rows(home, "SELECT rejected_reasons FROM source_runs WHERE run_id = ? AND source = 'litellm'", first.run_id)[0]
    assert "not a finite number" in str(reasons)
    assert snapshot_rows(home, "SELECT count(*) FROM prices WHERE NOT isfinite(usd_per_mtok)") == [(0,)]
    assert snapshot_rows(home, "SELECT count(*) FROM offerings WHERE provider_model_id = 'overflow-1e303'") == [(0,)]
    with TestClient(create_app(home=home)) as client:
        response = client.get("/api/v1/pricing", params={"limit": 500})
        assert response.status_code == 200 and "Infinity" not in response.text and "NaN" not in response.text
    litellm_offerings = snapshot_rows(home, "SELECT count(*) FROM offerings WHERE source = 'litellm'")[0][0]
    assert litellm_offerings > 0

    # litellm answers a redirect loop, models.dev a corrupt gzip body: both fall back, the run publishes.
    route.mode, route.location = "redirect", "/litellm/moved"
    replay.add("/litellm/moved", b"").mode = "redirect"
    replay.routes["/litellm/moved"].location = LITELLM_PATH
    replay.routes[MODELS_DEV_PATH].mode = "gzip-garbage"
    second = refresh()
    assert second.success, second.errors
    assert second.snapshot != first.snapshot
    runs = {s["source"]: s for s in second.sources}
    assert (runs["litellm"]["status"], runs["litellm"]["badge"]) == ("cached", "cached")
    assert "redirect loop" in runs["litellm"]["error"]
    assert (runs["models_dev"]["status"], runs["models_dev"]["badge"]) == ("cached", "cached")
    assert "could not be decoded" in runs["models_dev"]["error"]
    assert runs["openrouter"]["status"] == "ok" and runs["model_defaults"]["status"] == "ok"
    published = dict(
        (source, (status, error))
        for source, status, error in snapshot_rows(home, "SELECT source, status, error FROM source_runs WHERE run_id = ?", second.run_id)
    )
    assert published["litellm"][0] == "cached" and "redirect loop" in published["litellm"][1]
    assert published["models_dev"][0] == "cached" and "decoded" in published["models_dev"][1]
    # The last good litellm payload is still published, now with badge cached.
    assert snapshot_rows(home, "SELECT count(*) FROM offerings WHERE source = 'litellm' AND source_kind = 'cached'")[0][0] == litellm_offerings


def test_a_page_amount_too_large_for_a_float_is_rejected_not_published():
    from core.parsing import pricing_page
    from core.parsing.html_tables import dollars
    from core.sources import google_pricing, mistral_pricing

    huge = dollars("$" + "9" * 400 + " / 1M tokens")
    assert huge == math.inf  # what float() makes of it
    provenance = Provenance("openai_pricing", "scraped", "http://x", NOW)
    entry = {"model": "gpt-x", "name": "GPT X", "prices": {"input": huge, "output": 2.0}, "section": "s", "tier": "standard", "problems": []}
    batches = [
        pricing_page.normalise_entries([entry], provenance, "openai", "OpenAI"),
        google_pricing.normalise([{"model_id": "gpt-x", "name": "X", "prices": {"input": huge}, "problem": None}], provenance),
        mistral_pricing.normalise([{"model_id": "gpt-x", "name": "X", "prices": {"input": huge}, "problem": None}], provenance),
    ]
    for batch in batches:
        assert batch.offerings.empty and batch.prices.empty
        assert list(batch.rejects["reason"]) == ["input: not a finite number: inf"]
