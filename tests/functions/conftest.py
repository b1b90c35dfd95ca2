"""Fixtures for the function tests: live simulated APIs and a local webhook that records posts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from velo.settings import Settings
from velo.simulator.apis import running_apis
from velo.testing.http import serve_on_loopback

CLOCK = datetime(2024, 3, 31, 23, 59, 59)
WEBHOOK_SECRET_PATH = "/services/T0VELO/B0VELO/s3cr3t-webhook-token"


@pytest.fixture
def live(settings: Settings) -> Iterator[Settings]:
    """Isolated settings at CLOCK with the simulated APIs running."""
    with running_apis(settings.with_overrides(clock=CLOCK)) as running:
        yield running


@dataclass
class Webhook:
    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    fails_when: Callable[[dict[str, Any]], bool] = lambda payload: False


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A Slack-like incoming webhook on loopback: records JSON posts, answers 500 on demand."""
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length))
            failed = self.path != WEBHOOK_SECRET_PATH or hook.fails_when(payload)
            if not failed:
                hook.posts.append(payload)
            self.send_response(500 if failed else 200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"internal_error" if failed else b"ok")

        def log_message(self, *args: object) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        hook.url = f"{url}{WEBHOOK_SECRET_PATH}"
        yield hook
