"""A source's payload as of a past day: the raw archive, git through a local server, clear errors."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from core.history.dated import (
    DATED_SOURCES,
    LITELLM_GIT,
    NoPayload,
    _github_headers,
    from_archive,
    payload_as_of,
)
from core.sources.litellm import canonical_order
from core.stores.archive import RawArchive
from pipelines.resources.http import HttpClientResource
from tests.conftest import free_port
from tests.replay import ReplayServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backfill"
LITELLM = next(d for d in DATED_SOURCES if d.name == "litellm")
MODELS_DEV = next(d for d in DATED_SOURCES if d.name == "models_dev")
DAY = date(2025, 3, 2)
HTTP = HttpClientResource(max_attempts=1)


def target(url: str) -> str:
    """The request target the replay server sees for ``url``."""
    return httpx.URL(url).raw_path.decode()


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


@pytest.fixture
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_COMMITS_URL", dead + "/commits?until={date}")
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_RAW_URL", dead + "/raw/{commit}/file.json")


@pytest.fixture
def git(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    server = ReplayServer().start()
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_COMMITS_URL", server.url + "/repos/x/commits?path=f.json&until={date}T23:59:59Z&per_page=1")
    monkeypatch.setenv("AISI_BACKFILL_LITELLM_RAW_URL", server.url + "/raw/{commit}/f.json")
    yield server
    server.stop()


def archive_fetch(archive: RawArchive, source: str, payload: bytes, fetched_at: datetime, url: str, outcome: str = "fetched") -> str:
    sha = archive.store(payload)
    archive.record(source=source, url=url, outcome=outcome, fetched_at=fetched_at, http_status=200, sha256=sha, size=len(payload))
    return sha


def test_default_templates_point_at_berriai_litellm_on_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISI_BACKFILL_LITELLM_COMMITS_URL", raising=False)
    monkeypatch.delenv("AISI_BACKFILL_LITELLM_RAW_URL", raising=False)
    assert LITELLM_GIT.commits_url_for("LITELLM", DAY) == (
        "https://api.github.com/repos/BerriAI/litellm/commits?path=model_prices_and_context_window.json"
        "&until=2025-03-02T23:59:59Z&per_page=1"
    )
    assert LITELLM_GIT.raw_url_for("LITELLM", "abc") == (
        "https://raw.githubusercontent.com/BerriAI/litellm/abc/model_prices_and_context_window.json"
    )
    assert [d.name for d in DATED_SOURCES] == ["litellm", "models_dev", "openrouter"]
    assert [d.required for d in DATED_SOURCES] == [True, False, False]


def test_archive_serves_the_last_good_payload_fetched_that_day(archive: RawArchive) -> None:
    day1 = (FIXTURES / "litellm_day1.json").read_bytes()
    day2 = (FIXTURES / "litellm_day2.json").read_bytes()
    archive_fetch(archive, "litellm", day1, datetime(2025, 3, 2, 8, 0, tzinfo=timezone.utc), "https://a.test/1")
    sha2 = archive_fetch(archive, "litellm", day2, datetime(2025, 3, 2, 21, 0, tzinfo=timezone.utc), "https://a.test/2")
    archive.record(source="litellm", url="https://a.test/3", outcome="failed", fetched_at=datetime(2025, 3, 2, 22, tzinfo=timezone.utc))
    archive_fetch(archive, "litellm", day1, datetime(2025, 3, 3, 0, 0, 1, tzinfo=timezone.utc), "https://a.test/next-day")
    archive_fetch(archive, "litellm_git", day1, datetime(2025, 3, 2, 23, 0, tzinfo=timezone.utc), "https://a.test/git")

    found, note = from_archive(LITELLM, DAY, archive)
    assert found is not None, note
    assert (found.origin, found.url, found.sha256) == ("archive", "https://a.test/2", sha2)
    assert found.fetched_at == datetime(2025, 3, 2, 21, 0, tzinfo=timezone.utc)
    assert any(key == "mistral/codestral-latest" for key, _ in found.entries)

    nothing, note = from_archive(LITELLM, date(2025, 3, 1), archive)
    assert nothing is None and "2025-03-01" in note and "index.sqlite" in note


def test_an_unusable_archived_payload_is_passed_over_with_the_reason(archive: RawArchive, no_git: None) -> None:
    archive_fetch(archive, "models_dev", b"<html>maintenance</html>", datetime(2025, 3, 2, 8, tzinfo=timezone.utc), "https://m.test/api.json")
    with pytest.raises(NoPayload) as failed:
        payload_as_of(MODELS_DEV, DAY, HTTP, archive)
    assert "models_dev: no payload for 2025-03-02" in str(failed.value)
    assert "archived payload unusable" in str(failed.value)


def test_git_finds_the_commit_as_of_the_day_and_archives_the_file(archive: RawArchive, git: ReplayServer) -> None:
    commits = git.url + "/repos/x/commits?path=f.json&until=2025-03-02T23:59:59Z&per_page=1"
    git.add(target(commits), b'[{"sha": "c0ffee", "commit": {"committer": {"date": "2025-03-01T17:04:05Z"}}}, {"sha": "older"}]')
    git.add("/raw/c0ffee/f.json", FIXTURES / "litellm_day2.json")

    found, looked = payload_as_of(LITELLM, DAY, HTTP, archive)
    assert (found.origin, found.commit, found.url) == ("git", "c0ffee", git.url + "/raw/c0ffee/f.json")
    assert found.fetched_at == datetime(2025, 3, 1, 17, 4, 5, tzinfo=timezone.utc)  # the commit's date
    assert "none" in looked[0] and "c0ffee" in looked[1]
    # Archived under litellm_git: the live source's "last good payload" stays its own.
    assert archive.fetch_count("litellm_git") == 1
    assert archive.last_good("litellm") is None
    assert archive.load(found.sha256) == (FIXTURES / "litellm_day2.json").read_bytes()

    again, looked = payload_as_of(LITELLM, DAY, HTTP, archive)
    assert again.sha256 == found.sha256 and "already archived" in looked[1]
    assert len(git.seen("/raw/c0ffee/f.json")) == 1  # a commit is downloaded once


def test_no_payload_anywhere_names_the_source_the_day_and_where_it_looked(archive: RawArchive, git: ReplayServer) -> None:
    commits = git.url + "/repos/x/commits?path=f.json&until=2025-03-02T23:59:59Z&per_page=1"
    git.add(target(commits), b"[]")
    with pytest.raises(NoPayload) as failed:
        payload_as_of(LITELLM, DAY, HTTP, archive)
    text = str(failed.value)
    assert text.startswith("litellm: no payload for 2025-03-02; looked in raw archive ")
    assert str(archive.index_path) in text
    assert commits in text and "no commit of BerriAI/litellm:model_prices_and_context_window.json on or before 2025-03-02" in text


@pytest.mark.parametrize(
    ("answer", "status", "expected"),
    [
        (b'{"message": "API rate limit exceeded"}', 200, "not a list of commits"),
        (b"not json", 200, "not JSON"),
        (b'[{"commit": {}}]', 200, "has no `sha`"),
    ],
)
def test_bad_commit_lookups_say_what_was_wrong(archive: RawArchive, git: ReplayServer, answer: bytes, status: int, expected: str) -> None:
    commits = git.url + "/repos/x/commits?path=f.json&until=2025-03-02T23:59:59Z&per_page=1"
    git.add(target(commits), answer)
    with pytest.raises(NoPayload, match=expected):
        payload_as_of(LITELLM, DAY, HTTP, archive)


def test_a_missing_file_at_the_commit_is_recorded_as_a_failed_fetch(archive: RawArchive, git: ReplayServer) -> None:
    commits = git.url + "/repos/x/commits?path=f.json&until=2025-03-02T23:59:59Z&per_page=1"
    git.add(target(commits), b'[{"sha": "deadbeef"}]')
    with pytest.raises(NoPayload, match="raw/deadbeef/f.json answered HTTP 404"):
        payload_as_of(LITELLM, DAY, HTTP, archive)
    assert archive.fetch_count("litellm_git") == 1 and archive.last_good("litellm_git") is None


def test_git_lookup_unreachable_is_named(archive: RawArchive, no_git: None) -> None:
    with pytest.raises(NoPayload, match=r"commit lookup http://127\.0\.0\.1:\d+/commits\?until=2025-03-02 failed: connection failed"):
        payload_as_of(LITELLM, DAY, HTTP, archive)


def test_github_token_goes_only_to_api_github_com(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISI_BACKFILL_GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_PLANTED")
    assert _github_headers("https://api.github.com/repos/BerriAI/litellm/commits")["authorization"] == "Bearer ghp_PLANTED"
    assert "authorization" not in _github_headers("http://127.0.0.1:9/commits")
    assert "authorization" not in _github_headers("https://api.github.com.evil.test/commits")
    monkeypatch.delenv("GITHUB_TOKEN")
    assert "authorization" not in _github_headers("https://api.github.com/repos/x")


def test_litellm_order_does_not_depend_on_the_files_order() -> None:
    entries = [
        ("codestral/codestral-latest", {"litellm_provider": "codestral"}),
        ("gpt-4o", {"litellm_provider": "openai"}),
        ("mistral/codestral-latest", {"litellm_provider": "mistral"}),
        ("deepseek-chat", {"litellm_provider": "deepseek"}),
        ("deepseek/deepseek-chat", {"litellm_provider": "deepseek"}),
        ("sample_spec", {"litellm_provider": 3}),
    ]
    ordered = [key for key, _ in canonical_order(entries)]
    assert ordered == canonical_order_keys(list(reversed(entries)))
    # The provider's own name first, then provider/model keys, then the rest by key.
    assert ordered.index("mistral/codestral-latest") < ordered.index("codestral/codestral-latest")
    assert ordered.index("deepseek/deepseek-chat") < ordered.index("deepseek-chat")
    assert ordered[-1] == "sample_spec"


def canonical_order_keys(entries: list) -> list[str]:
    return [key for key, _ in canonical_order(entries)]
