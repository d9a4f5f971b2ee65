"""The HTTP client: bounded retries with backoff, Retry-After, fast failure."""

from __future__ import annotations

import time

import pytest

from core.http.client import FetchError
from pipelines.resources.http import HttpClientResource
from tests.conftest import free_port
from tests.replay import ReplayServer


@pytest.fixture
def server():
    with ReplayServer() as s:
        s.add("/x", b'{"ok": true}')
        yield s


def logged(server: ReplayServer, path: str, settle_s: float = 0.1) -> list:
    """The requests the server logged for ``path`` (it logs after answering, so wait a little)."""
    deadline = time.monotonic() + 2.0
    while not server.seen(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(settle_s)
    return server.seen(path)


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
    assert len(logged(server, "/x")) == 3


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
    assert result.status == 404 and len(logged(server, "/missing")) == 1


def test_conditional_request_gets_304(server):
    first = client().get(server.url + "/x", timeout_s=1)
    second = client().get(server.url + "/x", headers={"if-none-match": first.etag}, timeout_s=1)
    assert second.status == 304 and second.body == b""


# -- transport faults: each ends as a FetchError, never as an httpx exception -----------------------

KEYS = {"x-api-key": "sk-ant-PLANTED", "x-goog-api-key": "AIza-PLANTED", "authorization": "Bearer sk-PLANTED"}
CONDITIONAL = {"if-none-match": '"abc"', "if-modified-since": "Mon, 01 Jan 2026 00:00:00 GMT"}


def redirect(server: ReplayServer, path: str, location: str) -> None:
    server.add(path, b"").mode = "redirect"
    server.routes[path].location = location


def test_a_redirect_loop_is_a_redirect_failure_not_retried(server):
    redirect(server, "/a", "/b")
    redirect(server, "/b", "/a")
    with pytest.raises(FetchError) as failure:
        client().get(server.url + "/a", timeout_s=2)
    assert failure.value.kind == "redirect" and failure.value.attempts == 1
    assert "redirect loop" in str(failure.value) and "/b -> " in str(failure.value)
    assert len(logged(server, "/a")) == 1 and len(logged(server, "/b")) == 1


def test_too_many_hops_is_a_redirect_failure(server):
    for hop in range(8):
        redirect(server, f"/r{hop}", f"/r{hop + 1}")
    with pytest.raises(FetchError) as failure:
        client().get(server.url + "/r0", timeout_s=2)
    assert failure.value.kind == "redirect" and "more than 5 redirects" in str(failure.value)
    assert len(logged(server, "/r5")) == 1 and not server.seen("/r6")


def test_a_redirect_to_a_non_http_scheme_is_refused(server):
    redirect(server, "/a", "file:///etc/passwd")
    with pytest.raises(FetchError) as failure:
        client().get(server.url + "/a", timeout_s=2)
    assert failure.value.kind == "redirect" and "non-HTTP" in str(failure.value)


def test_a_corrupt_gzip_body_is_a_decoding_failure(server):
    server.routes["/x"].mode = "gzip-garbage"
    with pytest.raises(FetchError) as failure:
        client().get(server.url + "/x", timeout_s=2)
    assert failure.value.kind == "decoding" and failure.value.attempts == 1
    assert "Content-Encoding" in str(failure.value)


def test_a_gzip_body_is_decoded(server):
    server.routes["/x"].mode = "gzip"
    result = client().get(server.url + "/x", timeout_s=2)
    assert result.status == 200 and result.body == b'{"ok": true}'
    assert result.headers["content-encoding"] == "gzip"


def test_a_dripping_server_is_cut_off_at_the_deadline_retries_included(server):
    route = server.add("/drip", b"x" * 60)
    route.mode, route.delay = "drip", 0.5  # 30 s for the whole body; every read returns in 0.5 s
    started = time.monotonic()
    with pytest.raises(FetchError) as failure:
        client(max_attempts=3).get(server.url + "/drip", timeout_s=2)
    elapsed = time.monotonic() - started
    assert failure.value.kind == "timeout" and "within 2 s" in str(failure.value)
    assert 1 <= failure.value.attempts <= 2  # the budget (2 x 2 s) leaves no room for a third
    assert 1.9 < elapsed < 6.0  # well under 3 x the deadline; per-read timeouts would take 90 s


def test_keys_and_conditional_headers_never_follow_a_redirect_to_another_host(server):
    with ReplayServer() as other:  # another port: another origin
        other.add("/y", b'{"elsewhere": true}')
        redirect(server, "/a", other.url + "/y")
        result = client().get(server.url + "/a", headers={**KEYS, **CONDITIONAL}, timeout_s=2)
        assert result.status == 200 and result.body == b'{"elsewhere": true}'
        (home,) = logged(server, "/a")
        (away,) = logged(other, "/y")
    assert all(home.headers.get(k) == v for k, v in {**KEYS, **CONDITIONAL}.items())
    assert not set(KEYS) & set(away.headers) and not set(CONDITIONAL) & set(away.headers)
    assert "sk-" not in repr(away.headers) and "PLANTED" not in repr(away.headers)
    assert away.headers["user-agent"].startswith("ai-server-information")  # our own headers still go


def test_keys_follow_a_redirect_within_their_origin_and_back_home(server):
    with ReplayServer() as other:
        redirect(server, "/a", "/b")  # same origin: the key goes along
        redirect(server, "/b", other.url + "/c")  # another origin: not there
        redirect(other, "/c", server.url + "/d")  # back home: the key's own host again
        server.add("/d", b"{}")
        assert client().get(server.url + "/a", headers=KEYS, timeout_s=2).status == 200
        assert not set(KEYS) & set(logged(other, "/c")[0].headers)
    for path in ("/a", "/b", "/d"):
        assert all(logged(server, path)[0].headers.get(k) == v for k, v in KEYS.items()), path


def test_origins_compare_scheme_host_and_port():
    from core.http.client import origin

    assert origin("http://Example.com/a") == origin("http://example.com:80/b")
    assert origin("https://example.com/") == origin("https://example.com:443/x")
    assert origin("http://example.com/") != origin("https://example.com/")
    assert origin("http://127.0.0.1:8000/") != origin("http://127.0.0.1:8001/")
