"""A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free loopback port.

Any of ``SUPPORTED_VERSIONS`` serves (Debian ships 15, GitHub's Ubuntu runners 16). PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` system user.

Every role logs in with a password (md5) except ``TRUST_USER``, which the server trusts from
loopback: the passwordless URLs of a local server with trust authentication.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from velo.errors import VeloError

SUPPORTED_VERSIONS = (15, 16)
PG_BIN_CANDIDATES = (
    *(f"/usr/lib/postgresql/{version}/bin" for version in SUPPORTED_VERSIONS),
    "/usr/local/pgsql/bin",
)
PASSWORD = "velo-test-pw"
TRUST_USER = "velo_trust"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise VeloError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 or 16"
    )


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def trust_url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """The URL of ``database`` for the trusted role: no password in it."""
        return f"{driver}://{TRUST_USER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def trust_loopback(hba: Path) -> None:
    """Let ``TRUST_USER`` in from loopback without a password (the first matching line wins)."""
    hba.write_text(f"host all {TRUST_USER} 127.0.0.1/32 trust\n" + hba.read_text())


def create_trusted_role(cluster: PostgresCluster) -> None:
    import psycopg

    with psycopg.connect(cluster.url(driver="postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {TRUST_USER} LOGIN SUPERUSER")


def _run_as_owner(cmd: list[str], as_postgres: bool) -> None:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise VeloError(
            f"PostgreSQL command {cmd[-1] if cmd else ''} failed: {result.stderr.strip()}"
        )


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a fresh cluster in a temporary directory; stop and delete it afterwards."""
    pg_bin = find_pg_bin()
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="velo-pg-"))
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD)
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    port = free_port()
    _run_as_owner(
        [
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "velo",
            "--pwfile",
            str(pwfile),
            "-A",
            "md5",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        as_postgres,
    )
    trust_loopback(data / "pg_hba.conf")
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
    _run_as_owner(
        [
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ],
        as_postgres,
    )
    try:
        cluster = PostgresCluster(host="127.0.0.1", port=port, user="velo", password=PASSWORD)
        create_trusted_role(cluster)
        yield cluster
    finally:
        _run_as_owner(
            [str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres
        )
        shutil.rmtree(root, ignore_errors=True)
