"""Fan-out fetch: one request per model of a listing (OpenRouter endpoints), bounded.

At most ``max_per_run`` requests per run (never-asked models first, then the least recently asked),
``concurrency`` at a time; every answer is archived per URL, and the models not fetched this
run keep their last archived answer with its own fetch time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from assets.normalise.records import PayloadError
from assets.sources import openrouter_endpoints as endpoints
from assets.sources.fetch import FetchOutcome
from resources.archive import RawArchive
from resources.http import FetchError, HttpClientResource


def _fetch_one(http: HttpClientResource, archive: RawArchive, model_id: str) -> tuple[str, str | None]:
    """Fetches and archives one model's answer; returns (model id, error or None)."""
    url = endpoints.endpoint_url(model_id)
    started = datetime.now(timezone.utc)
    try:
        response = http.get(url, timeout_s=endpoints.SPEC.timeout())
        if response.status != 200:
            raise FetchError("http", f"HTTP {response.status}", status=response.status)
        endpoints.parse(response.body)
    except (FetchError, PayloadError) as exc:
        archive.record(source=endpoints.SPEC.name, url=url, outcome="failed", fetched_at=started, error=str(exc),
                       http_status=getattr(exc, "status", None))
        return model_id, str(exc)
    archive.record(
        source=endpoints.SPEC.name, url=url, outcome="fetched", fetched_at=response.fetched_at, http_status=200,
        etag=response.etag, last_modified=response.last_modified, sha256=archive.store(response.body), size=len(response.body),
    )
    return model_id, None


def fetch_endpoints(
    model_ids: list[str], http: HttpClientResource, archive: RawArchive, max_per_run: int, concurrency: int
) -> FetchOutcome:
    attempted_at = datetime.now(timezone.utc)
    if not model_ids:
        return FetchOutcome(source=endpoints.SPEC.name, status="skipped", badge=None, url=endpoints.endpoint_url("{id}"),
                            entries=[], fetched_at=None, attempted_at=attempted_at,
                            error="skipped: no OpenRouter model list to fan out over")
    # A model whose answer keeps failing waits its turn too: staleness counts every attempt.
    chosen = endpoints.plan(model_ids, archive.last_attempt_per_url(endpoints.SPEC.name), max_per_run)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = dict(pool.map(lambda m: _fetch_one(http, archive, m), chosen))
    errors = {m: e for m, e in results.items() if e}

    latest = archive.last_good_per_url(endpoints.SPEC.name)
    entries: list[dict[str, Any]] = []
    for model_id in model_ids:
        found = latest.get(endpoints.endpoint_url(model_id))
        if found is None:
            continue
        sha, fetched_at = found
        entries.extend({**e, "_fetched_at": fetched_at} for e in endpoints.parse(archive.load(sha)))

    fetched = len(chosen) - len(errors)
    if chosen and not fetched:
        status, badge = ("cached", "cached") if entries else ("failed", None)
    else:
        status, badge = "ok", endpoints.SPEC.kind
    error = None
    if errors:
        sample = "; ".join(f"{m}: {e}" for m, e in list(errors.items())[:3])
        error = f"{len(errors)} of {len(chosen)} endpoint requests failed ({sample})"
    return FetchOutcome(
        source=endpoints.SPEC.name,
        status=status,
        badge=badge,
        url=endpoints.endpoint_url("{id}"),
        entries=entries,
        fetched_at=attempted_at,
        attempted_at=attempted_at,
        pages=fetched,
        error=error,
    )
