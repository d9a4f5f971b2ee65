"""``GET /api/v1/providers/{provider_id}/availability``: a provider's uptime, latency,
incidents and outages over a window, from the availability monitor (``api.availability``).

Not cached (a probe lands every minute): the ETag is a hash of the body, ``If-None-Match`` -> 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from api.availability import Monitor, Window, availability, configured_providers, provider_known
from api.encoding import dumps
from api.errors import error
from api.http_rules import etag_matches
from api.params import INM
from api.schemas import INVALID, REFUSED, Availability, Error
from core.availability.health import down_after_from_env

router = APIRouter(prefix="/api/v1", tags=["availability"])
HEADERS = {"ETag": {"description": "A hash of the body; send it back as If-None-Match.", "schema": {"type": "string"}}}


@router.get(
    "/providers/{provider_id}/availability", summary="A provider's uptime, latency, incidents and outages",
    response_model=Availability,
    responses={200: {"headers": HEADERS}, 304: {"description": "Not modified: If-None-Match matched the ETag.", "headers": HEADERS},
               404: {"model": Error, "description": "Not monitored and nothing recorded about it; `known` lists the monitored."},
               **INVALID, **REFUSED},
)
def provider_availability(
    request: Request,
    provider_id: Annotated[str, PathParam(examples=["openai"], description="A monitored provider, e.g. openai.")],
    window: Annotated[Window, Query(description="1h (60 s buckets), 24h (15 min), 7d (1 h) or 30d (6 h).")] = "24h",
    if_none_match: INM = None,
) -> Response:
    """Uptime and latency percentiles over the window, a series of buckets, the incidents and
    outages in it, and the provider's state now."""
    monitor: Monitor = request.app.state.monitor
    configured = configured_providers()
    now = dt.datetime.now(dt.timezone.utc)
    with monitor.reading() as reader:
        if not provider_known(reader, provider_id, configured.names):
            return error(404, f"unknown provider {provider_id!r}: not configured for monitoring and nothing recorded about it",
                         known=list(configured.names))
        payload = availability(reader, provider_id, window, now, down_after_from_env(), configured.names.get(provider_id))
    body = dumps(payload)
    etag = f'"av-{hashlib.sha1(body).hexdigest()[:20]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)
