"""DuckDB's resource settings, declared once, for every DuckDB connection the platform opens.

dbt (through its profile's ``config_options``), dlt's destination, publish, the dashboard, the
answers, reconciliation and the benchmarks all take their configuration from
:func:`duckdb_config`: the memory limit and thread count from the settings
(``duckdb_memory_limit``, ``duckdb_threads``; DuckDB's own default is 80 % of RAM per process),
and a spill directory under ``state_dir``, so a large build spills to disk instead of growing
past the limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from velo.settings import Settings

if TYPE_CHECKING:
    import duckdb

SPILL_DIR = "duckdb-spill"


def spill_dir(settings: Settings) -> Path:
    """Where DuckDB spills, created here: a directory DuckDB did not create, it never removes,
    so processes can share it (DuckDB names its spill files after the process). The same path in
    every process also keeps dbt's partial parsing valid (its profile is hashed)."""
    path = Path(settings.state_dir) / SPILL_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def duckdb_config(settings: Settings, *, keep_order: bool = True) -> dict[str, str]:
    """DuckDB configuration for a connection; ``keep_order=False`` where no result's order
    matters without an ORDER BY (loads, builds): DuckDB then streams with less memory."""
    return {
        "memory_limit": settings.duckdb_memory_limit,
        "threads": str(settings.duckdb_threads),
        "temp_directory": str(spill_dir(settings)),
        "preserve_insertion_order": str(keep_order).lower(),
    }


def connect_duckdb(
    settings: Settings, path: Path | str, *, read_only: bool = False, keep_order: bool = True
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` carrying the platform's configuration."""
    import duckdb

    return duckdb.connect(
        str(path), read_only=read_only, config=duckdb_config(settings, keep_order=keep_order)
    )
