"""A real HTTP server on loopback for tests: recording webhooks, failing APIs, stub UIs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port until the block ends; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_fixed_answer(
    status: int, body: bytes = b"", content_type: str = "application/json"
) -> Iterator[tuple[str, list[str]]]:
    """A loopback server that answers every GET and POST with ``status`` and ``body``; yields its
    base URL and the paths it was asked for, in order (a failing API, a tracker that counts)."""
    paths: list[str] = []

    class FixedAnswer(BaseHTTPRequestHandler):
        def answer(self) -> None:
            paths.append(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args: object) -> None:
            pass

    with serve_on_loopback(FixedAnswer) as url:
        yield url, paths
