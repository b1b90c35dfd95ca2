"""Snowflake emulated locally: fakesnow's HTTP server (Snowflake SQL translated onto DuckDB),
reached by the real Snowflake connector and dbt-snowflake.

Both live in the dbt-snowflake tool venv (``infra/snowflake-tools.txt``, built and cached by
``velo.deploy.static_checks.cached_venv``): their pins conflict with the application's. The
server keeps its databases in memory; it is started on a free loopback port and stopped after.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from velo.deploy.static_checks import REPO_ROOT, SNOWFLAKE_TOOLS_FILE, cached_venv
from velo.errors import VeloError
from velo.testing.postgres import free_port

DATABASE = "VELO"
USER = "velo_svc"
PASSWORD = "fakesnow-local-pw"  # fakesnow accepts any; long enough that dbt's masking is readable
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class FakeSnowflake:
    port: int
    python: Path  # the tool venv's interpreter (connector, fakesnow, dbt-snowflake)

    @property
    def dbt_env(self) -> dict[str, str]:
        """What the dbt project's snowflake target reads (profiles.yml)."""
        return {
            "SNOWFLAKE_ACCOUNT": "fakesnow",
            "SNOWFLAKE_USER": USER,
            "DBT_ENV_SECRET_SNOWFLAKE_PASSWORD": PASSWORD,
            "SNOWFLAKE_DATABASE": DATABASE,
            "SNOWFLAKE_HOST": "127.0.0.1",
            "SNOWFLAKE_PORT": str(self.port),
            "SNOWFLAKE_PROTOCOL": "http",
        }

    def connector_script(self, body: str) -> str:
        """Python for the tool venv: ``cursor`` is a Snowflake connector cursor on this server."""
        return (
            "import snowflake.connector\n"
            f"connection = snowflake.connector.connect(user={USER!r}, password={PASSWORD!r}, "
            f"account='fakesnow', host='127.0.0.1', port={self.port}, protocol='http', "
            f"database={DATABASE!r}, schema='PUBLIC', network_timeout=120)\n"
            "cursor = connection.cursor()\n" + body
        )

    def run(self, body: str) -> str:
        """Run ``body`` (see connector_script) in the tool venv; return its standard output."""
        done = subprocess.run(
            [str(self.python), "-c", self.connector_script(body)],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise VeloError(f"fakesnow script failed: {done.stderr.strip()[-600:]}")
        return done.stdout

    def load_parquet(self, schema: str, files: Sequence[Path]) -> None:
        """One table per parquet file (named by its stem), as a loader would create them.

        fakesnow hands functions it does not know to DuckDB, so ``read_parquet`` loads a file
        server-side; dlt's Snowflake destination would stage files with PUT, which fakesnow does
        not emulate.
        """
        statements = [f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{schema}"] + [
            f"CREATE OR REPLACE TABLE {DATABASE}.{schema}.{path.stem} AS "
            f"SELECT * FROM read_parquet('{path}')"
            for path in files
        ]
        self.run("".join(f"cursor.execute({sql!r})\n" for sql in statements))

    def dbt(
        self, args: Sequence[str], project_dir: Path, state_dir: Path
    ) -> subprocess.CompletedProcess[str]:
        dbt = self.python.with_name("dbt")
        env = {
            **os.environ,
            **self.dbt_env,
            "DBT_TARGET_PATH": str(state_dir / "target"),
            "DBT_LOG_PATH": str(state_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        return subprocess.run(
            [str(dbt), *args, "--target", "snowflake", "--project-dir", str(project_dir),
             "--profiles-dir", str(project_dir)],
            capture_output=True, text=True, check=False, env=env, timeout=900,
        )  # fmt: skip


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise VeloError(f"fakesnow server exited: {log.read_text()[-600:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise VeloError(f"fakesnow server did not listen on port {port} within {STARTUP_SECONDS} s")


@contextmanager
def fakesnow_server(log: Path) -> Iterator[FakeSnowflake]:
    """A fakesnow server on a free loopback port, its output in ``log``; stopped afterwards."""
    python = cached_venv(REPO_ROOT / SNOWFLAKE_TOOLS_FILE) / "bin" / "python"
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(python), "-m", "fakesnow", "--server", "--host", "127.0.0.1", "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_port(port, process, log)
            yield FakeSnowflake(port, python)
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM; SIGKILL if the server still waits on open connections after 10 s (a busy
    machine's CI once saw it hang past 30 s)."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
