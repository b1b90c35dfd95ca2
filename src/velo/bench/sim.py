"""`velo bench sim`: rows/s of `velo sim init` against row-by-row SQLAlchemy inserts.

The figure is the whole vectorised init (generation + bulk load + indexes) into a temporary
SQLite database. The baseline, measured in the same run, inserts a sample of the very same rows
one ``INSERT`` per row through SQLAlchemy (one transaction, like an ORM-style generator would)
into a fresh database, and reports its rows/s and what the whole database would take that way.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from velo.bench import bench_result, bench_settings, peak_rss_mb, timed
from velo.simulator import schema
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company

AS_OF = date(2024, 12, 31)  # fixed, so runs on different days compare
SAMPLE_ROWS_PER_TABLE = 2_000


def run(scale: float) -> dict[str, Any]:
    with bench_settings("sim") as settings:
        seconds, summary = timed(
            lambda: init_company(settings, days=365, scale=scale, seed=settings.seed, as_of=AS_OF)
        )
        rows = sum(int(summary[name]) for name in schema.COMPANY_TABLES)
        sample = _sample(settings.ops_db_url)
        baseline_db = settings.data_dir / "baseline.db"
        base_seconds, base_rows = timed(lambda: _insert_row_by_row(baseline_db, sample))
    rate = rows / seconds
    base_rate = base_rows / base_seconds
    return bench_result(
        "sim",
        scale,
        figures={
            "rows": rows,
            "order_lines": int(summary["salesorderdetail"]),
            "seconds": round(seconds, 3),
            "rows_per_s": round(rate),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
        baseline={
            "method": "SQLAlchemy INSERT per row (sample of the same rows)",
            "rows": base_rows,
            "seconds": round(base_seconds, 3),
            "rows_per_s": round(base_rate),
            "seconds_for_all_rows": round(rows / base_rate, 1),
        },
        ratio=rate / base_rate,
    )


def _company_tables() -> list[sa.Table]:
    return [schema.TABLES[name] for name in schema.COMPANY_TABLES]


def _sample(url: str) -> dict[str, list[dict[str, Any]]]:
    """The first rows of every company table, as SQLAlchemy reads them back."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    dict(row._mapping)
                    for row in conn.execute(sa.select(table).limit(SAMPLE_ROWS_PER_TABLE))
                ]
                for table in _company_tables()
            }
    finally:
        engine.dispose()


def _insert_row_by_row(path: Path, sample: dict[str, list[dict[str, Any]]]) -> int:
    engine = open_engine(f"sqlite:///{path}")
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            for table in _company_tables():
                for row in sample[table.name]:
                    conn.execute(table.insert().values(row))
    finally:
        engine.dispose()
    return sum(len(rows) for rows in sample.values())
