"""Local HTTP servers for these tests: a Slack webhook that records, an API that fails."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from velo.orchestration import resources
from velo.testing.http import serve_fixed_answer, serve_on_loopback


@dataclass
class RecordingServer:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [payload.get("text", "") for payload in self.requests]


@dataclass
class FailingServer:
    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def slack() -> Iterator[RecordingServer]:
    """A Slack incoming webhook on loopback that records every JSON payload posted to it."""
    recorded: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorded.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        yield RecordingServer(url=f"{url}/services/T000/B000/XXXX", requests=recorded)


@pytest.fixture
def failing_api() -> Iterator[FailingServer]:
    """An HTTP API that answers every request with 500 and counts the requests."""
    boom = b'{"error": true, "status": 500, "message": "boom"}'
    with serve_fixed_answer(500, boom) as (url, hits):
        yield FailingServer(url=f"{url}/fx", hits=hits)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster retries after milliseconds, and dlt's HTTP client tries once, so tests stay fast."""
    monkeypatch.setattr(resources, "RETRY_DELAY_SECONDS", 0.05)
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
