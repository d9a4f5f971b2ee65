"""Active listing probes against real HTTP servers on 127.0.0.1 (no internet)."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from core.availability.probes import (
    COLUMNS,
    classify_exception,
    classify_status,
    display_url,
    run_probes,
)
from core.availability.targets import ProbeTarget
from tests.replay import ReplayServer

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
KEY = "sk-PLANTEDprobeKey-7f3a9c1e"
BODY = b'{"data": [{"id": "m1"}]}'


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def plain(url: str, provider: str = "p") -> ProbeTarget:
    return ProbeTarget(provider, url, None)


def keyed(url: str) -> ProbeTarget:
    """A target reusing the openai source's bearer auth."""
    return ProbeTarget("openai", url, "openai", ("OPENAI_API_KEY",))


def seen(server: ReplayServer, path: str, settle_s: float = 0.1) -> list:
    """The requests the server logged for ``path``; it logs after answering, so wait for them."""
    deadline = time.monotonic() + 2.0
    while not server.seen(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(settle_s)  # a retry, were there one, would be logged by now
    return server.seen(path)


def one(target: ProbeTarget, key: str | None = None, timeout_s: float = 5.0) -> dict:
    rows = run_probes([(target, key)], NOW, timeout_s=timeout_s)
    assert len(rows) == 1
    return rows[0]


def test_rows_have_exactly_the_table_columns(server: ReplayServer) -> None:
    sql = (REPO / "sql/monitor/duckdb_availability_checks.sql").read_text()
    table = sql[sql.index("CREATE TABLE") :]
    body = table[table.index("(") + 1 : table.rindex(")")]
    columns = tuple(re.match(r"\s*(\w+)", line).group(1) for line in body.split(",\n") if line.strip())
    assert COLUMNS == columns
    server.add("/v1/models", BODY)
    assert tuple(one(plain(server.url + "/v1/models")).keys()) == columns


def test_ok_with_latency_and_target_without_query(server: ReplayServer) -> None:
    server.add("/v1/models", BODY)
    row = one(plain(server.url + "/v1/models?limit=1000&x=y"))
    assert row["up"] is True and row["state"] == "ok" and row["error_kind"] is None
    assert row["http_status"] == 200
    assert row["probe"] == "listing" and row["provider_id"] == "p" and row["checked_at"] == NOW
    assert row["target"] == server.url + "/v1/models"
    assert row["authenticated"] is False
    assert 0 < row["latency_ms"] < 5000
    assert row["ttft_ms"] is None and row["tokens_per_s"] is None and row["tokens"] is None
    assert "200" in row["detail"]
    assert len(seen(server, "/v1/models")) == 1


def test_slow_beyond_timeout_is_timeout(server: ReplayServer) -> None:
    route = server.add("/slow", BODY)
    route.mode, route.delay = "slow", 2.0
    started = time.perf_counter()
    row = one(plain(server.url + "/slow"), timeout_s=0.5)
    elapsed = time.perf_counter() - started
    assert row["error_kind"] == "timeout" and row["state"] == "error" and row["up"] is False
    assert row["http_status"] is None
    assert 400 <= row["latency_ms"] < 1500
    assert elapsed < 1.8  # did not wait for the server's 2 s


def test_slow_within_timeout_is_ok_and_latency_covers_the_delay(server: ReplayServer) -> None:
    route = server.add("/slow", BODY)
    route.mode, route.delay = "slow", 0.3
    row = one(plain(server.url + "/slow"), timeout_s=3.0)
    assert row["state"] == "ok" and row["up"] is True
    assert row["latency_ms"] >= 300


def test_500_is_down_without_retry(server: ReplayServer) -> None:
    server.add("/v1/models", BODY).mode = "500"
    row = one(plain(server.url + "/v1/models"))
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (False, "error", "5xx", 500)
    assert row["latency_ms"] > 0
    assert len(seen(server, "/v1/models")) == 1


def test_429_is_up_with_kind_429(server: ReplayServer) -> None:
    route = server.add("/v1/models", BODY)
    route.mode, route.fail_times = "429", 5
    row = one(plain(server.url + "/v1/models"))
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "error", "429", 429)
    assert len(seen(server, "/v1/models")) == 1


def test_401_without_key_is_reachable_unauthenticated(server: ReplayServer) -> None:
    server.add("/v1/models", BODY, require={"authorization": f"Bearer {KEY}"})
    row = one(keyed(server.url + "/v1/models"), None)
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "reachable_unauthenticated", None, 401)
    assert row["authenticated"] is False
    assert row["detail"] == "reachable, unauthenticated (no key set)"
    assert "authorization" not in seen(server, "/v1/models")[0].headers


def test_key_is_sent_in_header_and_accepted(server: ReplayServer) -> None:
    server.add("/v1/models", BODY, require={"authorization": f"Bearer {KEY}"})
    row = one(keyed(server.url + "/v1/models"), KEY)
    assert row["state"] == "ok" and row["authenticated"] is True
    request = seen(server, "/v1/models")[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in request.target  # never in the URL
    assert all(KEY not in str(value) for value in row.values())


def test_401_with_key_is_a_4xx_error_and_the_key_appears_nowhere(server: ReplayServer) -> None:
    server.add("/v1/models", BODY, require={"authorization": "Bearer another-key"})
    row = one(keyed(server.url + "/v1/models"), KEY)
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "error", "4xx", 401)
    assert row["authenticated"] is True
    assert "key rejected" in row["detail"]
    assert all(KEY not in str(value) for value in row.values())


def test_404_is_up_4xx(server: ReplayServer) -> None:
    row = one(plain(server.url + "/nothing-here"))
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "error", "4xx", 404)


@pytest.fixture
def closing_port() -> Iterator[int]:
    """A raw socket server that accepts, reads the request and closes without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    accepted: list[int] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            accepted.append(1)
            with conn:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()
    assert accepted, "the closing server never saw a connection"


def test_server_closing_without_answer_is_closed(closing_port: int) -> None:
    row = one(plain(f"http://127.0.0.1:{closing_port}/v1/models"))
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (False, "error", "closed", None)
    assert row["latency_ms"] is not None


def test_refused_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    row = one(plain(f"http://127.0.0.1:{port}/v1/models"))
    assert (row["up"], row["state"], row["error_kind"]) == (False, "error", "refused")
    assert row["latency_ms"] < 5000


def test_https_to_plain_http_port_is_tls(server: ReplayServer) -> None:
    server.add("/v1/models", BODY)
    row = one(plain(server.url.replace("http://", "https://") + "/v1/models"))
    assert (row["up"], row["state"], row["error_kind"]) == (False, "error", "tls")


def test_unresolvable_host_is_dns() -> None:
    # Here (no network) resolving a .invalid name fails at once with socket.gaierror.
    started = time.perf_counter()
    row = one(plain("http://nonexistent.invalid/v1/models"), timeout_s=3.0)
    assert (row["up"], row["state"], row["error_kind"]) == (False, "error", "dns")
    assert time.perf_counter() - started < 3.5


def test_targets_run_concurrently_in_input_order(server: ReplayServer) -> None:
    delay, count = 0.4, 8
    for i in range(count):
        route = server.add(f"/slow{i}", BODY)
        route.mode, route.delay = "slow", delay
    targets = [(plain(f"{server.url}/slow{i}", f"p{i}"), None) for i in range(count)]
    started = time.perf_counter()
    rows = run_probes(targets, NOW, timeout_s=5.0, concurrency=16)
    elapsed = time.perf_counter() - started
    assert [row["provider_id"] for row in rows] == [f"p{i}" for i in range(count)]
    assert all(row["state"] == "ok" for row in rows)
    assert elapsed / (count * delay) < 0.5, f"{elapsed:.2f}s for {count} x {delay}s: not concurrent"


def test_concurrency_bound_is_respected(server: ReplayServer) -> None:
    delay = 0.3
    for i in range(4):
        route = server.add(f"/slow{i}", BODY)
        route.mode, route.delay = "slow", delay
    started = time.perf_counter()
    rows = run_probes([(plain(f"{server.url}/slow{i}"), None) for i in range(4)], NOW, timeout_s=5.0, concurrency=2)
    assert all(row["state"] == "ok" for row in rows)
    assert time.perf_counter() - started >= 2 * delay * 0.95  # two waves of two


def test_mixed_failures_in_one_run(server: ReplayServer) -> None:
    server.add("/ok", BODY)
    server.add("/down", BODY).mode = "500"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows = run_probes(
        [(plain(server.url + "/ok"), None), (plain(server.url + "/down"), None), (plain(f"http://127.0.0.1:{port}/"), None)],
        NOW,
        timeout_s=3.0,
    )
    assert [(r["state"], r["error_kind"]) for r in rows] == [("ok", None), ("error", "5xx"), ("error", "refused")]


def test_empty_target_list() -> None:
    assert run_probes([], NOW) == []


def test_works_when_called_inside_a_running_loop(server: ReplayServer) -> None:
    server.add("/v1/models", BODY)

    async def caller() -> list[dict]:
        return run_probes([(plain(server.url + "/v1/models"), None)], NOW, timeout_s=3.0)

    rows = asyncio.run(caller())
    assert rows[0]["state"] == "ok"


def test_works_from_a_worker_thread(server: ReplayServer) -> None:
    server.add("/v1/models", BODY)
    result: list[dict] = []
    thread = threading.Thread(target=lambda: result.extend(run_probes([(plain(server.url + "/v1/models"), None)], NOW)))
    thread.start()
    thread.join(10)
    assert result and result[0]["state"] == "ok"


@pytest.mark.parametrize(
    ("status", "authenticated", "expected"),
    [
        (200, False, (True, "ok", None)),
        (204, True, (True, "ok", None)),
        (401, False, (True, "reachable_unauthenticated", None)),
        (403, False, (True, "reachable_unauthenticated", None)),
        (401, True, (True, "error", "4xx")),
        (403, True, (True, "error", "4xx")),
        (404, False, (True, "error", "4xx")),
        (429, True, (True, "error", "429")),
        (429, False, (True, "error", "429")),
        (500, False, (False, "error", "5xx")),
        (503, True, (False, "error", "5xx")),
    ],
)
def test_classify_status(status: int, authenticated: bool, expected: tuple) -> None:
    assert classify_status(status, authenticated) == expected


def _raised(outer: Exception, cause: BaseException | None = None, context: BaseException | None = None) -> Exception:
    try:
        try:
            if context is not None:
                raise context
        except BaseException:
            if cause is not None:
                raise outer from cause
            raise outer
        if cause is not None:
            raise outer from cause
        raise outer
    except Exception as exc:  # noqa: BLE001
        return exc


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.PoolTimeout("slow"), "timeout"),
        (TimeoutError(), "timeout"),
        (_raised(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")), "dns"),
        (_raised(httpx.ConnectError("x"), _raised(OSError("all failed"), ConnectionRefusedError(111, "refused"))), "refused"),
        (_raised(httpx.ConnectError("x"), ssl.SSLError(1, "WRONG_VERSION_NUMBER")), "tls"),
        (_raised(httpx.ConnectError("x"), context=ssl.SSLCertVerificationError(1, "bad cert")), "tls"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "closed"),
        (httpx.ReadError("eof"), "closed"),
        (_raised(httpx.ReadError("x"), ConnectionResetError(104, "reset")), "closed"),
        (httpx.ConnectError("network unreachable"), "connect"),
        (_raised(httpx.ConnectError("x"), OSError(101, "Network is unreachable")), "connect"),
        (ValueError("odd"), "connect"),
    ],
)
def test_classify_exception(exc: BaseException, kind: str) -> None:
    assert classify_exception(exc) == kind


def test_classify_exception_survives_cycles() -> None:
    a, b = httpx.ConnectError("a"), OSError("b")
    a.__context__, b.__context__ = b, a
    assert classify_exception(a) == "connect"


def test_display_url_drops_query_fragment_and_userinfo() -> None:
    assert display_url("https://u:p@api.example.com:8443/v1/models?key=abc#x") == "https://api.example.com:8443/v1/models"
