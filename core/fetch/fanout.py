"""Fan-out fetch: one request per model of a listing (OpenRouter endpoints), bounded.

At most ``max_per_run`` requests per run (never-asked models first, then the least recently asked),
``concurrency`` at a time; every answer is archived per URL, and the models not fetched this
run keep their last archived answer with its own fetch time.

A host that does not answer is not asked again in the run: the requests share a
``HostBreaker``, so after ``BREAKER_THRESHOLD`` attempts in a row without any answer (timeout,
refused, DNS) the requests not yet sent are not sent and those under way stop retrying. A host
already known to be down (``host_down``: the listing's own fetch could not reach it this run)
is not asked at all. Models not asked are not recorded as attempts (they stay first in line),
keep their last answer, and the outcome's error says which host was given up and why.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from core.fetch.engine import FetchOutcome
from core.http.client import FetchError, HostBreaker, HttpClient
from core.http.transport import unreachable_error
from core.records import PayloadError
from core.sources import openrouter_endpoints as endpoints
from core.stores.archive import RawArchive

# Attempts in a row without any answer from the host before the fan-out gives it up.
BREAKER_THRESHOLD = 2
NOT_ASKED = "not asked"  # a model skipped because its host was given up


def host_down(listing: FetchOutcome, since: datetime | None) -> str | None:
    """Why the listing's host cannot be reached now: the listing was attempted at or after
    ``since`` (this run) and failed (or fell back to its cached payload) because the host never
    answered. None when it answered, or its failure is older or of another kind (an HTTP error,
    a bad payload, a held-back payload: the host is up)."""
    if listing.status not in ("failed", "cached") or not unreachable_error(listing.error):
        return None
    if since is not None and listing.attempted_at < since:
        return None
    return f"{listing.source} could not reach it this run: {listing.error}"


def _fetch_one(http: HttpClient, archive: RawArchive, model_id: str, breaker: HostBreaker) -> tuple[str, str | None]:
    """Fetches and archives one model's answer; returns (model id, error or None); the error is
    ``NOT_ASKED`` when the breaker had given the host up (nothing sent, nothing recorded)."""
    url = endpoints.endpoint_url(model_id)
    started = datetime.now(timezone.utc)
    try:
        response = http.get(url, timeout_s=endpoints.SPEC.timeout(), breaker=breaker)
        if response.status != 200:
            raise FetchError("http", f"HTTP {response.status}", status=response.status)
        endpoints.parse(response.body)
    except (FetchError, PayloadError) as exc:
        if isinstance(exc, FetchError) and exc.kind == "unreachable":
            return model_id, NOT_ASKED
        archive.record(source=endpoints.SPEC.name, url=url, outcome="failed", fetched_at=started, error=str(exc),
                       http_status=getattr(exc, "status", None))
        return model_id, str(exc)
    archive.record(
        source=endpoints.SPEC.name, url=url, outcome="fetched", fetched_at=response.fetched_at, http_status=200,
        etag=response.etag, last_modified=response.last_modified, sha256=archive.store(response.body), size=len(response.body),
    )
    return model_id, None


def fetch_endpoints(
    model_ids: list[str], http: HttpClient, archive: RawArchive, max_per_run: int, concurrency: int,
    down: str | None = None,
) -> FetchOutcome:
    """Fetches the endpoints of up to ``max_per_run`` of ``model_ids``; ``down``: the reason the
    host is known to be unreachable this run (``host_down``), in which case nothing is sent."""
    attempted_at = datetime.now(timezone.utc)
    if not model_ids:
        return FetchOutcome(source=endpoints.SPEC.name, status="skipped", badge=None, url=endpoints.endpoint_url("{id}"),
                            entries=[], fetched_at=None, attempted_at=attempted_at,
                            error="skipped: no OpenRouter model list to fan out over")
    # A model whose answer keeps failing waits its turn too: staleness counts every attempt.
    chosen = endpoints.plan(model_ids, archive.last_attempt_per_url(endpoints.SPEC.name), max_per_run)
    breaker = HostBreaker(BREAKER_THRESHOLD)
    if down is not None:
        breaker.trip(endpoints.endpoint_url("{id}"), down)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = dict(pool.map(lambda m: _fetch_one(http, archive, m, breaker), chosen))
    skipped = [m for m, e in results.items() if e == NOT_ASKED]
    errors = {m: e for m, e in results.items() if e and e != NOT_ASKED}

    latest = archive.last_good_per_url(endpoints.SPEC.name)
    entries: list[dict[str, Any]] = []
    for model_id in model_ids:
        found = latest.get(endpoints.endpoint_url(model_id))
        if found is None:
            continue
        sha, fetched_at = found
        entries.extend({**e, "_fetched_at": fetched_at} for e in endpoints.parse(archive.load(sha)))

    fetched = len(chosen) - len(errors) - len(skipped)
    if chosen and not fetched:
        status, badge = ("cached", "cached") if entries else ("failed", None)
    else:
        status, badge = "ok", endpoints.SPEC.kind
    problems = []
    for host, reason in breaker.down_hosts.items():
        problems.append(f"host {host} gave no answer ({reason}): stopped asking it, {len(skipped)} of {len(chosen)} "
                        "endpoint requests not sent (those models keep their last answer)")
    if errors:
        sample = "; ".join(f"{m}: {e}" for m, e in list(errors.items())[:3])
        problems.append(f"{len(errors)} of {len(chosen)} endpoint requests failed ({sample})")
    error = "; ".join(problems) or None
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
