"""`velo bench ingest`: rows/s of the dlt operations pipeline against a bulk columnar copy.

The figure is a first `velo ingest operations` (every company table, SQLite -> DuckDB `raw`)
from a freshly simulated company, best of two into fresh warehouses, plus an unchanged rerun.
The baseline, in the same run, copies the same tables into a fresh DuckDB file (best of two) the
fastest practical way: DuckDB's own sqlite scanner
(``ATTACH ... (TYPE sqlite)`` + ``CREATE TABLE AS``) when its extension can be loaded, else
(offline, no extension for this DuckDB build) ConnectorX -> Arrow -> ``CREATE TABLE AS``, the
same columnar path without dlt. The method used is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from velo.bench import bench_result, bench_settings, peak_rss_mb, timed
from velo.duckdb_config import connect_duckdb
from velo.ingest import run_ingest
from velo.ingest.operations import DEFAULT_BACKEND, numbers_as_real
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.company import init_company

AS_OF = date(2024, 12, 31)  # fixed, so runs on different days compare
ATTEMPTS = 2


def run(scale: float) -> dict[str, Any]:
    with bench_settings("ingest") as settings:
        init_company(settings, days=365, scale=scale, seed=settings.seed, as_of=AS_OF)
        # Best of ATTEMPTS into fresh warehouses (the first also pays dlt's lazy imports).
        loads = []
        for attempt in range(ATTEMPTS):
            fresh = settings.with_overrides(
                warehouse_path=settings.data_dir / f"warehouse{attempt}.duckdb",
                state_dir=settings.data_dir / f"state{attempt}",
            )
            loads.append(
                (
                    *timed(lambda fresh=fresh: run_ingest(fresh, ["operations"], reconcile=False)),
                    fresh,
                )
            )
        seconds, (report,), fresh = min(loads, key=lambda load: load[0])
        rerun_seconds, _ = timed(lambda: run_ingest(fresh, ["operations"], reconcile=False))
        rows = sum(report.rows_read.values())
        method, copy = scanner_copy(settings)
        base_seconds, base_rows = min(
            timed(lambda attempt=attempt: copy(settings.data_dir / f"baseline{attempt}.duckdb"))
            for attempt in range(ATTEMPTS)
        )
    rate = rows / seconds
    base_rate = base_rows / base_seconds
    return bench_result(
        "ingest",
        scale,
        figures={
            "method": f"dlt sql_database ({DEFAULT_BACKEND}) -> DuckDB raw, first load",
            "rows": rows,
            "order_lines": report.rows_read["salesorderdetail"],
            "seconds": round(seconds, 3),
            "rows_per_s": round(rate),
            "unchanged_rerun_seconds": round(rerun_seconds, 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        baseline={
            "method": method,
            "rows": base_rows,
            "seconds": round(base_seconds, 3),
            "rows_per_s": round(base_rate),
        },
        ratio=rate / base_rate,
    )


def scanner_copy(settings: Settings) -> tuple[str, Callable[[Path], int]]:
    """The baseline copy function: DuckDB's sqlite scanner if loadable, else ConnectorX."""
    sqlite_path = settings.ops_db_url.removeprefix("sqlite:///")
    try:
        duckdb.connect().execute("INSTALL sqlite; LOAD sqlite")
    except duckdb.Error:
        return "ConnectorX -> Arrow -> DuckDB CREATE TABLE AS (sqlite scanner not loadable)", (
            lambda target: connectorx_copy(settings, sqlite_path, target)
        )
    return "DuckDB sqlite scanner: ATTACH + CREATE TABLE AS", (
        lambda target: duckdb_scanner_copy(settings, sqlite_path, target)
    )


def duckdb_scanner_copy(settings: Settings, sqlite_path: str, target: Path) -> int:
    with connect_duckdb(settings, target, keep_order=False) as con:
        con.execute("LOAD sqlite")
        con.execute(f"ATTACH '{sqlite_path}' AS ops (TYPE sqlite, READ_ONLY)")
        for name in schema.COMPANY_TABLES:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM ops.{name}")
        return sum(
            con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            for name in schema.COMPANY_TABLES
        )


def connectorx_copy(settings: Settings, sqlite_path: str, target: Path) -> int:
    import connectorx

    rows = 0
    with connect_duckdb(settings, target, keep_order=False) as con:
        for name in schema.COMPANY_TABLES:
            # the table as SQLite holds it: unqualified
            table = schema.TABLES[name].to_metadata(sa.MetaData(), schema=None)
            query = numbers_as_real(sa.select(table), table)  # as the pipeline reads SQLite
            arrow = connectorx.read_sql(
                f"sqlite://{sqlite_path}",
                str(query.compile(dialect=sqlite_dialect())),
                return_type="arrow",
            )
            con.register("batch", arrow)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM batch")
            con.unregister("batch")
            rows += arrow.num_rows
    return rows
