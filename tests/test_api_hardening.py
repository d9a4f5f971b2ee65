"""The read API holds its HTTP rules on every route: bounded integers are a 422 (never a 500),
an unknown parameter is a 422 naming it, HEAD answers wherever GET does, If-None-Match is read
as RFC 9110 says (``*``, weak tags, lists), the bearer scheme is case-insensitive, and many sync
requests at once launch one refresh whose process is reaped when it ends."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.params import MAX_OFFSET
from api.http_rules import bearer_token, etag_matches
from api.sync import SyncBusy, launch_sync
from core.stores.warehouse import create_schema

TOKEN = "s3cret-token"
LOCAL = ("127.0.0.1", 50000)  # the test client as a client on this machine


@pytest.fixture
def client(home: Path):
    """The API over a one-model snapshot in this version's schema."""
    snapshots = home / "snapshots"
    snapshots.mkdir(parents=True)
    with duckdb.connect(str(snapshots / "20261201T000000Z.duckdb")) as con:
        create_schema(con)
        con.execute("INSERT INTO models (model_key, creator, offerings_count, providers_count, status, source, source_kind, fetched_at) "
                    "VALUES ('openai/gpt-4o', 'openai', 1, 1, 'active', 'litellm', 'aggregator', now())")
    os.symlink("20261201T000000Z.duckdb", snapshots / "latest.duckdb")
    with TestClient(create_app(home=home), client=LOCAL) as api:
        yield api


def _kill_and_wait_reaped(pid: int) -> None:
    """Ends the launched refresh (its own session) and waits until the API has reaped it: a
    zombie still answers signal 0, a reaped process does not."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"sync child {pid} was not reaped (a zombie is left behind)")


def test_integers_beyond_their_bounds_are_422_not_500(client: TestClient) -> None:
    for path in ("/api/v1/models?offset=9223372036854775808", "/api/v1/models?min_context=99999999999999999999",
                 f"/api/v1/models?offset={MAX_OFFSET + 1}", "/api/v1/pricing?offset=-1", "/api/v1/changes?limit=100000",
                 "/api/v1/benchmarks?top=9223372036854775808"):
        response = client.get(path)
        assert response.status_code == 422, (path, response.status_code, response.text)
        assert response.json()["problems"], path
    assert client.get(f"/api/v1/models?offset={MAX_OFFSET}").status_code == 200


def test_a_page_past_the_end_reads_no_more_rows_than_a_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its total comes from the query's first row: no query asks for more rows than the page (it
    once read the whole result into Python to count it, for any large offset)."""
    from api import store

    asked: list[tuple[str, int]] = []
    query = store._PinnedDuckDB.query

    def recorded(self, name: str, params: dict) -> list[dict]:
        if "limit" in params:
            asked.append((name, params["limit"]))
        return query(self, name, params)

    monkeypatch.setattr(store._PinnedDuckDB, "query", recorded)
    for path in ("/api/v1/models", "/api/v1/pricing", "/api/v1/changes"):
        body = client.get(path, params={"limit": 2, "offset": 500}).json()
        assert body["items"] == [] and body["offset"] == 500, path
    assert client.get("/api/v1/models", params={"limit": 2, "offset": 500}).json()["total"] == 1
    assert asked and max(limit for _, limit in asked) == 2, asked
    assert {name for name, _ in asked} == {"models", "pricing", "changes"}


def test_unknown_parameters_are_422_naming_them(client: TestClient) -> None:
    response = client.get("/api/v1/models?provder=openai&limit=5")
    assert response.status_code == 422
    body = response.json()
    assert [p["parameter"] for p in body["problems"]] == ["provder"]
    assert "provider" in body["problems"][0]["message"]  # what it could have meant is listed
    assert client.get("/api/v1/status?verbose=1").status_code == 422
    assert client.get("/api/v1/models/openai/gpt-4o?expand=all").status_code == 422
    assert client.get("/api/v1/models?provider=openai&limit=5").status_code == 200


def test_head_answers_wherever_get_does(client: TestClient) -> None:
    for path in ("/api/v1/models", "/api/v1/models/openai/gpt-4o", "/api/v1/status", "/api/v1/providers/openai/availability"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers.get("etag") == got.headers.get("etag"), path
        assert head.headers["content-length"] == str(len(got.content)), path
    assert client.head("/api/v1/models?nope=1").status_code == 422


def test_if_none_match_any_weak_and_listed_tags(client: TestClient) -> None:
    etag = client.get("/api/v1/models").headers["etag"]
    for header in ("*", etag, f"W/{etag}", f'"other", {etag}', f'W/"other", W/{etag}'):
        response = client.get("/api/v1/models", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.headers["etag"] == etag and response.content == b""
    assert client.get("/api/v1/models", headers={"If-None-Match": '"other"'}).status_code == 200
    assert etag_matches('W/"a"', '"a"') and etag_matches('"a"', 'W/"a"') and not etag_matches('"a"', '"b"')
    assert not etag_matches(None, '"a"') and not etag_matches("", '"a"')


def test_bearer_scheme_in_any_case(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [bearer_token(h) for h in (f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER  {TOKEN} ", f"Basic {TOKEN}", TOKEN, None)] == [
        TOKEN, TOKEN, TOKEN, "", "", ""]
    monkeypatch.setenv("AISI_API_TOKEN", TOKEN)
    assert client.post("/api/v1/sync/cohere", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    launched = client.post("/api/v1/sync/cohere", headers={"Authorization": f"bearer {TOKEN}"})
    assert launched.status_code == 202, launched.text
    _kill_and_wait_reaped(launched.json()["pid"])


def test_simultaneous_syncs_launch_one_refresh_and_it_is_reaped(home: Path) -> None:
    """Twenty requests for one source at the same moment: one refresh starts, nineteen are told
    it is running; once it ends the process is reaped, and the next request launches again."""
    barrier = threading.Barrier(20)
    launched: list[int] = []
    busy: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        barrier.wait()
        try:
            launched.append(launch_sync("cohere", home).pid)
        except SyncBusy as exc:
            busy.append(str(exc))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(launched) == 1 and len(busy) == 19, (launched, busy[:2])
    assert all("already running" in text for text in busy)
    _kill_and_wait_reaped(launched[0])
    again = launch_sync("cohere", home)
    assert again.pid != launched[0]
    _kill_and_wait_reaped(again.pid)


def test_docs_load_nothing_from_the_internet(client: TestClient) -> None:
    """/docs and /redoc reference only the API's own files, and those files are served."""
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"], page
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ['"]([^'"]+)['"]""", html.text)
        urls = [a or b for a, b in assets]
        assert urls, page
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], (page, urls)
        for url in urls:
            if url.endswith((".js", ".css")):
                served = client.get(url)
                assert served.status_code == 200 and len(served.content) > 10_000, (page, url)
    assert client.get("/openapi.json").json()["info"]["title"] == "AI Server Information"


def test_oversized_urls_and_headers_are_refused_before_any_work(client: TestClient) -> None:
    from api.http_rules import MAX_HEADER_BYTES, MAX_URL_BYTES

    long_url = client.get("/api/v1/search?q=" + "a" * MAX_URL_BYTES)
    assert long_url.status_code == 414 and "URL too long" in long_url.json()["error"]
    big_headers = client.get("/api/v1/models", headers={f"x-junk-{i}": "b" * 1000 for i in range(MAX_HEADER_BYTES // 1000 + 1)})
    assert big_headers.status_code == 431 and "headers too large" in big_headers.json()["error"]
    assert client.get("/api/v1/search?q=" + "a" * 150).status_code == 200  # an ordinary long search still answers


def test_the_response_cache_is_bounded_by_bytes_and_keyed_by_the_question(client: TestClient) -> None:
    from api.cache import ResponseCache

    cache = ResponseCache(max_bytes=3_500)
    for n in range(5):
        cache.build(("s1", f"/x?n={n}"), lambda: (200, {"pad": "p" * 980}))
    assert len(cache) == 3 and cache.bytes <= 3_500  # the two oldest went
    assert cache.get(("s1", "/x?n=0")) is None and cache.get(("s1", "/x?n=4")) is not None
    etag, body, status = cache.build(("s1", "/huge"), lambda: (200, {"pad": "p" * 10_000}))
    assert status == 200 and len(body) > 10_000 and cache.get(("s1", "/huge")) is None  # served, not kept

    served = client.app.state.response_cache  # type: ignore[attr-defined]
    before = len(served)
    first = client.get("/api/v1/models?limit=5&offset=0&creator=openai")
    again = client.get("/api/v1/models?creator=openai&offset=0&limit=5")
    assert first.status_code == again.status_code == 200 and first.headers["etag"] == again.headers["etag"]
    assert len(served) == before + 1  # one entry for the two spellings


def test_a_client_over_the_rate_limit_gets_429_with_retry_after(home: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.rate_limit import local

    assert local("127.0.0.1") and local("::1") and local(None) and not local("203.0.113.9") and not local("testclient")
    # The fixture's app spares this (local) client: many requests, none limited.
    assert all(client.get("/api/v1/providers").status_code == 200 for _ in range(60))

    # A window of some seconds: four quick requests fall in it however busy the machine is.
    monkeypatch.setenv("AISI_API_RATE_LIMIT", "3/3 seconds")
    monkeypatch.setenv("AISI_API_RATE_LIMIT_LOOPBACK", "1")
    with TestClient(create_app(home=home), client=LOCAL) as limited:
        statuses = [limited.get("/api/v1/providers") for _ in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        refused = statuses[-1]
        retry = int(refused.headers["retry-after"])
        assert 1 <= retry <= 3 and "rate limit" in refused.json()["error"]
        time.sleep(retry + 0.2)  # the window moves on
        assert limited.get("/api/v1/providers").status_code == 200

    monkeypatch.setenv("AISI_API_RATE_LIMIT", "off")
    with TestClient(create_app(home=home), client=LOCAL) as unlimited:
        assert all(unlimited.get("/api/v1/providers").status_code == 200 for _ in range(10))

    monkeypatch.setenv("AISI_API_RATE_LIMIT", "lots")
    with pytest.raises(ValueError, match="AISI_API_RATE_LIMIT must be like 50/second"):
        create_app(home=home)
