"""Bulk export in the read API: ``GET /api/v1/export/{table}.{csv,json,parquet}`` streams a whole
published table from the snapshot being served, and ``GET /api/v1/export/snapshot.duckdb`` the
snapshot file itself (core.export does the reading and encoding; ``aisi export`` shares it).

Each export reads one snapshot, pinned when the request begins and held until its last byte, so
its rows, its ``ETag``, ``X-Snapshot-Id`` and the attachment's file name
(``aisi-<table>-<snapshot id>.<format>``) always agree while new snapshots are published. The body
is streamed one batch at a time (``Transfer-Encoding: chunked``), never built whole. The
``availability`` table comes from the monitor's store, which changes every minute: it is named
``monitor-<last check>`` and says so in ``X-Monitor-As-Of`` instead of ``X-Snapshot-Id``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Iterator

from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.errors import error
from api.http_rules import etag_matches, is_head
from api.schemas import INVALID, REFUSED, Error, ExportIndex, InvalidParameters
from api.store import DuckDBStore, PostgresStore
from core import export
from core.paths import LATEST_SNAPSHOT, snapshots_dir
from core.settings import settings

router = APIRouter(tags=["export"])
SNAPSHOT_FILE = "snapshot.duckdb"
INM = Annotated[str | None, Header(alias="If-None-Match")]


_HEADERS = {
    "ETag": {"description": "The snapshot id (or the monitor's state), the table and the format.", "schema": {"type": "string"}},
    "X-Snapshot-Id": {"description": "The snapshot the export was read from (catalog tables).", "schema": {"type": "string"}},
    "Content-Disposition": {"description": 'attachment; filename="aisi-<table>-<snapshot id>.<format>"', "schema": {"type": "string"}},
}


def _documented(ok: dict[str, Any], *errors: int) -> dict[int | str, dict[str, Any]]:
    """The responses a route documents: its 200, 304 and its JSON errors."""
    reasons = {404: "Unknown table (or no snapshot file in PostgreSQL mode)", 422: "Unknown or missing format, or a query parameter",
               503: "Nothing published yet"}
    return {200: {"description": "The export, streamed", "content": ok, "headers": _HEADERS},
            304: {"description": "Not modified: If-None-Match names this export's ETag", "headers": _HEADERS},
            **{code: {"description": reasons[code], "model": Error} for code in errors},
            422: {"description": reasons[422], "model": InvalidParameters}, **REFUSED}


_EXPORT_RESPONSES = _documented({
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},  # one row object per line
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
}, 404, 422, 503)
_FILE_RESPONSES = _documented({"application/vnd.duckdb": {"schema": {"type": "string", "format": "binary"}}}, 404, 503)


def _invalid_name(message: str) -> JSONResponse:
    """A 422 for the ``{table}.{format}`` asked, in the validation errors' shape, with what is known."""
    return error(422, f"invalid parameters: name: {message}", problems=[{"parameter": "name", "message": message}], **_known())


def _known() -> dict[str, Any]:
    return {"known_tables": list(export.TABLES), "known_formats": list(export.FORMATS)}


def _batch_rows(request: Request) -> int:
    return int(getattr(request.app.state, "export_batch_rows", export.BATCH_ROWS))


def _home(request: Request) -> Path:
    return Path(getattr(request.app.state, "home", None) or settings().home)


def _latest_file(request: Request) -> Path:
    """The ``latest.duckdb`` the app's DuckDB store reads (else the one of the app's home)."""
    store = request.app.state.store
    return store.latest if isinstance(store, DuckDBStore) else snapshots_dir(_home(request)) / LATEST_SNAPSHOT


def _pin(request: Request, table: export.ExportTable) -> AbstractContextManager[export.Pinned]:
    """The store ``table`` lives in as the app serves it: the catalog snapshot the app's store
    reads (its ``latest.duckdb``, or its PostgreSQL database on a connection of the export's own),
    or the monitor's store beside it."""
    store = request.app.state.store
    url = store.pool.conninfo if isinstance(store, PostgresStore) else None
    if table.store == export.MONITOR:
        return export.pin_monitor(_home(request), url)
    if url:
        return export.pin_postgres(url)
    return export.pin_duckdb(_latest_file(request))


def _etag(pinned: export.Pinned, table: str, fmt: str) -> str:
    return f'"{pinned.tag}-export{export.EXPORT_VERSION}-{table}-{fmt}"'


async def _drain(chunks: Iterator[bytes], stack: ExitStack) -> AsyncIterator[bytes]:
    """Each chunk read in the thread pool (the database work happens there); the pinned snapshot
    is let go when the body ends, fails or the client goes away."""
    try:
        while True:
            chunk = await run_in_threadpool(next, chunks, None)
            if chunk is None:
                return
            if chunk:
                yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the encoder and the database cursor first, then the snapshot under them
        stack.close()


@router.get("/api/v1/export", summary="The tables and formats that can be exported", response_model=ExportIndex,
            responses={**INVALID, **REFUSED})
def export_index() -> JSONResponse:
    """Every exportable table with what it holds, and the formats."""
    return JSONResponse({
        "tables": [{"name": t.name, "store": t.store, "description": t.description,
                    "urls": {fmt: f"/api/v1/export/{t.name}.{fmt}" for fmt in export.FORMATS}} for t in export.TABLES.values()],
        "formats": list(export.FORMATS),
        "snapshot_file": f"/api/v1/export/{SNAPSHOT_FILE}",
    })


@router.get(f"/api/v1/export/{SNAPSHOT_FILE}", summary="The snapshot file being served (DuckDB mode)",
            response_class=StreamingResponse, responses=_FILE_RESPONSES)
async def export_snapshot_file(request: Request, if_none_match: INM = None) -> Response:
    """The DuckDB snapshot file ``latest.duckdb`` names when the request begins, streamed; 404 when
    the catalog is served from PostgreSQL (there is no snapshot file to serve)."""
    store = request.app.state.store
    if isinstance(store, PostgresStore):
        return error(404, "no snapshot file: the catalog is served from PostgreSQL (AISI_DATABASE_URL); "
                           "export its tables with /api/v1/export/{table}.{format}", **_known())
    try:
        snapshot_id, handle, size = await run_in_threadpool(export.open_snapshot_file, _latest_file(request))
    except export.NothingToExport as exc:
        return error(503, str(exc))
    etag = f'"{snapshot_id}-file"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Snapshot-Id": snapshot_id}
    if etag_matches(if_none_match, etag):
        handle.close()
        return Response(status_code=304, headers=headers)
    headers.update({"Content-Length": str(size),
                    "Content-Disposition": f'attachment; filename="aisi-snapshot-{snapshot_id}.duckdb"'})
    if is_head(request):  # the file's headers, without reading it
        handle.close()
        return Response(media_type="application/vnd.duckdb", headers=headers)
    stack = ExitStack()
    stack.callback(handle.close)
    return StreamingResponse(_drain(export.file_chunks(handle), stack), media_type="application/vnd.duckdb", headers=headers)


@router.get("/api/v1/export/{name}", summary="A whole table as CSV, JSON or Parquet, streamed from one snapshot",
            response_class=StreamingResponse, responses=_EXPORT_RESPONSES)
async def export_file(
    request: Request,
    name: Annotated[str, PathParam(
        description="`<table>.<format>`: models.csv, price_history.parquet, availability.json ...", examples=["models.csv"],
        # Documented, checked below (with a 422 that lists the tables and formats, not a bare pattern error).
        json_schema_extra={"pattern": r"^[a-z_]+\.(csv|json|parquet)$"})],
    if_none_match: INM = None,
) -> Response:
    """``name`` is a table (see ``GET /api/v1/export``) and a format (csv, json, parquet)."""
    table_name, dot, fmt = name.rpartition(".")
    if not dot:
        table_name, fmt = name, ""
    try:
        table = export.export_table(table_name)
    except export.UnknownTable as exc:
        return error(404, str(exc), **_known())
    if not fmt:
        return _invalid_name(f"no format: ask for {', '.join(f'{name}.{f}' for f in export.FORMATS)}")
    try:
        export.check_format(fmt)
    except export.UnknownFormat as exc:
        return _invalid_name(str(exc))

    stack = ExitStack()
    try:
        pinned = await run_in_threadpool(stack.enter_context, _pin(request, table))
    except export.NothingToExport as exc:
        stack.close()
        return error(503, str(exc))
    except BaseException:
        stack.close()
        raise
    etag = _etag(pinned, table.name, fmt)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if table.store == export.MONITOR:
        headers["X-Monitor-As-Of"] = pinned.snapshot_id
    else:
        headers["X-Snapshot-Id"] = pinned.snapshot_id
    if etag_matches(if_none_match, etag):
        await run_in_threadpool(stack.close)
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{export.file_name(table.name, fmt, pinned.snapshot_id)}"'
    if is_head(request):  # the export's headers, without running it
        await run_in_threadpool(stack.close)
        return Response(media_type=export.FORMATS[fmt], headers=headers)
    chunks = export.stream(pinned, table, fmt, _batch_rows(request))
    return StreamingResponse(_drain(chunks, stack), media_type=export.FORMATS[fmt], headers=headers)
