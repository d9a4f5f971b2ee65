"""Shared test fixtures: a data directory per test, the replay server, PostgreSQL, refresh.

``AISI_REQUIRE_SERVICES=1`` (set by .ci/run) turns "PostgreSQL / reference data / Chromium
not available" skips into failures.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.replay import ReplayServer, Route

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = REPO.parent / "shared" / "reference" / "data"
REQUIRE_SERVICES = os.environ.get("AISI_REQUIRE_SERVICES") == "1"
PG_ADMIN_URL = os.environ.get("AISI_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# Source name -> (path prefix on the replay server, the source's own path, fixture file)
SOURCE_ROUTES = {
    "OPENROUTER": ("/openrouter", "/api/v1/models", "openrouter_models.json"),
    "MODELS_DEV": ("/models_dev", "/api.json", "models_dev_api.json"),
    "LITELLM": ("/litellm", "/model_prices_and_context_window.json", "litellm_prices.json"),
    "LMARENA": ("/lmarena", "/data/leaderboard-text.json", "lmarena/leaderboard-text.json"),
    "LMARENA_HISTORY": ("/lmarena_history", "/output/result.csv", "lmarena/history.csv"),
}


def unavailable(reason: str) -> None:
    """Skip locally; fail where the service is required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reference_data() -> Path:
    """The reference data directory (skips or fails like the other services when absent)."""
    if not REFERENCE.is_dir():
        unavailable(f"reference data not found at {REFERENCE} (../shared/reference/data beside the repo)")
    return REFERENCE


@pytest.fixture
def reference() -> Path:
    return reference_data()


def isolate(mp: pytest.MonkeyPatch, data: Path) -> None:
    """A fresh AISI_HOME, nothing configured, and nothing that may leave the machine: every
    source (from the registry, so new ones are covered) points at a closed local port, every
    key variable is unset. Tests then point the sources they replay at the replay server."""
    from core.settings import status_variable
    from core.sources.registry import HTTP_SOURCES

    mp.setenv("AISI_HOME", str(data))
    mp.setenv("DAGSTER_HOME", str(data / "dagster"))
    for name in list(os.environ):
        if name.startswith(("AISI_SOURCE_", "AISI_STATUS_", "AISI_MONITOR_", "AISI_CANARY", "AISI_PROBE_")) or name in (
            "AISI_DATABASE_URL", "AISI_DAGSTER_PG_URL", "AISI_API_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN",
            "PAGERDUTY_ROUTING_KEY", "AISI_ALERT_WEBHOOK_URL", "AISI_ALERT_WEBHOOK_SECRET", "AISI_ALERT_WEBHOOK_HEADER"
        ):
            mp.delenv(name)
    mp.setenv("AISI_HTTP_BACKOFF_S", "0.05")
    dead = f"http://127.0.0.1:{free_port()}"
    for module in HTTP_SOURCES:
        mp.setenv(module.SPEC.url_variable, dead)
        for key in module.SPEC.key_env:
            mp.delenv(key, raising=False)
    # The monitor's status pages too (its probes reuse the sources' URLs above).
    for provider_id in _monitored_provider_ids():
        mp.setenv(status_variable(provider_id), dead)


def _monitored_provider_ids() -> list[str]:
    import yaml

    from core.paths import CONFIG_DIR

    return list(yaml.safe_load((CONFIG_DIR / "monitor.yaml").read_text(encoding="utf-8"))["providers"])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AISI_HOME; no source overrides, no keys, no PostgreSQL unless a test sets them."""
    data = tmp_path / "data"
    isolate(monkeypatch, data)
    return data


def serve_sources(server: ReplayServer, mp: pytest.MonkeyPatch) -> None:
    """The three aggregator sources' fixtures on ``server``, the environment pointed at them."""
    for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
        server.add(prefix + path, FIXTURES / fixture)
        mp.setenv(f"AISI_SOURCE_{env_name}_URL", server.url + prefix)
        mp.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "2")


@pytest.fixture
def replay(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The three aggregator sources replayed from tests/fixtures, env pointed at them."""
    server = ReplayServer().start()
    serve_sources(server, monkeypatch)
    yield server
    server.stop()


@pytest.fixture
def refresh() -> Callable[..., object]:
    """Runs the catalog job in-process like `aisi refresh` and returns its summary."""
    from pipelines.catalog.refresh import run_refresh
    from pipelines.cli import prepare_instance

    def run(*sources: str) -> object:
        prepare_instance()
        return run_refresh(list(sources), progress=lambda line: None)

    return run


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    if not _pg_available():
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    import psycopg
    from psycopg import sql

    name = f"aisi_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- the seven first-party provider APIs, replayed ------------------------------------------

API_FIXTURES = FIXTURES / "api"
ANTHROPIC_VERSION = "2023-06-01"

# Distinctive planted keys: a test scans everything the platform writes for each of them.
PLANTED_KEYS = {
    "OPENAI_API_KEY": "sk-proj-PLANTEDopenaiKey0a1b2c3d4e5f",
    "ANTHROPIC_API_KEY": "sk-ant-api03-PLANTEDanthropicKey6a7b8c",
    "GOOGLE_AI_API_KEY": "AIzaSyPLANTEDgoogleKey1e2f3a4b5c6d7e",
    "MISTRAL_API_KEY": "PLANTEDmistralKey9f8e7d6c5b4a3f2e",
    "COHERE_API_KEY": "PLANTEDcohereKey3c4d5e6f7a8b9c0d",
    "REPLICATE_API_TOKEN": "r8_PLANTEDreplicateKey2b3c4d5e6f7a",
    "HF_TOKEN": "hf_PLANTEDhuggingfaceKey7d8e9f0a1b2c",
}


@dataclass
class ProviderApi:
    """One provider API on the replay server: where its pages live and what auth it requires."""

    source: str  # our source name
    env_name: str  # AISI_SOURCE_<env_name>_URL
    key_variable: str
    path: str  # path on the replay server (prefix + the API's own path), without query
    pages: list[tuple[str, str]]  # (request target incl. query, fixture file), in fetch order

    @property
    def prefix(self) -> str:
        return "/" + self.source

    @property
    def targets(self) -> list[str]:
        return [target for target, _ in self.pages]

    def auth(self, key: str) -> dict[str, str]:
        """The headers the real API takes the key in (what the replay route requires)."""
        if self.source == "anthropic":
            return {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
        if self.source == "google":
            return {"x-goog-api-key": key}
        return {"authorization": f"Bearer {key}"}


# The exact page URLs each module's first_url / next_url produce from these fixtures.
PROVIDER_APIS = [
    ProviderApi("openai", "OPENAI", "OPENAI_API_KEY", "/openai/v1/models", [("/openai/v1/models", "openai_models.json")]),
    ProviderApi("anthropic", "ANTHROPIC", "ANTHROPIC_API_KEY", "/anthropic/v1/models", [
        ("/anthropic/v1/models?limit=1000", "anthropic_models_page1.json"),
        ("/anthropic/v1/models?limit=1000&after_id=claude-opus-4-20250514", "anthropic_models_page2.json"),
        ("/anthropic/v1/models?limit=1000&after_id=claude-3-7-sonnet-20250219", "anthropic_models_page3.json"),
    ]),
    ProviderApi("google", "GOOGLE", "GOOGLE_AI_API_KEY", "/google/v1beta/models", [
        ("/google/v1beta/models?pageSize=1000", "gemini_models_page1.json"),
        ("/google/v1beta/models?pageSize=1000&pageToken=Cg9nZW1pbmktMi41LWZsYXNo", "gemini_models_page2.json"),
        ("/google/v1beta/models?pageSize=1000&pageToken=ChZnZW1tYS0zLTI3Yi1pdA", "gemini_models_page3.json"),
    ]),
    ProviderApi("mistral", "MISTRAL", "MISTRAL_API_KEY", "/mistral/v1/models", [("/mistral/v1/models", "mistral_models.json")]),
    ProviderApi("cohere", "COHERE", "COHERE_API_KEY", "/cohere/v1/models", [
        ("/cohere/v1/models?page_size=1000", "cohere_models_page1.json"),
        ("/cohere/v1/models?page_size=1000&page_token=c2Vjb25kLXBhZ2U", "cohere_models_page2.json"),
        ("/cohere/v1/models?page_size=1000&page_token=dGhpcmQtcGFnZQ", "cohere_models_page3.json"),
    ]),
    ProviderApi("replicate", "REPLICATE", "REPLICATE_API_TOKEN", "/replicate/v1/models", [
        ("/replicate/v1/models", "replicate_models_page1.json"),
        ("/replicate/v1/models?cursor=cD0yMDI0LTA0LTE4", "replicate_models_page2.json"),
        ("/replicate/v1/models?cursor=cD0yMDIzLTA3LTI2", "replicate_models_page3.json"),
    ]),
    ProviderApi("huggingface", "HUGGINGFACE", "HF_TOKEN", "/huggingface/v1/models", [
        ("/huggingface/v1/models", "huggingface_router_models.json"),
    ]),
]
REPLICATE_ORIGIN = "https://api.replicate.com"


def api_page(api: ProviderApi, fixture: str, server_url: str) -> bytes:
    """A fixture page as the replay server serves it: Replicate's absolute ``next`` / ``previous``
    URLs point at the replay server (its port is only known at run time)."""
    body = (API_FIXTURES / fixture).read_bytes()
    if api.source == "replicate":
        body = body.replace(REPLICATE_ORIGIN.encode(), (server_url + api.prefix).encode())
    return body


@dataclass
class ReplayedApis:
    server: ReplayServer
    apis: dict[str, ProviderApi]
    keys: dict[str, str]  # key variable -> planted key

    def routes(self, source: str) -> list[Route]:
        return [self.server.routes[target] for target in self.apis[source].targets]

    def targets_seen(self, source: str) -> list[str]:
        return [seen.target for seen in self.server.seen(self.apis[source].path)]


@pytest.fixture
def replay_apis(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayedApis:
    """The seven provider APIs on the ``replay`` server, each page a route requiring the API's
    auth headers with a planted key; AISI_SOURCE_<NAME>_URL and the key variables set."""
    for api in PROVIDER_APIS:
        key = PLANTED_KEYS[api.key_variable]
        for target, fixture in api.pages:
            replay.add(target, api_page(api, fixture, replay.url), require=api.auth(key))
        monkeypatch.setenv(f"AISI_SOURCE_{api.env_name}_URL", replay.url + api.prefix)
        monkeypatch.setenv(f"AISI_SOURCE_{api.env_name}_TIMEOUT", "2")
        monkeypatch.setenv(api.key_variable, key)
    return ReplayedApis(replay, {api.source: api for api in PROVIDER_APIS}, dict(PLANTED_KEYS))
