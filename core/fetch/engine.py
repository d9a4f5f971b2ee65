"""Fetch one source with fallback: fresh payload, or the archived one on 304, or the last
good payload (badge ``cached``) when the source fails, or nothing (status ``failed``).

Keyed sources without a key are ``skipped``. Paged sources are fetched page by page up to
the spec's page cap, a repeated cursor stops them, and the pages are archived together as
one ``{"pages": [...]}`` payload. Keys travel only in request headers: never in a URL, an
archived payload, an error text or a log line.

A fresh payload is normalised once here to count what it amounts to (``measure``: entries,
accepted offerings, price and benchmark rows, rejects, field profile); one that looks broken
next to the last good one (the payload guard, ``core/quality/payload_guard.py``: far fewer
models or accepted records, most records rejected, a usual field gone) is archived as
``held_back`` and the last good payload is served instead, badge ``cached``, with the finding
as its error ("records collapsed: ...; new data held back"). A payload the normaliser cannot
digest at all is unparseable. A 304 reuses the last good fetch's counts: nothing is parsed or
normalised. Its outcome carries no entries (``deferred``): they are the archived payload's, parsed
when a step needs them (``FetchOutcome.load_entries``), which after a 304 is only when the code
that derives from them changed.

A forced fetch (``force=True``: ``aisi sync SOURCE --force``, through the source asset's run
config) sends no conditional headers and lets a payload the guard would hold back through,
this once: the outcome says ``forced`` and its note names the finding it overrode.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from core.http.client import FetchError, HttpClient, HttpResult
from core.parsing.json_payload import decode_json_object
from core.quality.payload_guard import PayloadCheck, check_payload
from core.quality.payload_profile import PayloadCounts, counts_of, measure
from core.quality.record_suites import RecordValidations, validate_records_later
from core.records import NormalisedBatch, PayloadError, Provenance
from core.settings import settings
from core.sources.spec import SOURCES_VARIABLE, SourceModule, SourceSpec, is_chosen
from core.stores.archive import ArchivedFetch, RawArchive


@dataclass
class FetchOutcome:
    """What a source asset hands to its normalise step."""

    source: str
    status: str  # ok | cached | failed | skipped
    badge: str | None  # the source's own kind when fresh, "cached" on fallback, None when nothing
    url: str
    entries: list[Any]  # the parsed payload; empty when ``deferred``
    fetched_at: datetime | None  # when the payload in use was fetched
    attempted_at: datetime
    http_status: int | None = None
    sha256: str | None = None
    size: int | None = None
    not_modified: bool = False
    conditional: bool = False
    attempts: int = 0
    pages: int = 0
    error: str | None = None
    drop_guard: PayloadCheck | None = None  # the fresh payload's counts against the last good one's
    forced: bool = False  # fetched unconditionally, the payload guard overridden once (aisi sync --force)
    # A 304: the entries are those of the archived payload ``sha256`` (``entry_count`` of them), not
    # parsed here; ``load_entries`` parses them when a step needs them.
    deferred: bool = False
    entry_count: int = 0

    @property
    def count(self) -> int:
        """How many entries the payload in use parsed into."""
        return self.entry_count if self.deferred else len(self.entries)

    def load_entries(self, module: SourceModule, archive: RawArchive) -> list[Any]:
        """The entries: this outcome's own, or, when ``deferred``, its archived payload parsed by
        ``module`` (a PayloadError names the payload and how to replace it)."""
        if not self.deferred:
            return self.entries
        assert self.sha256 is not None
        try:
            return module.parse(archive.load(self.sha256))
        except PayloadError as exc:
            raise PayloadError(
                f"{self.source}: the archived payload {self.sha256[:12]} (answered 304 at {self.attempted_at:%Y-%m-%d %H:%M}Z) "
                f"no longer parses: {exc}; fetch it again with `aisi sync {self.source} --force`"
            ) from exc

    @property
    def data_version(self) -> str:
        """What the assets downstream depend on: the payload in use (its content hash) and how it
        is served (status and badge: a source turning `cached` changes its badge and its rank).
        The same payload fetched again, or answered 304, is the same version: nothing downstream
        needs to run."""
        payload = self.sha256 or hashlib.sha256(json.dumps(self.entries, sort_keys=True, default=str).encode()).hexdigest()
        return f"{payload[:24]}:{self.status}:{self.badge or 'none'}"

    @property
    def summary(self) -> str:
        if self.status == "ok":
            how = "304 not modified" if self.not_modified else f"HTTP {self.http_status}"
            return f"ok ({how}, {self.count} entries)"
        if self.status == "cached":
            return f"cached ({self.error}); serving payload of {self.fetched_at:%Y-%m-%d %H:%M}Z"
        if self.status == "skipped":
            return str(self.error)
        return f"failed ({self.error}); no archived payload"


@dataclass
class FreshBatch:
    """A fresh payload as this process normalised it while fetching it, with its records'
    validations, handed to the validation worker then (``core/quality/record_suites.py``)."""

    batch: NormalisedBatch
    validations: RecordValidations


# The batches fresh payloads were normalised into while they were measured, kept in this process
# for the records step that follows (``aisi refresh`` fetches and normalises in one process): the
# same payload, read with the same provenance by the same code, is not normalised twice, and its
# validation has run beside the other sources' fetches. Taken once; another process (a run
# launched by the daemon) normalises and validates again.
_FRESH_BATCHES: dict[tuple[str, str, Provenance], FreshBatch] = {}
FRESH_BATCHES_KEPT = 32


def take_normalised(source: str, sha256: str | None, provenance: Provenance) -> FreshBatch | None:
    """The batch this process made of payload ``sha256`` of ``source`` with ``provenance`` while
    fetching it (removed: a second call gets None), or None."""
    return _FRESH_BATCHES.pop((source, sha256, provenance), None) if sha256 else None


def _keep_fresh(source: str, sha256: str, provenance: Provenance, batch: NormalisedBatch) -> None:
    while len(_FRESH_BATCHES) >= FRESH_BATCHES_KEPT:  # a process that fetches without normalising
        _FRESH_BATCHES.pop(next(iter(_FRESH_BATCHES)))
    _FRESH_BATCHES[(source, sha256, provenance)] = FreshBatch(batch, validate_records_later(batch))


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class _Fetch:
    """One fetch of one source: the request(s), the archive record, the fallback."""

    def __init__(
        self, module: SourceModule, http: HttpClient, archive: RawArchive, key: str | None, browser: Any = None,
        force: bool = False,
    ):
        self.module = module
        self.force = force
        self.browser = browser
        self.spec: SourceSpec = module.SPEC
        self.http = http
        self.archive = archive
        self.key = key
        self.url = self.spec.url()
        self.attempted_at = datetime.now(timezone.utc)
        self.previous: ArchivedFetch | None = archive.last_good(self.spec.name)

    def outcome(self, **fields: Any) -> FetchOutcome:
        base: dict[str, Any] = dict(source=self.spec.name, url=self.url, attempted_at=self.attempted_at, entries=[], fetched_at=None,
                                    forced=self.force)
        base.update(fields)
        return FetchOutcome(**base)

    def fall_back(self, error: str, http_status: int | None = None, attempts: int = 0) -> FetchOutcome:
        error = redact(error, self.key)
        previous = self.previous
        if previous is not None:
            try:
                entries = self.module.parse(self.archive.load(previous.sha256))
            except PayloadError as exc:  # an archived payload the current parser rejects
                error = f"{error}; archived payload unusable: {exc}"
            else:
                return self.outcome(
                    status="cached", badge="cached", url=previous.url, entries=entries,
                    fetched_at=datetime.fromisoformat(previous.fetched_at), http_status=http_status,
                    sha256=previous.sha256, size=previous.bytes, attempts=attempts, error=error,
                )
        return self.outcome(status="failed", badge=None, http_status=http_status, attempts=attempts, error=error)

    def record_failure(self, outcome: str, error: str, http_status: int | None, fetched_at: datetime, payload: bytes | None = None) -> None:
        self.archive.record(
            source=self.spec.name, url=self.url, outcome=outcome, fetched_at=fetched_at, http_status=http_status,
            sha256=self.archive.store(payload) if payload is not None else None,
            size=len(payload) if payload is not None else None, error=redact(error, self.key),
        )

    def headers(self) -> dict[str, str]:
        auth = getattr(self.module, "auth_headers", None)
        return dict(auth(self.key)) if auth and self.key else {}

    def check(self, response: HttpResult) -> None:
        """Raises FetchError for anything but 200 (and 304, handled by the caller)."""
        if response.status in (401, 403) and self.spec.key_env:
            reason = "key rejected" if self.key else f"a key is needed (set {' or '.join(self.spec.key_env)})"
            raise FetchError("auth", f"{reason} (HTTP {response.status})", status=response.status, attempts=response.attempts)
        if response.status not in (200, 304):
            raise FetchError("http", f"HTTP {response.status}", status=response.status, attempts=response.attempts)

    def run(self) -> FetchOutcome:
        if not is_chosen(self.spec.name):
            return self.outcome(status="skipped", badge=None, error=f"skipped: not in {SOURCES_VARIABLE}")
        instead = getattr(self.module, "SKIP_WHEN_KEY", None)
        if instead and settings().raw(instead):
            return self.outcome(status="skipped", badge=None, error=f"skipped: {instead} is set, so the data API is used instead")
        if self.spec.key_env and not self.key and self.spec.key_required:
            names = " or ".join(self.spec.key_env)
            return self.outcome(status="skipped", badge=None, error=f"skipped: no API key (set {names})")
        try:
            if self.spec.rendered:
                return self.fetch_rendered()
            return self.fetch_pages() if self.spec.paged else self.fetch_one()
        except FetchError as exc:
            self.record_failure("failed", str(exc), exc.status, datetime.now(timezone.utc))
            return self.fall_back(str(exc), exc.status, exc.attempts)

    def fetch_one(self) -> FetchOutcome:
        headers = self.headers()
        previous = self.previous
        if previous is not None and previous.url == self.url and not self.force:
            if previous.etag:
                headers["if-none-match"] = previous.etag
            if previous.last_modified:
                headers["if-modified-since"] = previous.last_modified
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        response = self.http.get(self.url, headers=headers, timeout_s=self.spec.timeout())
        if response.status == 304 and previous is not None:
            counted = previous.entries
            if counted is None:  # recorded before entry counts were kept: counted once here
                try:
                    counted = len(self.module.parse(self.archive.load(previous.sha256)))
                except PayloadError as exc:
                    self.archive.record(
                        source=self.spec.name, url=self.url, outcome="not_modified", fetched_at=response.fetched_at, http_status=304,
                        etag=response.etag or previous.etag, last_modified=response.last_modified or previous.last_modified,
                        sha256=previous.sha256, size=previous.bytes,
                    )
                    return self.fall_back(f"archived payload unusable after 304: {exc}", 304, response.attempts)
            # The same payload as the last good fetch: its counts carry over, nothing is normalised.
            same = self.recorded_counts(previous, counted)
            self.archive.record(
                source=self.spec.name, url=self.url, outcome="not_modified", fetched_at=response.fetched_at, http_status=304,
                etag=response.etag or previous.etag, last_modified=response.last_modified or previous.last_modified,
                sha256=previous.sha256, size=previous.bytes, **_count_columns(same),
            )
            return self.outcome(
                status="ok", badge=self.spec.kind, entries=[], fetched_at=response.fetched_at, http_status=304,
                sha256=previous.sha256, size=previous.bytes, not_modified=True, conditional=True,
                attempts=response.attempts, pages=1, deferred=True, entry_count=same.entries,
                drop_guard=check_payload(self.spec.name, same, same, previous.fetched_at),
            )
        if response.status == 304:
            raise FetchError("http", "HTTP 304 without an archived payload", status=304, attempts=response.attempts)
        self.check(response)
        return self.accept(response.body, response, conditional=conditional, pages=1)

    def fetch_rendered(self) -> FetchOutcome:
        """A page whose prices exist only after its scripts ran: rendered in Chromium, the
        rendered HTML archived and parsed like any payload."""
        if self.browser is None:
            raise FetchError("browser", "no browser resource configured for a rendered page")
        response = self.browser.render(self.url, self.spec.timeout())
        self.check(response)
        return self.accept(response.body, response, conditional=False, pages=1)

    def fetch_pages(self) -> FetchOutcome:
        first_url = getattr(self.module, "first_url", lambda url: url)
        next_url = getattr(self.module, "next_url")
        origin = urlsplit(self.url)[:2]
        url: str | None = first_url(self.url)
        seen: set[str] = set()
        note: str | None = None
        documents: list[dict[str, Any]] = []
        response: HttpResult | None = None
        attempts = 0
        while url:
            if url in seen:
                raise FetchError("pagination", f"repeated cursor after {len(documents)} pages: stopped")
            if len(documents) >= self.spec.page_cap:
                if not self.spec.truncate_at_cap:
                    raise FetchError("pagination", f"page cap of {self.spec.page_cap} pages reached: listing incomplete")
                note = f"listing truncated at the page cap of {self.spec.page_cap} pages"
                break
            if urlsplit(url)[:2] != origin:  # the key must never be sent to another host
                raise FetchError("pagination", f"next page on another host ({urlsplit(url).netloc}): refused")
            seen.add(url)
            response = self.http.get(url, headers=self.headers(), timeout_s=self.spec.timeout())
            attempts += response.attempts
            self.check(response)
            try:
                document = decode_json_object(response.body, self.spec.name)
                url = next_url(document, url)
            except PayloadError as exc:
                self.record_failure("unparseable", str(exc), response.status, response.fetched_at, response.body)
                return self.fall_back(f"unparseable page {len(documents) + 1}: {exc}", response.status, attempts)
            documents.append(document)
        assert response is not None
        payload = json.dumps({"pages": documents}, sort_keys=True, separators=(",", ":")).encode()
        outcome = self.accept(payload, response, conditional=False, pages=len(documents), attempts=attempts)
        if note and outcome.status == "ok":
            outcome.error = note
        return outcome

    def accept(self, payload: bytes, response: HttpResult, *, conditional: bool, pages: int, attempts: int | None = None) -> FetchOutcome:
        attempts = response.attempts if attempts is None else attempts
        try:
            entries = self.module.parse(payload)
        except PayloadError as exc:
            self.record_failure("unparseable", str(exc), response.status, response.fetched_at, payload)
            return self.fall_back(f"unparseable payload: {exc}", response.status, attempts)
        provenance = Provenance(self.spec.name, self.spec.kind, self.url, response.fetched_at)
        try:
            batch = self.module.normalise(entries, provenance)
            fresh = counts_of(entries, batch)
        except Exception as exc:  # the normaliser cannot digest it: the records asset could not either
            error = f"unusable payload: normalising it failed: {type(exc).__name__}: {exc}"
            self.record_failure("unparseable", error, response.status, response.fetched_at, payload)
            return self.fall_back(error, response.status, attempts)
        sha = self.archive.store(payload)
        single = not self.spec.paged
        guard = self.guard(fresh)
        note: str | None = None
        if guard.held_back and self.force:
            note = f"forced: {guard.finding}; accepted once (aisi sync --force)"
        elif guard.held_back:
            held = self.hold_back(guard, sha, len(payload), response, attempts)
            if held.status == "cached":
                return held
            note = f"{guard.finding}; accepted, as the last good payload cannot be served ({held.error})"
        _keep_fresh(self.spec.name, sha, provenance, batch)
        self.archive.record(
            source=self.spec.name, url=self.url, outcome="fetched", fetched_at=response.fetched_at, http_status=response.status,
            etag=response.etag if single else None, last_modified=response.last_modified if single else None,
            sha256=sha, size=len(payload), **_count_columns(fresh),
        )
        return self.outcome(
            status="ok", badge=self.spec.kind, entries=entries, fetched_at=response.fetched_at, http_status=response.status,
            sha256=sha, size=len(payload), conditional=conditional, attempts=attempts, pages=pages, drop_guard=guard, error=note,
        )

    @staticmethod
    def recorded_counts(previous: ArchivedFetch, entries: int | None = None) -> PayloadCounts:
        """A fetch's counts as the index recorded them (``entries`` when it did not count them)."""
        count = previous.entries if previous.entries is not None else entries
        return PayloadCounts(
            entries=count or 0, accepted=previous.accepted, prices=previous.prices, rejected=previous.rejected,
            benchmarks=previous.benchmarks, fields=previous.profile,
        )

    def previous_counts(self) -> PayloadCounts | None:
        """What the last good payload amounted to: as recorded, or measured from the payload once
        (archives made before the counts were kept: the counts are then written back to its
        record); None when there is none, or it no longer parses and was never counted."""
        previous = self.previous
        if previous is None:
            return None
        if previous.measured:
            return self.recorded_counts(previous)
        try:
            entries = self.module.parse(self.archive.load(previous.sha256))
            provenance = Provenance(self.spec.name, self.spec.kind, previous.url, datetime.fromisoformat(previous.fetched_at))
            counts = measure(self.module, entries, provenance)
        except Exception:  # it no longer parses (or normalises): its entry count is all we know
            return PayloadCounts(entries=previous.entries) if previous.entries is not None else None
        if previous.id is not None:
            self.archive.set_counts(previous.id, **_count_columns(counts))
        return counts

    def guard(self, fresh: PayloadCounts) -> PayloadCheck:
        previous = self.previous
        return check_payload(self.spec.name, fresh, self.previous_counts(), previous.fetched_at if previous else None)

    def hold_back(self, guard: PayloadCheck, sha: str, size: int, response: HttpResult, attempts: int) -> FetchOutcome:
        """Keeps the fresh payload aside (outcome ``held_back``: never the last good one) and
        serves the last good payload instead. When that one cannot be served either, the
        returned outcome is not ``cached`` and the caller accepts the fresh payload."""
        outcome = self.fall_back(guard.message, response.status, attempts)
        if outcome.status == "cached":
            self.archive.record(
                source=self.spec.name, url=self.url, outcome="held_back", fetched_at=response.fetched_at,
                http_status=response.status, sha256=sha, size=size, error=guard.message, **_count_columns(guard.fresh),
            )
        outcome.drop_guard = guard
        return outcome


def _count_columns(counts: PayloadCounts) -> dict[str, Any]:
    """The archive index's count columns of ``counts``."""
    return {
        "entries": counts.entries, "accepted": counts.accepted, "prices": counts.prices, "rejected": counts.rejected,
        "benchmarks": counts.benchmarks, "profile": counts.fields,
    }


def fetch_source(
    module: SourceModule, http: HttpClient, archive: RawArchive, key: str | None = None, browser: Any = None,
    force: bool = False,
) -> FetchOutcome:
    """``browser`` (a BrowserResource) is needed by rendered sources only; ``force`` fetches
    unconditionally and accepts a payload the guard would hold back (once: the next fetch is
    guarded again, against this payload)."""
    return _Fetch(module, http, archive, key, browser, force).run()
