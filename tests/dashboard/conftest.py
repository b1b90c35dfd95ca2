"""The dashboard's fixtures: the app under AppTest over the published sample (`served`)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from velo.clock import wall_now
from velo.serving import publish
from velo.settings import Settings
from velo.testing.http import serve_on_loopback

APP = Path(__file__).resolve().parents[2] / "src" / "velo" / "dashboard" / "app.py"


@pytest.fixture
def app(served: Settings) -> AppTest:
    """The app, first page rendered (VELO_DATA_DIR points at the served data)."""
    return AppTest.from_file(str(APP), default_timeout=60).run()


@pytest.fixture
def failing_build(
    served: Settings, record_dbt_build: Callable[[Settings, dict[str, Any]], None]
) -> dict[str, Any]:
    """The served sample published after a dbt build (run_results.json as dbt writes it) with
    one warning and one failing test; returns those run results."""
    finished = wall_now() - timedelta(minutes=7)  # dbt stamps the wall clock (UTC)
    results = {
        "metadata": {"generated_at": f"{finished:%Y-%m-%dT%H:%M:%S}.000000Z"},
        "args": {"which": "build"},
        "elapsed_time": 11.4,
        "results": [
            {"unique_id": "model.velo.obt_sales_order_lines", "status": "success"},
            {"unique_id": "model.velo.fct_fx_rates_hourly", "status": "success"},
            {"unique_id": "test.velo.not_null_x.a1b2c3", "status": "pass", "failures": 0},
            {
                "unique_id": "test.velo.accepted_range_qty.9f8e7d",
                "status": "warn",
                "failures": 3,
                "message": "Got 3 results, configured to warn if != 0",
            },
            {
                "unique_id": "test.velo.assert_revenue_reconciles",
                "status": "fail",
                "failures": 1234,
                "message": "Got 1234 results, configured to fail if != 0",
            },
        ],
    }
    record_dbt_build(served, results)
    publish(served, require_passed_build=False)  # a sample, not a dbt build
    return results


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
