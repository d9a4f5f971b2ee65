"""AISI_SOURCES: the sources it leaves out are skipped before any request."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.fetch.engine import fetch_source
from core.sources import openrouter
from core.sources.spec import chosen_sources, is_chosen
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource


def test_unset_runs_every_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISI_SOURCES", raising=False)
    assert chosen_sources() is None and is_chosen("openrouter")
    monkeypatch.setenv("AISI_SOURCES", " litellm , models_dev,")
    assert chosen_sources() == {"litellm", "models_dev"}
    assert is_chosen("litellm") and not is_chosen("openrouter")


def test_a_source_left_out_is_skipped_without_a_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A listening socket that is never accepted from: a request would hang, not be answered.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        monkeypatch.setenv("AISI_SOURCE_OPENROUTER_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
        monkeypatch.setenv("AISI_SOURCES", "litellm")
        outcome = fetch_source(openrouter, HttpClientResource(max_attempts=1), RawArchive(tmp_path / "raw"))
        listener.settimeout(0.1)
        with pytest.raises(socket.timeout):
            listener.accept()  # nobody connected
    assert outcome.status == "skipped" and outcome.badge is None and outcome.entries == []
    assert outcome.error == "skipped: not in AISI_SOURCES"
