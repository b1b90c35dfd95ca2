"""`velo dagster`: the Dagster UI (webserver + daemon) on loopback, over these definitions.

DAGSTER_HOME lives under ``settings.state_dir`` (so ``VELO_DATA_DIR`` isolates it too); its
``dagster.yaml`` gives every concurrency pool a limit of 1 — the ``warehouse`` pool is how DuckDB's
single writer is respected across runs.
"""

import os
import subprocess
import sys
from pathlib import Path

from velo.settings import Settings

DAGSTER_YAML = """\
# Written by `velo dagster`.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def dagster_home(settings: Settings) -> Path:
    """The instance directory, created with its dagster.yaml."""
    home = settings.state_dir / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    return home


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
