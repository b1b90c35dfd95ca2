"""When raw was last proved equal to the operations DB, and whether either side changed since.

The reconciliation (:mod:`velo.ingest.reconcile`) reads every changing table in full on both
sides: at scale 100, 29 s of a run that loads nothing. When neither side has changed since a
reconciliation that left them equal, reading them again can only find what it found then:
nothing to repair. So each reconciliation that ends with raw equal to the source records, under
``state_dir``, what it compared and a version of each side, and the next one skips the reads
when every part of that record still holds:

- the operations DB's version (:func:`source_version`): for SQLite, the database file's and its
  journals' inode, size, modification and change times (every write changes them, and the
  change time cannot be set back); for PostgreSQL, the position in the write-ahead log (every
  committed write anywhere in the cluster moves it). Unknown, so never skipped, for other
  databases and for a SQLite file written within the last SETTLED_SECONDS: file times are
  coarse, and a write in the same tick as the version taken could leave them equal;
- raw's version: each compared table's row count and newest dlt load id
  (:func:`velo.ingest.runner.raw_versions`: every load that adds or changes rows gives them a
  new load id, every delete lowers the count);
- the tables, keys and columns compared, and the source raw was loaded from
  (:mod:`velo.ingest.identity`).

The record is removed when a reconciliation starts, and written only when the source's version
was the same before and after it (nothing was written to the source while it read).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from velo.ingest.identity import last_loaded
from velo.ingest.runner import raw_versions
from velo.settings import Settings
from velo.state_files import write_json_atomically

RECONCILED_FILE = "operations_reconciled.json"
# A SQLite file written more recently than this has no version yet (see the module docstring);
# file times tick in milliseconds at worst, so a second is ample.
SETTLED_SECONDS = 1.0
# The files a SQLite database is made of: a write changes at least one of them.
SQLITE_FILES = ("", "-wal", "-journal")


@dataclass(frozen=True)
class ReconciledState:
    """What one reconciliation compared, and the version of each side it left equal."""

    source: str
    raw: dict[str, Any]
    compared: dict[str, list[str]]
    loaded_from: dict[str, Any] | None

    @classmethod
    def current(
        cls, settings: Settings, source: str, compared: dict[str, list[str]]
    ) -> ReconciledState:
        identity = last_loaded(settings)
        return cls(
            source=source,
            raw=raw_versions(settings, sorted(compared)),
            compared=compared,
            loaded_from=asdict(identity) if identity else None,
        )


def source_version(engine: sa.Engine) -> str | None:
    """A value that changes whenever the operations DB's data may have; None when unknown."""
    if engine.dialect.name == "sqlite":
        return sqlite_files_version(engine.url.database)
    if engine.dialect.name == "postgresql":
        return postgres_wal_position(engine)
    return None


def sqlite_files_version(database: str | None) -> str | None:
    if not database or database == ":memory:":
        return None
    parts = []
    for suffix in SQLITE_FILES:
        try:
            stat = os.stat(f"{database}{suffix}")
        except FileNotFoundError:
            continue
        if time.time() - stat.st_ctime < SETTLED_SECONDS:
            return None
        parts.append(
            f"{suffix or 'db'}:{stat.st_dev}:{stat.st_ino}:{stat.st_size}"
            f":{stat.st_mtime_ns}:{stat.st_ctime_ns}"
        )
    return "|".join(parts) or None


def postgres_wal_position(engine: sa.Engine) -> str | None:
    """The cluster's write-ahead log position (where the next record goes; a standby's replayed
    position), with the server's identity: any committed write moves it."""
    query = sa.text(
        "select case when pg_is_in_recovery() then pg_last_wal_replay_lsn()"
        " else pg_current_wal_insert_lsn() end::text, inet_server_addr()::text,"
        " inet_server_port()::text"
    )
    try:
        with engine.connect() as conn:
            position, address, port = conn.execute(query).one()
    except sa.exc.SQLAlchemyError:
        return None  # not allowed, or not PostgreSQL enough: read both sides
    return None if position is None else f"{address}:{port}@{position}"


def reconciled_path(settings: Settings) -> Path:
    return settings.state_dir / RECONCILED_FILE


def unchanged_since(settings: Settings, state: ReconciledState) -> str | None:
    """When raw was last proved equal to the source, if neither side has changed since."""
    try:
        recorded = json.loads(reconciled_path(settings).read_text())
        at = recorded.pop("at")
        same = ReconciledState(**recorded) == state
    except (OSError, ValueError, KeyError, TypeError):
        return None  # never reconciled, or unreadable: compare again
    return str(at) if same else None


def remember_reconciled(settings: Settings, state: ReconciledState) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    write_json_atomically(reconciled_path(settings), {**asdict(state), "at": at})


def forget_reconciled(settings: Settings) -> None:
    reconciled_path(settings).unlink(missing_ok=True)
