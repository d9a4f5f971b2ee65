"""AISI_EXECUTOR picks how catalog runs execute their steps, and AISI_SOURCE_<NAME>_CADENCE moves a
source onto a schedule of its own cadence (a deployment test schedules a source every minute)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.settings import settings
from tests.aisi_process import REPO


def test_executor_setting_reads_and_rejects() -> None:
    assert settings({}).executor == "in_process" and settings({}).executor_max_concurrency is None
    given = settings({"AISI_EXECUTOR": "Multiprocess", "AISI_EXECUTOR_MAX_CONCURRENCY": "3"})
    assert given.executor == "multiprocess" and given.executor_max_concurrency == 3
    with pytest.raises(ValueError, match="AISI_EXECUTOR must be in_process or multiprocess, got 'threads'"):
        settings({"AISI_EXECUTOR": "threads"}).executor
    with pytest.raises(ValueError, match="AISI_EXECUTOR_MAX_CONCURRENCY must be a whole number >= 1, got '0'"):
        settings({"AISI_EXECUTOR_MAX_CONCURRENCY": "0"}).executor_max_concurrency


def test_cadence_override(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.sources import models_dev, openrouter, openrouter_endpoints

    monkeypatch.delenv("AISI_SOURCE_MODELS_DEV_CADENCE", raising=False)
    assert models_dev.SPEC.schedule() == models_dev.SPEC.cadence == "0 * * * *"
    monkeypatch.setenv("AISI_SOURCE_MODELS_DEV_CADENCE", "* * * * *")
    assert models_dev.SPEC.schedule() == "* * * * *" and models_dev.SPEC.cadence == "0 * * * *"
    # Named after the source, not its URL variable: openrouter_endpoints shares OPENROUTER's URL only.
    monkeypatch.setenv("AISI_SOURCE_OPENROUTER_ENDPOINTS_CADENCE", "*/10 * * * *")
    assert openrouter_endpoints.SPEC.schedule() == "*/10 * * * *" and openrouter.SPEC.schedule() == "0 * * * *"
    monkeypatch.setenv("AISI_SOURCE_MODELS_DEV_CADENCE", "every minute")
    with pytest.raises(ValueError, match="AISI_SOURCE_MODELS_DEV_CADENCE: cron 'every minute'"):
        models_dev.SPEC.schedule()


def _load(env: dict[str, str]) -> str:
    """What a code location loaded with ``env`` makes of the catalog's executors and schedules."""
    code = (
        "from pipelines.definitions import build_definitions\n"
        "repo = build_definitions().get_repository_def()\n"
        "jobs = {j.name: j.executor_def for j in repo.get_all_jobs()}\n"
        "print(jobs['catalog_job'].name, jobs['__ASSET_JOB'].name, jobs['probe_job'].name)\n"
        "print(sorted((s.name, s.cron_schedule) for s in repo.schedule_defs if s.name.startswith('sources_')))\n"
        "print(sorted(k.to_user_string() for k in repo.get_job('sources_every_1_minutes').asset_layer.selected_asset_keys)"
        " if repo.has_job('sources_every_1_minutes') else [])\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AISI_EXECUTOR", "AISI_SOURCE_"))}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_loaded_code_location_follows_the_settings(tmp_path) -> None:
    default = _load({"AISI_HOME": str(tmp_path)})
    assert default.splitlines()[0] == "in_process in_process in_process"
    assert "sources_every_1_minutes" not in default
    chosen = _load({"AISI_HOME": str(tmp_path), "AISI_EXECUTOR": "multiprocess", "AISI_SOURCE_MODELS_DEV_CADENCE": "* * * * *"})
    # Catalog runs (the job, the cadence jobs, the automation runs) go multiprocess; the monitor's stay in process.
    assert chosen.splitlines()[0] == "multiprocess multiprocess in_process"
    assert "('sources_every_1_minutes', '* * * * *')" in chosen
    assert chosen.splitlines()[2] == "['models_dev_raw']"
