"""A small HTTP server standing in for the practice's rest-hook endpoint: it keeps what it is sent."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._arrived = threading.Condition()

    def keep(self, body: dict[str, Any], headers: dict[str, str]) -> None:
        with self._arrived:
            self.received.append(body)
            self.headers.append(headers)
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} notifications arrived, expected {count}")
                self._arrived.wait(left)
            return list(self.received)


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            holder["receiver"].keep(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/notifications")
    holder["receiver"] = receiver
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
