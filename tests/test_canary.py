"""Canary completions against a local SSE server emulating OpenAI-compatible streaming."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from core.availability.canary import (
    CanaryConfig,
    canary_config_from_env,
    chat_url,
    estimate_prompt_tokens,
    run_canaries,
)
from core.availability.probes import COLUMNS

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
KEY = "sk-PLANTEDcanaryKey-4b2d8e"


def chunk(content: str | None = None, usage: dict | None = None, finish: str | None = None) -> bytes:
    """One ``data: {...}`` event of an OpenAI chat.completion.chunk stream."""
    choices = [] if usage is not None else [{"index": 0, "delta": {} if content is None else {"content": content}, "finish_reason": finish}]
    document: dict[str, Any] = {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": choices}
    if usage is not None:
        document["usage"] = usage
    return b"data: " + json.dumps(document).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


@dataclass
class Script:
    """What the server answers: a status, and events written after the given delays."""

    status: int = 200
    events: list[tuple[float, bytes]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class SseServer:
    """A streaming chat-completions emulator on 127.0.0.1 (chunked transfer, flushed writes)."""

    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw)))
                script = outer.script
                if script.status != 200:
                    self.send_response(script.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(script.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(script.body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.flush()
                try:
                    for delay, data in script.events:
                        time.sleep(delay)
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:  # the client gave up
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sse(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SseServer]:
    """The SSE server; every canary provider's base URL points at it under /<provider>."""
    server = SseServer()
    for name in ("OPENAI", "MISTRAL", "HUGGINGFACE", "OPENROUTER"):
        monkeypatch.setenv(f"AISI_SOURCE_{name}_URL", f"{server.url}/{name.lower()}")
    yield server
    server.stop()


def config(*targets: tuple[str, str], budget: int = 20000, max_tokens: int = 16) -> CanaryConfig:
    return CanaryConfig(targets=tuple(targets), daily_token_budget=budget, max_tokens=max_tokens)


def no_key_anywhere(rows: list[dict], notes: list[str]) -> bool:
    return all(KEY not in str(value) for row in rows for value in row.values()) and all(KEY not in n for n in notes)


FIRST_DELAY, GAP, CONTENT = 0.3, 0.05, ["1", " 2", " 3", " 4", " 5", " 6"]


def streamed(usage: dict | None) -> list[tuple[float, bytes]]:
    events = [(0.0, chunk(""))]  # role chunk with empty content: not a token
    events.append((FIRST_DELAY, chunk(CONTENT[0])))
    events += [(GAP, chunk(text)) for text in CONTENT[1:]]
    events.append((0.0, chunk(finish="length")))
    if usage is not None:
        events.append((0.0, chunk(usage=usage)))
    events.append((0.0, DONE))
    events.append((0.0, chunk("after done, ignored")))
    return events


def test_streamed_completion_measures_ttft_rate_and_usage(sse: SseServer) -> None:
    sse.script = Script(events=streamed({"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26}))
    rows, notes = run_canaries(config(("openai", "gpt-4o-mini")), {"openai": KEY}, 0, NOW, timeout_s=5.0)
    assert notes == []
    assert len(rows) == 1
    row = rows[0]
    assert tuple(row) == COLUMNS
    assert (row["provider_id"], row["probe"], row["target"], row["checked_at"]) == ("openai", "canary", "gpt-4o-mini", NOW)
    assert (row["up"], row["state"], row["error_kind"], row["http_status"], row["authenticated"]) == (True, "ok", None, 200, True)
    assert row["tokens"] == 26
    assert row["ttft_ms"] >= FIRST_DELAY * 1000
    assert row["ttft_ms"] < FIRST_DELAY * 1000 + 1000
    # 5 tokens after the first over 5 gaps of 50 ms: at most 20 tokens/s, less when sleeps overrun.
    assert 8.0 < row["tokens_per_s"] <= 5 / (5 * GAP) * 1.02
    assert row["latency_ms"] >= row["ttft_ms"] + 5 * GAP * 1000 * 0.95
    assert "6 completion tokens" in row["detail"]
    # The request: the chat path under the source's base, a streamed tiny completion with usage.
    (request,) = sse.requests
    assert request.path == "/openai/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["max_tokens"] == 16
    assert request.body["messages"] == [{"role": "user", "content": CanaryConfig.__dataclass_fields__["prompt"].default}]
    assert no_key_anywhere(rows, notes)


def test_without_usage_chunk_tokens_are_counted(sse: SseServer) -> None:
    sse.script = Script(events=streamed(None))
    cfg = config(("mistral", "mistral-small-latest"))
    rows, _ = run_canaries(cfg, {"mistral": KEY}, 0, NOW, timeout_s=5.0)
    (row,) = rows
    assert row["state"] == "ok"
    assert row["tokens"] == estimate_prompt_tokens(cfg.prompt) + len(CONTENT)
    assert 8.0 < row["tokens_per_s"] <= (len(CONTENT) - 1) / (5 * GAP) * 1.02
    assert "counted" in row["detail"]
    (request,) = sse.requests
    assert request.path == "/mistral/v1/chat/completions"
    assert "stream_options" not in request.body  # Mistral sends usage unasked


def test_single_token_has_no_rate(sse: SseServer) -> None:
    sse.script = Script(events=[(0.05, chunk("Hi")), (0.0, chunk(usage={"prompt_tokens": 9, "completion_tokens": 1})), (0.0, DONE)])
    rows, _ = run_canaries(config(("openai", "m")), {"openai": KEY}, 0, NOW, timeout_s=5.0)
    assert rows[0]["state"] == "ok" and rows[0]["tokens_per_s"] is None and rows[0]["tokens"] == 10
    assert rows[0]["ttft_ms"] >= 50


def test_chat_urls_follow_the_source_bases(sse: SseServer) -> None:
    assert chat_url("openrouter") == f"{sse.url}/openrouter/api/v1/chat/completions"
    assert chat_url("huggingface") == f"{sse.url}/huggingface/v1/chat/completions"
    assert chat_url("openai", {}) == "https://api.openai.com/v1/chat/completions"
    assert chat_url("mistral", {}) == "https://api.mistral.ai/v1/chat/completions"
    assert chat_url("huggingface", {}) == "https://router.huggingface.co/v1/chat/completions"
    assert chat_url("openrouter", {}) == "https://openrouter.ai/api/v1/chat/completions"
    sse.script = Script(events=streamed({"prompt_tokens": 20, "completion_tokens": 6}))
    rows, _ = run_canaries(
        config(("openrouter", "meta-llama/llama-3-8b-instruct:free"), ("huggingface", "Qwen/Qwen2.5-7B-Instruct")),
        {"openrouter": KEY, "huggingface": KEY}, 0, NOW, timeout_s=5.0,
    )
    assert [r["state"] for r in rows] == ["ok", "ok"]
    assert [r.path for r in sse.requests] == ["/openrouter/api/v1/chat/completions", "/huggingface/v1/chat/completions"]


def test_budget_nearly_spent_makes_no_request(sse: SseServer) -> None:
    sse.script = Script(events=streamed({"prompt_tokens": 20, "completion_tokens": 6}))
    cfg = config(("openai", "gpt-4o-mini"), ("mistral", "mistral-small-latest"), budget=1000)
    rows, notes = run_canaries(cfg, {"openai": KEY, "mistral": KEY}, 1000 - 5, NOW, timeout_s=5.0)
    assert rows == []
    assert sse.requests == []
    assert len(notes) == 2
    assert all("budget" in note and "1000" in note and "995" in note for note in notes)


def test_budget_is_spent_across_the_run(sse: SseServer) -> None:
    sse.script = Script(events=streamed({"prompt_tokens": 20, "completion_tokens": 6}))
    cfg = config(("openai", "a"), ("openai", "b"))
    budget = cfg.worst_case_tokens() + 10  # room for one canary (26 tokens), not two
    rows, notes = run_canaries(config(("openai", "a"), ("openai", "b"), budget=budget), {"openai": KEY}, 0, NOW, timeout_s=5.0)
    assert [r["target"] for r in rows] == ["a"]
    assert len(sse.requests) == 1
    assert len(notes) == 1 and "openai:b" in notes[0] and "26 used" in notes[0]


def test_provider_without_key_is_skipped(sse: SseServer) -> None:
    sse.script = Script(events=streamed({"prompt_tokens": 20, "completion_tokens": 6}))
    rows, notes = run_canaries(config(("mistral", "m1"), ("openai", "m2")), {"openai": KEY, "mistral": None}, 0, NOW, timeout_s=5.0)
    assert [r["provider_id"] for r in rows] == ["openai"]
    assert [r.path for r in sse.requests] == ["/openai/v1/chat/completions"]
    assert notes == ["canary mistral:m1 skipped: no key for mistral"]


def test_rejected_key_is_4xx_and_key_never_leaks(sse: SseServer) -> None:
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}).encode()
    sse.script = Script(status=401, body=body)
    rows, notes = run_canaries(config(("openai", "gpt-4o-mini")), {"openai": KEY}, 0, NOW, timeout_s=5.0)
    (row,) = rows
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (True, "error", "4xx", 401)
    assert "key rejected" in row["detail"] and "Incorrect API key" in row["detail"]
    assert row["ttft_ms"] is None and row["tokens"] is None
    assert no_key_anywhere(rows, notes)


@pytest.mark.parametrize(("status", "up", "kind"), [(500, False, "5xx"), (503, False, "5xx"), (429, True, "429"), (404, True, "4xx")])
def test_http_errors_are_classified_like_probes(sse: SseServer, status: int, up: bool, kind: str) -> None:
    sse.script = Script(status=status, body=b'{"error": {"message": "nope"}}')
    rows, _ = run_canaries(config(("openai", "m")), {"openai": KEY}, 0, NOW, timeout_s=5.0)
    assert (rows[0]["up"], rows[0]["state"], rows[0]["error_kind"], rows[0]["http_status"]) == (up, "error", kind, status)
    assert len(sse.requests) == 1  # no retry


def test_error_chunk_in_stream(sse: SseServer) -> None:
    error = b'data: {"error": {"code": 502, "message": "upstream provider failed"}}\n\n'
    sse.script = Script(events=[(0.01, chunk("1")), (0.01, error), (0.0, DONE)])
    (row,), _ = run_canaries(config(("openrouter", "x/y")), {"openrouter": KEY}, 0, NOW, timeout_s=5.0)
    assert (row["up"], row["state"], row["error_kind"]) == (False, "error", "5xx")
    assert "upstream provider failed" in row["detail"]


def test_slow_stream_times_out(sse: SseServer) -> None:
    sse.script = Script(events=[(2.0, chunk("late")), (0.0, DONE)])
    started = time.perf_counter()
    (row,), _ = run_canaries(config(("openai", "m")), {"openai": KEY}, 0, NOW, timeout_s=0.5)
    assert (row["up"], row["state"], row["error_kind"]) == (False, "error", "timeout")
    assert time.perf_counter() - started < 1.8


def test_unreachable_provider_is_down(home: Path) -> None:
    # The home fixture points every source at a closed local port.
    (row,), _ = run_canaries(config(("openai", "m")), {"openai": KEY}, 0, NOW, timeout_s=2.0)
    assert (row["up"], row["state"], row["error_kind"], row["http_status"]) == (False, "error", "refused", None)


# -- configuration -----------------------------------------------------------------------------


def test_config_off_when_unset_or_empty() -> None:
    assert canary_config_from_env({}) is None
    assert canary_config_from_env({"AISI_CANARY": "  "}) is None


def test_config_parses_targets_and_defaults() -> None:
    cfg = canary_config_from_env(
        {"AISI_CANARY": " openai:gpt-4o-mini, mistral:mistral-small-latest,,openrouter:meta-llama/llama-3-8b-instruct:free,openai:gpt-4o-mini"}
    )
    assert cfg is not None
    assert cfg.targets == (
        ("openai", "gpt-4o-mini"),
        ("mistral", "mistral-small-latest"),
        ("openrouter", "meta-llama/llama-3-8b-instruct:free"),
    )
    assert (cfg.daily_token_budget, cfg.max_tokens) == (20000, 16)
    cfg = canary_config_from_env({"AISI_CANARY": "huggingface:Qwen/Qwen2.5-7B-Instruct", "AISI_CANARY_DAILY_TOKENS": "500", "AISI_CANARY_MAX_TOKENS": "8"})
    assert cfg is not None and (cfg.daily_token_budget, cfg.max_tokens) == (500, 8)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"AISI_CANARY": "openai"}, "AISI_CANARY"),
        ({"AISI_CANARY": "openai:"}, "AISI_CANARY"),
        ({"AISI_CANARY": ":gpt-4o"}, "AISI_CANARY"),
        ({"AISI_CANARY": "anthropic:claude-3-haiku"}, "AISI_CANARY"),
        ({"AISI_CANARY": ","}, "AISI_CANARY"),
        ({"AISI_CANARY": "openai:m", "AISI_CANARY_DAILY_TOKENS": "lots"}, "AISI_CANARY_DAILY_TOKENS"),
        ({"AISI_CANARY": "openai:m", "AISI_CANARY_DAILY_TOKENS": "-1"}, "AISI_CANARY_DAILY_TOKENS"),
        ({"AISI_CANARY": "openai:m", "AISI_CANARY_MAX_TOKENS": "0"}, "AISI_CANARY_MAX_TOKENS"),
        ({"AISI_CANARY": "openai:m", "AISI_CANARY_MAX_TOKENS": "1.5"}, "AISI_CANARY_MAX_TOKENS"),
    ],
)
def test_config_errors_name_the_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        canary_config_from_env(environ)


def test_unsupported_provider_error_lists_supported() -> None:
    with pytest.raises(ValueError, match="anthropic.*supported: huggingface, mistral, openai, openrouter"):
        canary_config_from_env({"AISI_CANARY": "anthropic:claude"})
