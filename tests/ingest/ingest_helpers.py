"""Helpers for the ingest tests: a small operations DB, and ways to compare it with raw."""

from __future__ import annotations

from datetime import date

import duckdb
import sqlalchemy as sa

from velo.ingest.contract import ADVENTUREWORKS
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company, tick

# The contract's tables by load strategy: merged on a cursor, or replaced in full.
CHANGING_TABLES = tuple(t.name for t in ADVENTUREWORKS if t.strategy == "merge")
REFERENCE_TABLES = tuple(t.name for t in ADVENTUREWORKS if t.strategy == "replace")

SCALE = 0.02
DAYS = 30
AS_OF = date(2024, 3, 31)


def make_company(settings: Settings) -> Settings:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    init_company(settings, days=DAYS, scale=SCALE, seed=7, as_of=AS_OF)
    return settings


def advance(settings: Settings, days: int = 1) -> None:
    tick(settings, days=days)


def source_counts(settings: Settings) -> dict[str, int]:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(schema.TABLES[name])
                ).scalar_one()
                for name in schema.COMPANY_TABLES
            }
    finally:
        engine.dispose()


def latest_modified(settings: Settings) -> dict[str, object]:
    """Each changing table's newest modifieddate: what the next incremental read starts after."""
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.max(schema.TABLES[name].c.modifieddate))
                ).scalar_one()
                for name in CHANGING_TABLES
            }
    finally:
        engine.dispose()


def changed_since(settings: Settings, since: dict[str, object]) -> dict[str, int]:
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            counts = {}
            for name, after in since.items():
                column = schema.TABLES[name].c.modifieddate
                query = sa.select(sa.func.count()).select_from(schema.TABLES[name])
                counts[name] = conn.execute(
                    query.where(column > after) if after else query
                ).scalar_one()
            return counts
    finally:
        engine.dispose()


def raw_query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(sql).fetchall()


def raw_counts(settings: Settings) -> dict[str, int]:
    return {
        name: raw_query(settings, f"select count(*) from raw.{name}")[0][0]
        for name in schema.COMPANY_TABLES
    }


def duplicate_keys(settings: Settings) -> dict[str, int]:
    """Per table, how many primary keys occur more than once in raw (must be none)."""
    found = {}
    for name in schema.COMPANY_TABLES:
        key = ", ".join(c.name for c in schema.TABLES[name].primary_key)
        duplicated = f"select {key} from raw.{name} group by {key} having count(*) > 1"
        sql = f"select count(*) from ({duplicated})"
        found[name] = raw_query(settings, sql)[0][0]
    return {name: n for name, n in found.items() if n}
