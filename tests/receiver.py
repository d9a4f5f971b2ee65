"""A local HTTP receiver that records every POST (a stand-in for Slack's incoming webhook).

``fail_next`` makes the next N posts answer 500 (a Slack outage); each post is still recorded
with the status it got, so tests can count what arrived and what was refused. ``answer`` replaces
the reply (e.g. Slack's Web API, which answers 200 with ``{"ok": false, ...}``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Post:
    path: str
    body: Any
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    received_at: float = field(default_factory=time.time)  # epoch seconds


Answer = Callable[[Post], tuple[int, bytes]]


class Receiver:
    def __init__(self, answer: Answer | None = None) -> None:
        self.posts: list[Post] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                post = Post(self.path, body, 0, {k.lower(): v for k, v in self.headers.items()})
                with receiver._lock:
                    if answer is not None:
                        post.status, payload = answer(post)
                    else:
                        post.status = 500 if receiver.fail_next > 0 else 200
                        receiver.fail_next = max(0, receiver.fail_next - 1)
                        payload = b"ok" if post.status == 200 else b"error"
                    receiver.posts.append(post)
                self.send_response(post.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/hook"

    def delivered(self) -> list[Any]:
        """Bodies of the posts that were accepted (HTTP 200)."""
        with self._lock:
            return [p.body for p in self.posts if p.status == 200]

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
