"""Rebuilding the warehouse from scratch after raw was reloaded from another operations source.

Raw never mixes two companies (:mod:`velo.ingest.identity`), but an ordinary build after the
switch would: the incremental facts and one-big-tables merge by key and re-process only a window,
so an order of the new company whose id the old one also used may keep the old row, and the
product snapshot keeps the old company's versions (``--full-refresh`` rebuilds no snapshot).

So ingestion, when it reloads raw for a source other than the one raw was loaded from, leaves a
request under ``state_dir``; the next build of the whole project (``velo transform``, the
Dagster dbt step of ``velo run`` and the schedules) drops the snapshots, builds with
``--full-refresh`` and clears the request once the build is green. A failed build leaves it for
the next one. Subset builds (``--select``, the hourly FX job) leave it too: they rebuild only part.

``--full-refresh`` alone keeps the snapshots: for the same company their versions are the
history the source no longer holds (a price before its last change), and raw reloaded in full
from the same source does not contradict them.
"""

from __future__ import annotations

import json
from pathlib import Path

from velo.settings import Settings
from velo.state_files import write_json_atomically

REBUILD_FILE = "warehouse_rebuild.json"
# The dbt operation (macros/drop_snapshots.sql) run before such a build.
DROP_SNAPSHOTS = ("run-operation", "drop_snapshots")


def rebuild_path(settings: Settings) -> Path:
    return settings.state_dir / REBUILD_FILE


def request_rebuild(settings: Settings, reason: str) -> None:
    """Ask the next whole-project build to start from scratch (written atomically)."""
    write_json_atomically(rebuild_path(settings), {"reason": reason})


def requested_rebuild(settings: Settings) -> str | None:
    """Why the warehouse must be rebuilt from scratch, or None when it need not be."""
    path = rebuild_path(settings)
    if not path.exists():
        return None
    try:
        return str(json.loads(path.read_text())["reason"])
    except (OSError, ValueError, KeyError, TypeError):
        return "raw was reloaded from another database"  # unreadable: still a request


def announcement(reason: str) -> str:
    return f"operations source changed ({reason}): rebuilding the warehouse from scratch"


def clear_rebuild(settings: Settings) -> None:
    """After a green build of the whole project from scratch."""
    rebuild_path(settings).unlink(missing_ok=True)
