"""A local HTTP server that replays recorded responses, for tests and benchmarks.

Each route serves a file with a strong ETag and Last-Modified and answers conditional
requests with 304. A route's ``mode`` turns it into a failing source: ``500``,
``garbage``, ``slow`` (answers after ``delay`` seconds), ``429`` (``Retry-After`` for the
first ``fail_times`` requests, then the file), ``500-then-ok`` (500 for the first
``fail_times`` requests), ``redirect`` (302 to ``location``, absolute or relative),
``gzip`` (the file gzip-compressed, ``Content-Encoding: gzip``), ``gzip-garbage`` (200 marked ``Content-Encoding: gzip`` whose body is not gzip), ``drip`` (the
file one byte every ``delay`` seconds). A route may ``require`` request headers (an API key): without
them it answers 401. Routes are matched on path and query first, then on the path alone,
so the pages of a paged API are separate routes.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops concurrent connects, which then wait a second for a
    # SYN retry: concurrent probes would measure the test server, not themselves.
    request_queue_size = 128


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    mode: str = "ok"
    delay: float = 0.0
    fail_times: int = 0
    require: dict[str, str] | None = None
    location: str | None = None  # where mode "redirect" points
    last_modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int
    target: str = ""  # path with query string


class ReplayServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                route = server.routes.get(self.path) or server.routes.get(path)
                self._path = path
                self._serve(route)

            def _record(self, status: int) -> None:
                """Logged before the answer goes out: a client that has its answer finds it in ``seen``."""
                with server._lock:
                    server.requests.append(Seen(self._path, {k.lower(): v for k, v in self.headers.items()}, status, self.path))

            def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
                self._record(status)
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)
                return status

            def _drip(self, route: Route) -> int:
                self._record(200)
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    for index in range(len(route.body)):
                        self.wfile.write(route.body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(route.delay)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up: that is the point
                    self.close_connection = True
                return 200

            def _serve(self, route: Route | None) -> int:
                if route is None:
                    return self._send(404, b'{"error":"not found"}', {"Content-Type": "application/json"})
                if route.require and any(self.headers.get(k) != v for k, v in route.require.items()):
                    return self._send(401, b'{"error":"invalid api key"}', {"Content-Type": "application/json"})
                if route.mode == "slow":
                    time.sleep(route.delay)
                if route.mode == "redirect":
                    return self._send(302, b"", {"Location": route.location or "/"})
                if route.mode == "gzip":
                    return self._send(200, gzip.compress(route.body), {"Content-Type": route.content_type, "Content-Encoding": "gzip"})
                if route.mode == "gzip-garbage":
                    return self._send(200, b"this is not gzip", {"Content-Type": route.content_type, "Content-Encoding": "gzip"})
                if route.mode == "drip":
                    return self._drip(route)
                if route.mode == "500":
                    return self._send(500, b"internal error", {"Content-Type": "text/plain"})
                if route.mode == "garbage":
                    return self._send(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
                if route.mode == "500-then-ok" and route.fail_times > 0:
                    route.fail_times -= 1
                    return self._send(500, b"internal error", {"Content-Type": "text/plain"})
                if route.mode == "429" and route.fail_times > 0:
                    route.fail_times -= 1
                    return self._send(429, b"slow down", {"Retry-After": "1"})
                validators = {"ETag": route.etag, "Last-Modified": formatdate(route.last_modified, usegmt=True)}
                if self.headers.get("If-None-Match") == route.etag:
                    return self._send(304, b"", validators)
                return self._send(200, route.body, {"Content-Type": route.content_type, **validators})

        self.httpd = _Server((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, body: bytes | Path, content_type: str = "application/json", require: dict[str, str] | None = None) -> Route:
        """Serves ``body`` at ``path`` (which may carry a query string: one page of a listing)."""
        data = body.read_bytes() if isinstance(body, Path) else body
        route = Route(body=data, content_type=content_type, require=require)
        self.routes[path] = route
        return route

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> "ReplayServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HangingServer:
    """A host that takes connections and never answers (a hung server behind a working
    network): every request to it times out. Counts the connections it was sent."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        import socket

        self._socket = socket.create_server((host, port), backlog=128)
        self._socket.settimeout(0.2)
        self._connections: list[object] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:  # the accept timeout (to notice stop), or the socket closed
                continue
            with self._lock:
                self._connections.append(connection)  # kept open, never read, never answered

    @property
    def url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def start(self) -> "HangingServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._socket.close()
        with self._lock:
            for connection in self._connections:
                connection.close()  # type: ignore[attr-defined]

    def __enter__(self) -> "HangingServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
