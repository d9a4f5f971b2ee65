"""Canary probe (optional, off by default): a tiny streamed chat completion per configured model.

It measures what a listing probe cannot: time to first token and tokens per second of an
OpenAI-compatible chat completion (providers openai, mistral, huggingface, openrouter). Each
canary costs tokens, so the canaries share a daily token budget; a canary whose worst case
(prompt estimate + ``max_tokens``) would overrun it is skipped, with a note, without a request.

Configuration (``canary_config_from_env``):

- ``AISI_CANARY``: ``provider:model`` pairs, comma separated, e.g.
  ``openai:gpt-4o-mini,mistral:mistral-small-latest`` (unset or empty: off). The model is
  everything after the first colon, so ``openrouter:meta-llama/llama-3-8b-instruct:free`` works.
- ``AISI_CANARY_DAILY_TOKENS``: total tokens per UTC day across all canaries (default 20000).
- ``AISI_CANARY_MAX_TOKENS``: completion tokens per canary (default 16).

The chat endpoint's base URL is the catalog source's (``AISI_SOURCE_<NAME>_URL`` overrides it).
Keys are sent only in the ``authorization`` header and never appear in rows or notes.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import httpx

from core.availability.probes import (
    USER_AGENT,
    classify_exception,
    classify_status,
    exception_detail,
    make_row,
    scrub,
    status_detail,
)
from core.settings import settings


@dataclass(frozen=True)
class _Endpoint:
    source: str  # catalog source module under core/sources
    chat_path: str
    stream_options: bool  # documented to accept stream_options.include_usage


# provider id -> its OpenAI-compatible chat endpoint. Mistral streams usage in its last chunk
# without being asked; stream_options is only sent where it is documented.
ENDPOINTS: dict[str, _Endpoint] = {
    "openai": _Endpoint("openai", "/v1/chat/completions", True),
    "mistral": _Endpoint("mistral", "/v1/chat/completions", False),
    "huggingface": _Endpoint("huggingface", "/v1/chat/completions", True),
    "openrouter": _Endpoint("openrouter", "/api/v1/chat/completions", True),
}



@dataclass(frozen=True)
class CanaryConfig:
    """Which models to canary and how many tokens they may spend."""

    targets: tuple[tuple[str, str], ...]  # (provider_id, model)
    daily_token_budget: int  # total tokens per UTC day across all canaries
    max_tokens: int
    prompt: str = "Count from 1 to 10, separated by spaces."

    def worst_case_tokens(self) -> int:
        """Most tokens one canary can cost: the prompt estimate plus ``max_tokens``."""
        return estimate_prompt_tokens(self.prompt) + self.max_tokens


def estimate_prompt_tokens(prompt: str) -> int:
    """A generous estimate of a one-message prompt: ~3 bytes a token plus chat-template overhead."""
    return math.ceil(len(prompt.encode("utf-8")) / 3) + 10


def canary_config_from_env(environ: Mapping[str, str] | None = None) -> CanaryConfig | None:
    """The canary configuration, or None when ``AISI_CANARY`` is unset or empty (canaries off).

    Raises ValueError naming the variable on a malformed entry, an unsupported provider or a
    bad number.
    """
    env = os.environ if environ is None else environ
    raw = settings(env).canary or ""
    if not raw:
        return None
    targets: list[tuple[str, str]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        provider, sep, model = item.partition(":")
        provider, model = provider.strip(), model.strip()
        if not sep or not provider or not model:
            raise ValueError(f"AISI_CANARY: expected provider:model, got {item!r}")
        if provider not in ENDPOINTS:
            supported = ", ".join(sorted(ENDPOINTS))
            raise ValueError(f"AISI_CANARY: provider {provider!r} is not supported (supported: {supported})")
        if (provider, model) not in targets:
            targets.append((provider, model))
    if not targets:
        raise ValueError(f"AISI_CANARY: no provider:model pair in {raw!r}")
    return CanaryConfig(
        targets=tuple(targets),
        daily_token_budget=settings(env).canary_daily_tokens,
        max_tokens=settings(env).canary_max_tokens,
    )


def chat_url(provider_id: str, environ: Mapping[str, str] | None = None) -> str:
    """The provider's chat completions URL: its catalog source's base (or override) + chat path."""
    env = os.environ if environ is None else environ
    endpoint = ENDPOINTS[provider_id]
    spec = importlib.import_module(f"core.sources.{endpoint.source}").SPEC
    base = settings(env).source_url(spec.env_name) or spec.base_url
    return base.rstrip("/") + endpoint.chat_path


@dataclass
class _Stream:
    """What was measured while reading one SSE stream (times in perf_counter seconds)."""

    first: float | None = None
    last: float | None = None
    deltas: int = 0
    usage: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    done: bool = False

    def feed(self, line: str, now: float) -> None:
        """One line of the event stream; ``data: {...}`` lines count, others are ignored."""
        if not line.startswith("data:"):
            return
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(chunk, dict):
            return
        if isinstance(chunk.get("error"), dict):
            self.error = chunk["error"]
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str) and content:
                self.deltas += 1
                self.first = now if self.first is None else self.first
                self.last = now

    def completion_tokens(self) -> int:
        value = (self.usage or {}).get("completion_tokens")
        return value if isinstance(value, int) else self.deltas

    def total_tokens(self, prompt_estimate: int) -> int:
        """prompt + completion tokens from the usage chunk, else the estimate + counted deltas."""
        usage = self.usage or {}
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            return prompt + completion
        if isinstance(usage.get("total_tokens"), int):
            return usage["total_tokens"]
        return prompt_estimate + self.deltas

    def tokens_per_s(self) -> float | None:
        """The tokens after the first over the time they took (first to last content token), as
        throughput is usually measured once generation has started; None under 2 tokens."""
        if self.first is None or self.last is None or self.deltas < 2 or self.last <= self.first:
            return None
        return (self.completion_tokens() - 1) / (self.last - self.first)


def _error_message(body: bytes) -> str:
    """The ``error.message`` of a JSON error body, else the body's start."""
    try:
        document = json.loads(body)
        error = document.get("error") if isinstance(document, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return body[:200].decode("utf-8", "replace").strip()


def _run_one(
    client: httpx.Client, config: CanaryConfig, provider_id: str, model: str, key: str, checked_at: datetime, timeout_s: float
) -> tuple[dict[str, Any], bool]:
    """One canary: its row, and whether the provider may have spent tokens on it."""
    endpoint = ENDPOINTS[provider_id]
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": config.prompt}],
        "max_tokens": config.max_tokens,
        "temperature": 0,
        "stream": True,
    }
    if endpoint.stream_options:
        body["stream_options"] = {"include_usage": True}
    headers = {
        "user-agent": USER_AGENT,
        "accept": "text/event-stream",
        "authorization": f"Bearer {key}",
    }
    base = {
        "checked_at": checked_at,
        "provider_id": provider_id,
        "probe": "canary",
        "target": model,
        "authenticated": True,
    }
    estimate = estimate_prompt_tokens(config.prompt)
    url = chat_url(provider_id)  # before the clock starts: it may import the source module
    stream = _Stream()
    status: int | None = None
    started = time.perf_counter()
    try:
        with client.stream("POST", url, json=body, headers=headers) as response:
            status = response.status_code
            if not 200 <= status < 300:
                message = _error_message(response.read())
                latency_ms = (time.perf_counter() - started) * 1000.0
                up, state, kind = classify_status(status, True)
                detail = status_detail(status, True, response.reason_phrase)
                return make_row(
                    **base, up=up, state=state, error_kind=kind, http_status=status, latency_ms=latency_ms,
                    detail=scrub(f"{detail}: {message}" if message else detail, key),
                ), False
            for line in response.iter_lines():
                now = time.perf_counter()
                stream.feed(line, now)
                if stream.done or stream.error is not None:
                    break
                if now - started > timeout_s:  # httpx's read timeout is per read, this is the whole
                    raise TimeoutError(f"stream not finished within {timeout_s:g} s")
    except Exception as exc:  # noqa: BLE001 - every failure becomes a row
        latency_ms = (time.perf_counter() - started) * 1000.0
        kind = classify_exception(exc)
        return make_row(
            **base, up=False, state="error", error_kind=kind, http_status=status, latency_ms=latency_ms,
            ttft_ms=None if stream.first is None else (stream.first - started) * 1000.0,
            tokens=stream.total_tokens(estimate) if stream.deltas else None,
            detail=scrub(exception_detail(kind, exc), key),
        ), status is not None
    ended = time.perf_counter()
    latency_ms = (ended - started) * 1000.0
    ttft_ms = None if stream.first is None else (stream.first - started) * 1000.0
    tokens = stream.total_tokens(estimate)
    if stream.error is not None:
        code = stream.error.get("code")
        up, state, kind = classify_status(code, True) if isinstance(code, int) else (False, "error", "5xx")
        if kind is None:  # an error chunk is never a success, whatever code it carries
            kind = "5xx"
        message = str(stream.error.get("message") or "error in stream")
        return make_row(
            **base, up=up, state="error", error_kind=kind, http_status=status, latency_ms=latency_ms,
            ttft_ms=ttft_ms, tokens=tokens, detail=scrub(f"error chunk in stream: {message}", key),
        ), True
    rate = stream.tokens_per_s()
    completion = stream.completion_tokens()
    parts = [f"{completion} completion tokens" + ("" if stream.usage else " (counted, no usage chunk)")]
    if ttft_ms is not None:
        parts.append(f"ttft {ttft_ms:.0f} ms")
    else:
        parts.append("no content token")
    if rate is not None:
        parts.append(f"{rate:.1f} tokens/s")
    if not stream.done:
        parts.append("stream ended without [DONE]")
    return make_row(
        **base, up=True, state="ok", error_kind=None, http_status=status, latency_ms=latency_ms,
        ttft_ms=ttft_ms, tokens_per_s=rate, tokens=tokens, detail=scrub(", ".join(parts), key),
    ), True


def run_canaries(
    config: CanaryConfig,
    keys: Mapping[str, str | None],
    tokens_used_today: int,
    checked_at: datetime,
    timeout_s: float = 30.0,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Runs the configured canaries one after another; returns ``(rows, notes)``.

    ``keys`` maps provider id -> key. A target without a key is skipped with a note; so is
    every target whose worst case would take the day's spending (``tokens_used_today`` plus
    what earlier canaries of this run used) past ``config.daily_token_budget``. Skipped
    targets get no row and no request.
    """
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    used = max(0, tokens_used_today)
    worst = config.worst_case_tokens()
    timeout = httpx.Timeout(timeout_s)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for provider_id, model in config.targets:
            name = f"{provider_id}:{model}"
            key = keys.get(provider_id)
            if not key:
                notes.append(f"canary {name} skipped: no key for {provider_id}")
                continue
            if used + worst > config.daily_token_budget:
                notes.append(
                    f"canary {name} skipped: daily token budget {config.daily_token_budget} would be exceeded "
                    f"({used} used today, one canary needs up to {worst})"
                )
                continue
            row, spent = _run_one(client, config, provider_id, model, key, checked_at, timeout_s)
            rows.append(row)
            if row["tokens"] is not None:
                used += row["tokens"]
            elif spent:  # the provider may have billed tokens we could not count: assume the worst
                used += worst
    return rows, notes
