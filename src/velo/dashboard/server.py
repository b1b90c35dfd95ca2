"""`velo dashboard`: run Streamlit on the app, bound to the loopback interface."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from velo.settings import Settings

APP = Path(__file__).with_name("app.py")


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.showErrorDetails",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--server.enableStaticServing",
        "true",  # static/usa_110m.json for the state map
    ]


def serve_dashboard(settings: Settings, port: int) -> int:
    """Become the Streamlit server (exec: signals reach it directly, no orphaned child); the app
    reads the same VELO_* settings from the inherited environment."""
    print(f"Dashboard on http://127.0.0.1:{port} (serving DB {settings.serving_path})", flush=True)
    command = streamlit_command(port)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return
