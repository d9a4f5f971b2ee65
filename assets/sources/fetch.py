"""Fetch one source with fallback: fresh payload, or the archived one on 304, or the last
good payload (badge ``cached``) when the source fails, or nothing (status ``failed``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from assets.normalise.records import PayloadError
from assets.sources.spec import SourceSpec
from resources.archive import RawArchive
from resources.http import FetchError, HttpClientResource


@dataclass
class FetchOutcome:
    """What a source asset hands to its normalise step."""

    source: str
    status: str  # ok | cached | failed
    badge: str | None  # the source's own kind when fresh, "cached" on fallback, None when nothing
    url: str
    entries: list[Any]
    fetched_at: datetime | None  # when the payload in use was fetched
    attempted_at: datetime
    http_status: int | None = None
    sha256: str | None = None
    size: int | None = None
    not_modified: bool = False
    conditional: bool = False
    attempts: int = 0
    error: str | None = None

    @property
    def summary(self) -> str:
        if self.status == "ok":
            how = "304 not modified" if self.not_modified else f"HTTP {self.http_status}"
            return f"ok ({how}, {len(self.entries)} entries)"
        if self.status == "cached":
            return f"cached ({self.error}); serving payload of {self.fetched_at:%Y-%m-%d %H:%M}Z"
        return f"failed ({self.error}); no archived payload"


def fetch_source(
    spec: SourceSpec,
    parse: Callable[[bytes], list[Any]],
    http: HttpClientResource,
    archive: RawArchive,
) -> FetchOutcome:
    url = spec.url()
    attempted_at = datetime.now(timezone.utc)
    previous = archive.last_good(spec.name)
    headers: dict[str, str] = {}
    if previous is not None and previous.url == url:
        if previous.etag:
            headers["if-none-match"] = previous.etag
        if previous.last_modified:
            headers["if-modified-since"] = previous.last_modified

    def fall_back(error: str, http_status: int | None = None, attempts: int = 0) -> FetchOutcome:
        if previous is not None:
            try:
                entries = parse(archive.load(previous.sha256))
            except PayloadError as exc:  # an archived payload the current parser rejects
                error = f"{error}; archived payload unusable: {exc}"
            else:
                return FetchOutcome(
                    source=spec.name,
                    status="cached",
                    badge="cached",
                    url=previous.url,
                    entries=entries,
                    fetched_at=datetime.fromisoformat(previous.fetched_at),
                    attempted_at=attempted_at,
                    http_status=http_status,
                    sha256=previous.sha256,
                    size=previous.bytes,
                    attempts=attempts,
                    error=error,
                )
        return FetchOutcome(
            source=spec.name,
            status="failed",
            badge=None,
            url=url,
            entries=[],
            fetched_at=None,
            attempted_at=attempted_at,
            http_status=http_status,
            attempts=attempts,
            error=error,
        )

    try:
        response = http.get(url, headers=headers, timeout_s=spec.timeout())
    except FetchError as exc:
        archive.record(source=spec.name, url=url, outcome="failed", fetched_at=attempted_at, http_status=exc.status, error=str(exc))
        return fall_back(str(exc), exc.status, exc.attempts)

    if response.status == 304 and previous is not None:
        archive.record(
            source=spec.name,
            url=url,
            outcome="not_modified",
            fetched_at=response.fetched_at,
            http_status=304,
            etag=response.etag or previous.etag,
            last_modified=response.last_modified or previous.last_modified,
            sha256=previous.sha256,
            size=previous.bytes,
        )
        try:
            entries = parse(archive.load(previous.sha256))
        except PayloadError as exc:
            return fall_back(f"archived payload unusable after 304: {exc}", 304, response.attempts)
        return FetchOutcome(
            source=spec.name,
            status="ok",
            badge=spec.kind,
            url=url,
            entries=entries,
            fetched_at=response.fetched_at,
            attempted_at=attempted_at,
            http_status=304,
            sha256=previous.sha256,
            size=previous.bytes,
            not_modified=True,
            conditional=True,
            attempts=response.attempts,
        )

    if response.status != 200:
        error = f"HTTP {response.status}"
        archive.record(source=spec.name, url=url, outcome="failed", fetched_at=response.fetched_at, http_status=response.status, error=error)
        return fall_back(error, response.status, response.attempts)

    sha = hashlib.sha256(response.body).hexdigest()
    try:
        entries = parse(response.body)
    except PayloadError as exc:
        archive.record(
            source=spec.name,
            url=url,
            outcome="unparseable",
            fetched_at=response.fetched_at,
            http_status=response.status,
            sha256=archive.store(response.body),
            size=len(response.body),
            error=str(exc),
        )
        return fall_back(f"unparseable payload: {exc}", response.status, response.attempts)

    archive.store(response.body)
    archive.record(
        source=spec.name,
        url=url,
        outcome="fetched",
        fetched_at=response.fetched_at,
        http_status=response.status,
        etag=response.etag,
        last_modified=response.last_modified,
        sha256=sha,
        size=len(response.body),
    )
    return FetchOutcome(
        source=spec.name,
        status="ok",
        badge=spec.kind,
        url=url,
        entries=entries,
        fetched_at=response.fetched_at,
        attempted_at=attempted_at,
        http_status=response.status,
        sha256=sha,
        size=len(response.body),
        conditional=bool(headers),
        attempts=response.attempts,
    )
