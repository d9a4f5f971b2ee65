"""The paged fetch's limits, on the real fetch, HTTP client and archive against the replay
server: the page cap (failure, or truncation with a note), a next page on another host."""

from __future__ import annotations

import json

import pytest

from core.fetch.engine import fetch_source
from core.sources import anthropic, replicate
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.replay import ReplayServer

KEY = "r8_PLANTEDpagedFetchKey0123456789"


@pytest.fixture
def server():
    with ReplayServer() as s:
        yield s


def http() -> HttpClientResource:
    return HttpClientResource(max_attempts=1, backoff_initial_s=0.01)


def replicate_pages(server: ReplayServer, count: int, next_of_last: str | None = None) -> None:
    for n in range(count):
        target = "/v1/models" if n == 0 else f"/v1/models?cursor=c{n}"
        following = f"{server.url}/v1/models?cursor=c{n + 1}" if n + 1 < count else next_of_last
        body = {"next": following, "previous": None, "results": [{"owner": "acme", "name": f"model-{n}", "visibility": "public"}]}
        server.add(target, json.dumps(body).encode(), require={"authorization": f"Bearer {KEY}"})


def test_a_listing_longer_than_the_cap_is_truncated_with_a_note_when_the_source_allows_it(server, tmp_path, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_REPLICATE_URL", server.url)
    replicate_pages(server, replicate.SPEC.page_cap + 5)
    outcome = fetch_source(replicate, http(), RawArchive(tmp_path), KEY)
    assert (outcome.status, outcome.badge, outcome.pages) == ("ok", "api", 20)
    assert outcome.error == "listing truncated at the page cap of 20 pages"
    assert len(outcome.entries) == 20 and len(server.requests) == 20
    assert outcome.entries[-1]["name"] == "model-19"


def test_a_listing_longer_than_the_cap_fails_otherwise(server, tmp_path, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_ANTHROPIC_URL", server.url)
    cap = anthropic.SPEC.page_cap
    for n in range(cap + 1):
        target = "/v1/models?limit=1000" + (f"&after_id=m{n - 1}" if n else "")
        body = {"data": [{"id": f"m{n}", "type": "model"}], "has_more": True, "first_id": f"m{n}", "last_id": f"m{n}"}
        server.add(target, json.dumps(body).encode())
    outcome = fetch_source(anthropic, http(), RawArchive(tmp_path), "sk-ant-x")
    assert outcome.status == "failed" and outcome.entries == []
    assert outcome.error == f"page cap of {cap} pages reached: listing incomplete"
    assert len(server.requests) == cap


def test_a_next_page_on_another_host_is_refused_and_the_key_not_sent_there(server, tmp_path, monkeypatch):
    monkeypatch.setenv("AISI_SOURCE_REPLICATE_URL", server.url)
    port = server.url.rsplit(":", 1)[1]
    replicate_pages(server, 1, next_of_last=f"http://localhost:{port}/v1/models?cursor=elsewhere")
    outcome = fetch_source(replicate, http(), RawArchive(tmp_path), KEY)
    assert outcome.status == "failed"
    assert outcome.error == f"next page on another host (localhost:{port}): refused"
    assert [r.target for r in server.requests] == ["/v1/models"]  # nothing sent to the other host
    assert KEY not in outcome.error
