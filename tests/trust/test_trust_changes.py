"""After any sequence of real-world changes, the served numbers equal a fresh computation.

A small simulated company goes through the real path; then, step by step, a seeded random mix of
changes is applied to its operations DB (changes.py) and the incremental pipeline runs (load +
reconciliation with the source, dbt build, publish). After every step:

- every mart of the incremental build equals, row for row, a ``--full-refresh`` build of the same
  raw data (a copy of the warehouse);
- `velo reconcile` (the headline figures recomputed from the operations DB with plain SQL)
  finds no difference with what is served;
- on DuckDB, every served mart equals the warehouse's (publish updates the sales one-big-table
  by key after the first, whole publish).

Bounded: two steps of six changes each; DuckDB and PostgreSQL warehouses.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from changes import EDITS, apply
from warehouse_helpers import create_company, settings_in

from velo.ingest import run_ingest
from velo.runtime import resolve_clock
from velo.serving.publish import SERVED_MARTS, publish
from velo.serving.reconcile import (
    SERVING_LINES_SQL,
    differences,
    obt_sales_figures,
    reconcile,
    source_figures,
)
from velo.settings import Settings
from velo.testing.postgres import PostgresCluster
from velo.warehouse.runner import transform

SEED = 12
STEPS = 2
Rows = dict[str, list[str]]
MARTS_TABLES = "select table_name from information_schema.tables where table_schema = 'marts'"


def change_plan(seed: int) -> list[list[str]]:
    """Every kind of change once, plus ticks, shuffled into STEPS steps."""
    rng = random.Random(seed)
    kinds = [*EDITS, "tick", "tick"]
    rng.shuffle(kinds)
    return [kinds[step::STEPS] for step in range(STEPS)]


def duckdb_marts(settings: Settings) -> Rows:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        names = [name for (name,) in con.execute(MARTS_TABLES).fetchall()]
        return {
            name: sorted(map(str, con.execute(f"select * from marts.{name}").fetchall()))
            for name in names
        }


def postgres_marts(url: str) -> Rows:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text(MARTS_TABLES)).scalars().all()
            return {
                name: sorted(map(str, conn.execute(sa.text(f"select * from marts.{name}")).all()))
                for name in names
            }
    finally:
        engine.dispose()


def assert_same_marts(incremental: Rows, full: Rows, step: list[str]) -> None:
    assert incremental.keys() == full.keys()
    for name in sorted(full):
        assert incremental[name] == full[name], f"marts.{name} differs after {step}"


def incremental_run(settings: Settings) -> None:
    run_ingest(settings, ["operations"])
    transform(settings, echo=False)


def run_changes(
    settings: Settings,
    full_refresh_copy: Callable[[], Rows],
    incremental_marts: Callable[[], Rows],
    served_differences: Callable[[Settings], list],
) -> None:
    rng = random.Random(SEED)
    for kinds in change_plan(SEED):
        step = apply(settings, rng, kinds)
        live = resolve_clock(settings)  # the simulated company's clock, as an entry point does
        incremental_run(live)
        assert served_differences(live) == [], f"served figures differ after {step}"
        assert_same_marts(incremental_marts(), full_refresh_copy(), step)


@pytest.mark.slow
def test_duckdb_incremental_equals_full_refresh_and_source(tmp_path: Path) -> None:
    settings = settings_in(tmp_path / "incremental")
    full = settings_in(tmp_path / "full", ops_db_url=settings.ops_db_url)
    create_company(settings)
    transform(settings, echo=False)

    def full_refresh_copy() -> Rows:
        shutil.copy(settings.warehouse_path, full.warehouse_path)
        transform(full, full_refresh=True, echo=False)
        return duckdb_marts(full)

    def served_differences(live: Settings) -> list:
        report = publish(live)
        assert report.updated == ("obt_sales_order_lines",)  # the first publish was whole
        served = duckdb_marts(live.with_overrides(warehouse_path=live.serving_path))
        built = duckdb_marts(live)
        assert {name: served[name] for name in SERVED_MARTS} == {
            name: built[name] for name in SERVED_MARTS
        }
        return reconcile(live)[2]

    publish(settings)
    run_changes(settings, full_refresh_copy, lambda: duckdb_marts(settings), served_differences)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_incremental_equals_full_refresh_and_source(
    tmp_path: Path, pg_cluster: PostgresCluster, pg_url: str
) -> None:
    settings = settings_in(tmp_path / "incremental", warehouse="postgres", warehouse_url=pg_url)
    create_company(settings)
    transform(settings, echo=False)
    copies = iter(range(STEPS))

    def full_refresh_copy() -> Rows:
        name = f"{pg_url.rsplit('/', 1)[1]}_full_{next(copies)}"
        admin = sa.create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(
                    sa.text(f'create database "{name}" template "{pg_url.rsplit("/", 1)[1]}"')
                )
        finally:
            admin.dispose()
        url = pg_cluster.url(name)
        full = settings_in(tmp_path / name, warehouse="postgres", warehouse_url=url)
        transform(full, full_refresh=True, echo=False)
        return postgres_marts(url)

    def served_differences(live: Settings) -> list:
        as_of: date = live.clock.date()
        engine = sa.create_engine(pg_url)
        try:
            with engine.connect() as conn:
                sql = SERVING_LINES_SQL.replace("?", ":until")
                rows = conn.execute(sa.text(sql), {"until": as_of + timedelta(days=1)}).all()
        finally:
            engine.dispose()
        return differences(source_figures(live, as_of), obt_sales_figures(rows, as_of))

    run_changes(settings, full_refresh_copy, lambda: postgres_marts(pg_url), served_differences)


@pytest.mark.parametrize("seed", [SEED])
def test_change_plan_covers_every_kind_of_change(seed: int) -> None:
    plan = change_plan(seed)
    assert len(plan) == STEPS
    assert sorted(kind for step in plan for kind in step) == sorted([*EDITS, "tick", "tick"])
