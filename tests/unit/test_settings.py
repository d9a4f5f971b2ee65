"""The settings: one typed object reads every variable, README's table is generated from it, and
a bad value names its variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import BY_NAME, SETTINGS, settings
from core.settings_doc import END, START, readme_block

ROOT = Path(__file__).resolve().parents[2]
FAMILY = [re.compile("^" + re.escape(s.name).replace(re.escape("<NAME>"), "[A-Z0-9_]+").replace(re.escape("<PROVIDER>"), "[A-Z0-9_]+") + "$")
          for s in SETTINGS if "<" in s.name]


def test_readme_holds_the_generated_settings_table() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert START in text and END in text, "README lost its settings markers"
    shown = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == readme_block(), "README's settings table is stale: paste the output of `python -m core.settings_doc`"


def test_every_variable_the_code_names_is_a_known_setting() -> None:
    """Any AISI_* name written in the code or the tests is in SETTINGS (directly or as a family)."""
    unknown = set()
    for folder in ("core", "pipelines", "api", "benchmarks", "tests", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", "") or not path.is_file():
                continue
            for name in re.findall(r"\bAISI_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8", errors="replace")):
                if name not in BY_NAME and not any(f.match(name) for f in FAMILY) and not name.endswith("_"):
                    unknown.add(name)
    unknown -= {"AISI_VENV"}  # scripts/env.sh: where the virtual environment lives, before Python runs
    assert sorted(unknown) == []


def test_defaults_types_and_errors() -> None:
    empty = settings({})
    assert empty.home == Path("data").resolve()
    assert (empty.http_max_attempts, empty.http_backoff_s, empty.drop_guard_share, empty.removed_after_runs) == (3, 0.5, 0.2, 3)
    assert empty.database_url is None and empty.sources is None and empty.canary is None
    assert empty.source_url("OPENROUTER") is None and empty.source_timeout("OPENROUTER") is None
    assert not any(empty.autostart(area) for area in ("catalog", "monitor", "notify", "maintenance"))

    given = settings({"AISI_HOME": "/srv/aisi", "AISI_SOURCES": " openrouter, litellm ,", "AISI_SOURCE_OPENROUTER_TIMEOUT": "7.5",
                      "AISI_STATUS_OPENAI_URL": "http://127.0.0.1:9/", "AISI_MONITOR_AUTOSTART": "TRUE", "AISI_DATABASE_URL": "  "})
    assert given.home == Path("/srv/aisi") and given.sources == {"openrouter", "litellm"}
    assert given.source_timeout("OPENROUTER") == 7.5 and given.status_url("openai") == "http://127.0.0.1:9/"
    assert given.autostart("monitor") and given.database_url is None  # blank is unset

    with pytest.raises(ValueError, match=r"AISI_DROP_GUARD_SHARE must be a number between 0.0 and 1.0, got '1.5'"):
        settings({"AISI_DROP_GUARD_SHARE": "1.5"}).drop_guard_share
    with pytest.raises(ValueError, match=r"AISI_REMOVED_AFTER_RUNS must be a whole number >= 1, got 'two'"):
        settings({"AISI_REMOVED_AFTER_RUNS": "two"}).removed_after_runs
    with pytest.raises(ValueError, match=r"AISI_SOURCE_LITELLM_TIMEOUT must be a number >= 0.001, got '0'"):
        settings({"AISI_SOURCE_LITELLM_TIMEOUT": "0"}).source_timeout("LITELLM")
    with pytest.raises(ValueError, match="unknown area 'catalogue'"):
        empty.autostart("catalogue")


def test_the_environment_is_read_when_asked_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "5")
    assert settings().http_max_attempts == 5
    monkeypatch.setenv("AISI_HTTP_MAX_ATTEMPTS", "1")
    assert settings().http_max_attempts == 1
