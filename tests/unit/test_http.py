"""The HTTP client: bounded retries with backoff, Retry-After, fast failure."""

from __future__ import annotations

import time

import pytest

from resources.http import FetchError, HttpClientResource
from tests.conftest import free_port
from tests.replay import ReplayServer


@pytest.fixture
def server():
    with ReplayServer() as s:
        s.add("/x", b'{"ok": true}')
        yield s


def client(**overrides) -> HttpClientResource:
    return HttpClientResource(**{"max_attempts": 3, "backoff_initial_s": 0.01, "max_backoff_s": 2.0, **overrides})


def test_429_honours_retry_after_then_succeeds(server):
    route = server.routes["/x"]
    route.mode, route.fail_times = "429", 1
    started = time.monotonic()
    result = client().get(server.url + "/x", timeout_s=2)
    assert result.status == 200 and result.attempts == 2
    assert time.monotonic() - started >= 0.9  # Retry-After: 1


def test_retry_after_is_capped(server):
    route = server.routes["/x"]
    route.mode, route.fail_times = "429", 1
    started = time.monotonic()
    assert client(max_backoff_s=0.2).get(server.url + "/x", timeout_s=2).status == 200
    assert time.monotonic() - started < 0.9


def test_5xx_is_retried_a_bounded_number_of_times(server):
    server.routes["/x"].mode = "500"
    with pytest.raises(FetchError) as failure:
        client().get(server.url + "/x", timeout_s=2)
    assert failure.value.kind == "http_5xx" and failure.value.status == 500 and failure.value.attempts == 3
    assert len(server.seen("/x")) == 3


def test_timeout_fails_fast(server):
    route = server.routes["/x"]
    route.mode, route.delay = "slow", 2.0
    started = time.monotonic()
    with pytest.raises(FetchError) as failure:
        client(max_attempts=2).get(server.url + "/x", timeout_s=0.3)
    assert failure.value.kind == "timeout"
    assert time.monotonic() - started < 2.0


def test_refused_connection_is_reported(server):
    with pytest.raises(FetchError) as failure:
        client(max_attempts=1).get(f"http://127.0.0.1:{free_port()}/x", timeout_s=1)
    assert failure.value.kind == "refused"


def test_404_is_returned_not_retried(server):
    result = client().get(server.url + "/missing", timeout_s=1)
    assert result.status == 404 and len(server.seen("/missing")) == 1


def test_conditional_request_gets_304(server):
    first = client().get(server.url + "/x", timeout_s=1)
    second = client().get(server.url + "/x", headers={"if-none-match": first.etag}, timeout_s=1)
    assert second.status == 304 and second.body == b""
