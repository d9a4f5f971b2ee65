"""Benchmarks: ``python -m benchmarks`` runs every figure and prints a table (see README.md)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Same place the tests look for it: ../shared/reference/data beside the repository.
REFERENCE = Path(os.environ.get("AISI_REFERENCE_DATA", REPO.parent / "shared" / "reference" / "data"))

# The three aggregator sources: env name -> (prefix on the replay server, the source's own path, reference file).
SOURCES = {
    "OPENROUTER": ("/openrouter", "/api/v1/models", "openrouter/openrouter_models.2026-08-01.token-tariff.json"),
    "MODELS_DEV": ("/models_dev", "/api.json", "models.dev/api.json"),
    "LITELLM": ("/litellm", "/model_prices_and_context_window.json", "litellm/model_prices_and_context_window.2026-07-24.json"),
}


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: this one minus anything that would point it
    elsewhere (other sources, PostgreSQL, another Dagster home), plus ``AISI_HOME``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AISI_SOURCE_") and k not in ("AISI_DATABASE_URL", "AISI_DAGSTER_PG_URL", "AISI_API_TOKEN", "DAGSTER_HOME")
    }
    env["AISI_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env
