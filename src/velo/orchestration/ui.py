"""`velo dagster`: the Dagster UI (webserver + daemon) on loopback, over these definitions.

DAGSTER_HOME is the data directory's instance (:mod:`velo.orchestration.instance`), the one
`velo run` records its runs in.
"""

import os
import subprocess
import sys
from pathlib import Path

from velo.orchestration.instance import dagster_home
from velo.settings import Settings


def dagster_dev_command(port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [
        str(dagster),
        "dev",
        "-m",
        "velo.orchestration.definitions",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def serve_dagster(settings: Settings, port: int) -> int:
    """Run `dagster dev` until interrupted; return its exit code."""
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home(settings))}
    try:
        return subprocess.run(dagster_dev_command(port), env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0
