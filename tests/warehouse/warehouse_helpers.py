"""A small simulated company loaded into raw through the real path, and warehouse queries."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from velo.bench.transform import prepare_company
from velo.settings import Settings, load_settings
from velo.simulator.bulk import open_engine

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


def create_company(settings: Settings) -> None:
    """Operations DB -> raw (operations, fx, sentiment) with the platform's own stages."""
    prepare_company(settings, days=DAYS, scale=SCALE, seed=7, as_of=AS_OF, news_days=NEWS_DAYS)


def ops_rows(settings: Settings, sql: str) -> list[tuple]:
    engine = open_engine(settings.ops_db_url)
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


def table_columns(settings: Settings, table: str, schema: str = "marts") -> list[str]:
    """A warehouse table's column names, in their order."""
    rows = warehouse_rows(
        settings,
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    )
    return [name for (name,) in rows]
