"""A small simulated company loaded into raw through the real path, and warehouse queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from velo.functions import sentiment
from velo.ingest import run_ingest
from velo.settings import Settings, load_settings
from velo.simulator.apis import running_apis
from velo.simulator.company import init_company

AS_OF = date(2014, 6, 30)
SCALE = 0.02
DAYS = 45
NEWS_DAYS = 4


def settings_in(directory: Path, **overrides: Any) -> Settings:
    """Settings of an isolated data directory (no process environment involved)."""
    directory.mkdir(parents=True, exist_ok=True)
    return load_settings(env={"VELO_DATA_DIR": str(directory)}, cwd=directory).with_overrides(
        **overrides
    )


def land_news(settings: Settings, days: int = NEWS_DAYS) -> None:
    """Run the sentiment function for the last few simulated days (files in the landing zone)."""
    end = datetime.combine(AS_OF, datetime.min.time()) + timedelta(hours=23, minutes=59)
    with running_apis(settings) as live:
        for back in range(days):
            sentiment.run({"now": (end - timedelta(days=back)).isoformat()}, live, base_delay=0)


def create_company(settings: Settings) -> None:
    """Operations DB -> raw (operations, fx, sentiment) with the platform's own stages."""
    init_company(settings, days=DAYS, scale=SCALE, seed=7, as_of=AS_OF)
    land_news(settings)
    run_ingest(settings, ["operations", "fx", "sentiment"])


def ops_rows(settings: Settings, sql: str) -> list[tuple]:
    engine = sa.create_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def warehouse_rows(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def mart_tables(settings: Settings, schema: str = "marts") -> list[str]:
    rows = warehouse_rows(
        settings,
        "select table_name from information_schema.tables where table_schema = ? "
        "order by table_name",
        [schema],
    )
    return [name for (name,) in rows]
