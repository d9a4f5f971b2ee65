"""HTTP rules the API keeps on every route: conditional requests as RFC 9110 reads them, the
bearer scheme in any case, HEAD wherever GET is served, no query parameter the route does not
know (a misspelt filter is an error, not a silently wider answer), and bounded request sizes."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from fastapi import Request
from fastapi.exceptions import RequestValidationError

# Far above any real request of this API (its longest URL is a search or a model spelling):
# larger ones are refused before any work, whatever server runs the app.
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def _opaque(tag: str) -> str:
    """An entity tag without its weakness marker: ``W/"x"`` and ``"x"`` compare equal (weak comparison)."""
    tag = tag.strip()
    return tag[2:] if tag[:2] in ("W/", "w/") else tag


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag``: ``*``, or any listed tag, weak or strong
    (GET and HEAD use the weak comparison)."""
    if not if_none_match:
        return False
    tags = [t for t in (part.strip() for part in if_none_match.split(",")) if t]
    return "*" in tags or _opaque(etag) in {_opaque(t) for t in tags}


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case), or ''."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _known_parameters(route: Any) -> frozenset[str]:
    """The query parameters a route declares (its own and its dependencies'), read once per
    route and kept on it."""
    known = getattr(route, "aisi_known_parameters", None)
    if known is None:
        dependant = route.dependant
        names = {p.alias for p in dependant.query_params}
        for sub in dependant.dependencies:
            names |= {p.alias for p in sub.query_params}
        known = route.aisi_known_parameters = frozenset(names)
    return known


async def reject_unknown_parameters(request: Request) -> None:
    """A query parameter the route does not declare is a 422 naming it, like a bad value."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if getattr(route, "dependant", None) is None:
        return
    known = _known_parameters(route)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise RequestValidationError([
            {"loc": ("query", name), "msg": f"unknown parameter (known: {', '.join(sorted(known)) or 'none'})", "type": "unknown"}
            for name in unknown
        ])


HEAD_MARK = "aisi.head"


def is_head(request: Request) -> bool:
    """The request came as HEAD (``HeadAsGet`` runs it as GET): a streaming route answers its
    headers without starting the stream."""
    return bool(request.scope.get(HEAD_MARK))


class _HeadersSent(Exception):
    """Raised into a HEAD request's app once its headers are out: nothing it sends after counts."""


class HeadAsGet:
    """Answers HEAD on every GET route: the request runs as GET until its status and headers
    are sent (ETag, Content-Length, X-Snapshot-Id: those GET would send), then it is stopped,
    so a stream (events, an export) is neither run through nor left open."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope.get("type") != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                raise _HeadersSent
            if message["type"] == "http.response.body":
                raise _HeadersSent

        try:
            await self.app({**scope, "method": "GET", HEAD_MARK: True}, receive, send_headers_only)
        except _HeadersSent:
            pass
        except BaseExceptionGroup as group:  # raised inside a stream's task group
            _, rest = group.split(_HeadersSent)
            if rest is not None:
                raise rest


class SizeLimits:
    """414 for a URL (path and query) over ``MAX_URL_BYTES``, 431 for headers over
    ``MAX_HEADER_BYTES`` in all; the answer is a JSON error like every other."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope.get("type") == "http":
            url = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(scope.get("query_string") or b"")
            headers = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or ())
            if url > MAX_URL_BYTES:
                await refuse(send, 414, f"URL too long: {url} bytes, at most {MAX_URL_BYTES}")
                return
            if headers > MAX_HEADER_BYTES:
                await refuse(send, 431, f"request headers too large: {headers} bytes, at most {MAX_HEADER_BYTES}")
                return
        await self.app(scope, receive, send)


async def refuse(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, message: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
    """Answers a request from middleware with a JSON error like every other (``{"error": ...}``)."""
    import json

    body = json.dumps({"error": message, **extra}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in (headers or {}).items())]})
    await send({"type": "http.response.body", "body": body})
