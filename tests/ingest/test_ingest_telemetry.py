"""dlt's anonymous telemetry stays off: a load never posts to dlt's tracker (this machine has no
internet, and a company's data platform does not report its runs to a third party)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from velo.testing.http import serve_fixed_answer

# A one-row dlt load in a fresh process that imports velo first, as every velo entry point does.
LOAD = """
import velo.ingest.runner
import dlt
pipeline = dlt.pipeline(
    "telemetry_probe",
    destination=dlt.destinations.duckdb({database!r}),
    pipelines_dir={pipelines!r},
)
pipeline.run([{{"id": 1}}], table_name="probe")
"""


def posts_to_tracker(tmp_path: Path, telemetry: str | None) -> list[str]:
    """The paths a one-row load posted to a tracker on loopback; ``telemetry``: the user's own
    RUNTIME__DLTHUB_TELEMETRY, None when unset."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RUNTIME__")}
    if telemetry is not None:
        env["RUNTIME__DLTHUB_TELEMETRY"] = telemetry
    code = LOAD.format(
        database=str(tmp_path / f"probe_{telemetry}.duckdb"),
        pipelines=str(tmp_path / f"pipelines_{telemetry}"),
    )
    with serve_fixed_answer(200, b"{}") as (url, posts):
        env["RUNTIME__DLTHUB_TELEMETRY_ENDPOINT"] = f"{url}/track"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=180)
    return posts


def test_a_load_posts_nothing_to_dlts_tracker(tmp_path: Path) -> None:
    # The probe sees telemetry when a user turns it on, so its silence below means something.
    assert posts_to_tracker(tmp_path, "true")
    assert posts_to_tracker(tmp_path, None) == []
