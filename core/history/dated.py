"""A source's payload as of a past day: from the raw archive, or from git for sources kept there.

1. The raw archive: the last good payload of the source fetched on that day (UTC).
2. For a source kept in git (LiteLLM's cost map lives in github BerriAI/litellm): the newest
   commit touching the file on or before the end of that day, found through a commit lookup
   URL (GitHub's commits API by default), then the file at that commit through a raw URL
   template. Both are configuration (``AISI_BACKFILL_<NAME>_COMMITS_URL`` with ``{date}``,
   ``AISI_BACKFILL_<NAME>_RAW_URL`` with ``{commit}``), so tests point them at a local server.
   A payload fetched this way is archived like any other (recorded under source
   ``<name>_git`` so the live source's own "last good payload" fallback never serves an old
   file); a commit already archived is not downloaded again.

When neither has a payload, ``NoPayload`` says which source, which day and where it looked.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from urllib.parse import urlsplit

from core.http.client import FetchError, HttpClient
from core.paths import read_sql
from core.records import PayloadError
from core.settings import settings
from core.sources import litellm, models_dev, openrouter
from core.sources.spec import SourceModule
from core.stores.archive import RawArchive

GITHUB_API_HOST = "api.github.com"
# An optional token for GitHub's API (60 unauthenticated requests an hour is little for a
# long backfill). Sent in a header, only to api.github.com; never in a URL or a log line.
GITHUB_TOKEN_VARIABLES = ("AISI_BACKFILL_GITHUB_TOKEN", "GITHUB_TOKEN")


@dataclass(frozen=True)
class GitHistory:
    """Where a git-kept source's file lives and how to ask for it at a past date."""

    repository: str
    path: str
    commits_url: str  # with {date} (YYYY-MM-DD): answers a JSON list, newest commit first, each with `sha`
    raw_url: str  # with {commit}: the file at that commit

    def commits_url_for(self, env_name: str, day: date) -> str:
        template = settings().backfill_url(env_name, "COMMITS") or self.commits_url
        return template.replace("{date}", day.isoformat())

    def raw_url_for(self, env_name: str, commit: str) -> str:
        template = settings().backfill_url(env_name, "RAW") or self.raw_url
        return template.replace("{commit}", commit)


@dataclass(frozen=True)
class DatedSource:
    """A source whose past payloads can be had: always from the archive, from git when kept there.

    ``required``: a day without its payload fails (a git-kept source should always have one);
    otherwise the day is written without it and the gap is reported."""

    module: SourceModule
    git: GitHistory | None = None

    @property
    def name(self) -> str:
        return self.module.SPEC.name

    @property
    def required(self) -> bool:
        return self.git is not None

    @property
    def archive_source(self) -> str:
        """The source name git fetches are recorded under in the raw archive."""
        return f"{self.name}_git"


LITELLM_FILE = "model_prices_and_context_window.json"
LITELLM_GIT = GitHistory(
    repository="BerriAI/litellm",
    path=LITELLM_FILE,
    commits_url=(
        f"https://api.github.com/repos/BerriAI/litellm/commits?path={LITELLM_FILE}"
        "&until={date}T23:59:59Z&per_page=1"
    ),
    raw_url=f"https://raw.githubusercontent.com/BerriAI/litellm/{{commit}}/{LITELLM_FILE}",
)


DATED_SOURCES: tuple[DatedSource, ...] = (
    DatedSource(litellm, LITELLM_GIT),  # type: ignore[arg-type]
    DatedSource(models_dev),  # type: ignore[arg-type]
    DatedSource(openrouter),  # type: ignore[arg-type]
)


@dataclass
class DatedPayload:
    """One source's payload as of a day, and where it came from."""

    source: str
    day: date
    origin: str  # archive | git
    url: str  # where the payload was fetched from
    entries: list[Any]
    sha256: str
    fetched_at: datetime  # the payload's date: when it was fetched (archive) or committed (git)
    commit: str | None = None


class NoPayload(Exception):
    """No payload for the source on the day; the text names the source, the day and where it looked."""

    def __init__(self, source: str, day: date, looked: list[str]):
        self.source = source
        self.day = day
        self.looked = looked
        super().__init__(f"{source}: no payload for {day.isoformat()}; looked in " + "; ".join(looked))


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _query_one(archive: RawArchive, sql_file: str, params: dict[str, Any]) -> sqlite3.Row | None:
    with closing(sqlite3.connect(archive.index_path, timeout=30)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(read_sql(sql_file), params).fetchone()


def from_archive(dated: DatedSource, day: date, archive: RawArchive) -> tuple[DatedPayload | None, str]:
    """The source's last good payload fetched on ``day``, or None; plus what was looked at."""
    where = f"raw archive {archive.index_path} (source {dated.name!r} fetched on {day.isoformat()} UTC)"
    row = _query_one(archive, "backfill/archived_on_day.sql", {"source": dated.name, "day": day.isoformat()})
    if row is None:
        return None, f"{where}: none"
    if not archive.has(row["sha256"]):
        return None, f"{where}: payload {row['sha256'][:12]} missing from the object store"
    try:
        entries = dated.module.parse(archive.load(row["sha256"]))
    except PayloadError as exc:
        return None, f"{where}: archived payload unusable ({exc})"
    payload = DatedPayload(
        source=dated.name, day=day, origin="archive", url=row["url"], entries=entries,
        sha256=row["sha256"], fetched_at=_utc(row["fetched_at"]),
    )
    return payload, f"{where}: found"


def _github_headers(url: str) -> dict[str, str]:
    headers = {"accept": "application/vnd.github+json"}
    if urlsplit(url).hostname == GITHUB_API_HOST:
        token = settings().backfill_github_token
        if token:
            headers["authorization"] = f"Bearer {token}"
    return headers


def _commit_as_of(git: GitHistory, dated: DatedSource, day: date, http: HttpClient) -> tuple[str, datetime | None]:
    """(commit sha, commit date): the newest commit of the file on or before ``day``; LookupError
    says what went wrong."""
    url = git.commits_url_for(dated.module.SPEC.env_name, day)
    try:
        response = http.get(url, headers=_github_headers(url), timeout_s=dated.module.SPEC.timeout())
    except FetchError as exc:
        raise LookupError(f"commit lookup {url} failed: {exc}") from None
    if response.status != 200:
        hint = ""
        if response.status in (401, 403, 429) and urlsplit(url).hostname == GITHUB_API_HOST:
            hint = f" (rate limited or refused: set {' or '.join(GITHUB_TOKEN_VARIABLES)})"
        raise LookupError(f"commit lookup {url} answered HTTP {response.status}{hint}")
    try:
        commits = json.loads(response.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LookupError(f"commit lookup {url} answered something that is not JSON ({exc})") from None
    if not isinstance(commits, list):
        raise LookupError(f"commit lookup {url} answered a {type(commits).__name__}, not a list of commits")
    if not commits:
        raise LookupError(f"commit lookup {url}: no commit of {git.repository}:{git.path} on or before {day.isoformat()}")
    first = commits[0]
    sha = first.get("sha") if isinstance(first, dict) else None
    if not isinstance(sha, str) or not sha.strip():
        raise LookupError(f"commit lookup {url}: its first item has no `sha`")
    committed = ((first.get("commit") or {}).get("committer") or {}).get("date")
    try:
        when = _utc(committed) if isinstance(committed, str) else None
    except ValueError:
        when = None
    return sha.strip(), when


def from_git(
    dated: DatedSource, day: date, http: HttpClient, archive: RawArchive
) -> tuple[DatedPayload | None, str]:
    """The file at the newest commit on or before ``day``, or None; plus what was looked at."""
    git = dated.git
    if git is None:
        return None, "git: not kept in git"
    try:
        commit, committed_at = _commit_as_of(git, dated, day, http)
    except LookupError as exc:
        return None, f"git history: {exc}"
    url = git.raw_url_for(dated.module.SPEC.env_name, commit)
    fetched_at = committed_at or datetime.combine(day, time(0), tzinfo=timezone.utc)
    archived = _query_one(archive, "backfill/archived_url.sql", {"url": url})
    if archived is not None and archive.has(archived["sha256"]):
        try:
            entries = dated.module.parse(archive.load(archived["sha256"]))
        except PayloadError:
            pass  # fetch it again below
        else:
            return (
                DatedPayload(dated.name, day, "git", url, entries, archived["sha256"], fetched_at, commit),
                f"git commit {commit[:12]}: {url} (already archived)",
            )
    try:
        response = http.get(url, timeout_s=dated.module.SPEC.timeout())
    except FetchError as exc:
        archive.record(source=dated.archive_source, url=url, outcome="failed", fetched_at=datetime.now(timezone.utc),
                       http_status=exc.status, error=str(exc))
        return None, f"git commit {commit[:12]}: {url} failed: {exc}"
    if response.status != 200:
        archive.record(source=dated.archive_source, url=url, outcome="failed", fetched_at=response.fetched_at,
                       http_status=response.status, error=f"HTTP {response.status}")
        return None, f"git commit {commit[:12]}: {url} answered HTTP {response.status}"
    sha = archive.store(response.body)
    try:
        entries = dated.module.parse(response.body)
    except PayloadError as exc:
        archive.record(source=dated.archive_source, url=url, outcome="unparseable", fetched_at=response.fetched_at,
                       http_status=response.status, sha256=sha, size=len(response.body), error=str(exc))
        return None, f"git commit {commit[:12]}: {url} is not usable ({exc})"
    archive.record(
        source=dated.archive_source, url=url, outcome="fetched", fetched_at=response.fetched_at,
        http_status=response.status, etag=response.etag, last_modified=response.last_modified,
        sha256=sha, size=len(response.body),
    )
    return DatedPayload(dated.name, day, "git", url, entries, sha, fetched_at, commit), f"git commit {commit[:12]}: {url}"


def payload_as_of(
    dated: DatedSource, day: date, http: HttpClient, archive: RawArchive
) -> tuple[DatedPayload, list[str]]:
    """The source's payload as of ``day`` (archive first, then git), with where it looked;
    raises NoPayload when there is none."""
    looked: list[str] = []
    found, note = from_archive(dated, day, archive)
    looked.append(note)
    if found is None and dated.git is not None:
        found, note = from_git(dated, day, http, archive)
        looked.append(note)
    if found is None:
        raise NoPayload(dated.name, day, looked)
    return found, looked
