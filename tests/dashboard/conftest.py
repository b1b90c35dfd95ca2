"""The dashboard's fixtures: the app under AppTest over the published sample (`served`)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from velo.settings import Settings
from velo.testing.http import serve_on_loopback

APP = Path(__file__).resolve().parents[2] / "src" / "velo" / "dashboard" / "app.py"


@pytest.fixture
def app(served: Settings) -> AppTest:
    """The app, first page rendered (VELO_DATA_DIR points at the served data)."""
    return AppTest.from_file(str(APP), default_timeout=60).run()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dagster_webserver() -> Iterator[str]:
    """A loopback stand-in for the Dagster UI: answers /server_info like dagster-webserver."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/server_info"
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(b'{"dagster_webserver_version": "stub"}' if found else b"")

        def log_message(self, *args: Any) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        yield url


def figure(element: object) -> dict:
    return json.loads(element.proto.spec)  # type: ignore[attr-defined]


def values(array: object) -> list:
    """Plotly arrays, plain or binary-encoded ({'dtype': 'f8', 'bdata': base64})."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)  # type: ignore[call-overload]
