"""Shared test fixtures: a data directory per test, the replay server, PostgreSQL, refresh.

``AISI_REQUIRE_SERVICES=1`` (set by .ci/run) turns "PostgreSQL / reference data / Chromium
not available" skips into failures.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.replay import ReplayServer

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


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        unavailable(f"reference data not found at {REFERENCE} (../shared/reference/data beside the repo)")
    return REFERENCE


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh AISI_HOME; no source overrides, no PostgreSQL unless a test sets them."""
    data = tmp_path / "data"
    monkeypatch.setenv("AISI_HOME", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(data / "dagster"))
    for name in list(os.environ):
        if name.startswith("AISI_SOURCE_") or name in ("AISI_DATABASE_URL", "AISI_DAGSTER_PG_URL", "AISI_API_TOKEN"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AISI_HTTP_BACKOFF_S", "0.05")
    # Nothing may leave the machine: sources not replayed by a test point at a closed local port.
    dead = f"http://127.0.0.1:{free_port()}"
    for env_name in ("OPENROUTER", "MODELS_DEV", "LITELLM", "OPENAI", "ANTHROPIC", "GOOGLE", "MISTRAL", "COHERE", "REPLICATE", "HUGGINGFACE"):
        monkeypatch.setenv(f"AISI_SOURCE_{env_name}_URL", dead)
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_AI_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY",
                "COHERE_API_KEY", "CO_API_KEY", "REPLICATE_API_TOKEN", "HF_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return data


@pytest.fixture
def replay(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The three aggregator sources replayed from tests/fixtures, env pointed at them."""
    server = ReplayServer().start()
    for env_name, (prefix, path, fixture) in SOURCE_ROUTES.items():
        server.add(prefix + path, FIXTURES / fixture)
        monkeypatch.setenv(f"AISI_SOURCE_{env_name}_URL", server.url + prefix)
        monkeypatch.setenv(f"AISI_SOURCE_{env_name}_TIMEOUT", "2")
    yield server
    server.stop()


@pytest.fixture
def refresh() -> Callable[..., object]:
    """Runs the catalog job in-process like `aisi refresh` and returns its summary."""
    from pipelines.cli import prepare_instance
    from pipelines.refresh import run_refresh

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
