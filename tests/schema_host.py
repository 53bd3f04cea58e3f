"""A schema host on 127.0.0.1 (real HTTP, scripted answers per path) for the tests of
remote `$ref`s; `running()` yields one, the `schema_host` fixtures of tests/unit/documents and
tests/unit/specs use it."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

Answer = tuple[int, dict[str, str], bytes]


class Host:
    """Answers `GET path` with `answers[path]` (status, headers, body); 404 otherwise.
    `slow` paths wait before answering; `seen` lists every path asked for."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.slow: dict[str, float] = {}
        self.seen: list[str] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.seen.append(self.path)
                time.sleep(host.slow.get(self.path, 0.0))
                status, headers, body = host.answers.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, body: str | bytes, status: int = 200, **headers: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.answers[path] = (status, headers, data)
        return self.url + path


@contextlib.contextmanager
def running() -> Iterator[Host]:
    host = Host()
    thread = threading.Thread(target=host.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.server.shutdown()
        host.server.server_close()
