"""``POST /api/v1/sync/{source}``: refresh one source now, for holders of the API token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import error
from api.http_rules import bearer_token
from api.schemas import INVALID, REFUSED, Error, SyncLaunched
from api.sync import SYNCABLE_SOURCES, SyncBusy, launch_sync
from core.settings import settings

router = APIRouter(prefix="/api/v1", tags=["sync"])
# Documents the bearer scheme in openapi.json; the token is checked below, any case of "Bearer".
bearer = HTTPBearer(auto_error=False, description="AISI_API_TOKEN of the API server.")


@router.post(
    "/sync/{source}", status_code=202, summary="Refresh one source now (bearer token)", response_model=SyncLaunched,
    responses={
        401: {"model": Error, "description": "No bearer token, or not the server's."},
        403: {"model": Error, "description": "Manual sync is disabled (AISI_API_TOKEN unset on the server)."},
        404: {"model": Error, "description": "No source of that name can be synced; `known` lists those that can."},
        409: {"model": Error, "description": "A refresh of that source is already running."},
        **INVALID, **REFUSED,
    },
)
def sync(
    request: Request,
    source: Annotated[str, PathParam(examples=["openrouter"], description="A source name: " + ", ".join(SYNCABLE_SOURCES) + ".")],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
) -> JSONResponse:
    """Starts ``aisi refresh --source NAME`` on the server; one at a time per source."""
    token = settings().api_token
    offered = bearer_token(f"{credentials.scheme} {credentials.credentials}" if credentials else None)
    if not offered:
        disabled = " (and manual sync is disabled on this server: AISI_API_TOKEN is not set)" if not token else ""
        return JSONResponse(status_code=401, content={"error": "missing bearer token" + disabled}, headers={"WWW-Authenticate": "Bearer"})
    if not token:
        return error(403, "manual sync is disabled: set AISI_API_TOKEN on the API server to enable it")
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return JSONResponse(status_code=401, content={"error": "wrong bearer token"}, headers={"WWW-Authenticate": "Bearer"})
    if source not in SYNCABLE_SOURCES:
        return error(404, f"unknown source {source!r}", known=list(SYNCABLE_SOURCES))
    try:
        launched = launch_sync(source, request.app.state.home)
    except SyncBusy as exc:
        return error(409, str(exc))
    return JSONResponse(status_code=202, content={"status": "launched", **launched.__dict__})
