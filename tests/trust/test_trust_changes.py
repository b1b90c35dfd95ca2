"""After any sequence of real-world changes, the served numbers equal a fresh computation.

A small simulated company goes through the real path; then, step by step, a seeded random mix of
changes is applied to its operations DB (changes.py) and the incremental pipeline runs (load +
reconciliation with the source, dbt build, publish). After every step:

- every mart of the incremental build equals, row for row, a ``--full-refresh`` build of the same
  raw data (a copy of the warehouse);
- `velo reconcile` (the headline figures recomputed from the operations DB with plain SQL)
  finds no difference with what is served;
- every served mart equals the warehouse's (from DuckDB, publish updates the sales
  one-big-table by key after the first, whole publish; from PostgreSQL it copies it whole).

Bounded: two steps of seven changes each (twelve kinds and two ticks); DuckDB and PostgreSQL
warehouses.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
from changes import EDITS, apply
from warehouse_helpers import create_company, settings_in

from velo.ingest import run_ingest
from velo.runtime import resolve_clock
from velo.serving.publish import SERVED_MARTS, publish
from velo.serving.reconcile import Difference, reconcile
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


def as_text(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Rows as sorted text, each decimal by its value: PostgreSQL keeps a numeric's own scale
    (34.9900), the serving DB the scale it was published with (34.9900000000)."""
    return sorted(
        str(tuple(value.normalize() if isinstance(value, Decimal) else value for value in row))
        for row in rows
    )


def mart_query(name: str, served: bool) -> str:
    """The mart's rows; ``served``: only the columns publish serves of it."""
    columns = SERVED_MARTS.get(name) if served else None
    return f"select {', '.join(columns) if columns else '*'} from marts.{name}"


def duckdb_marts(settings: Settings, served: bool = False) -> Rows:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        names = [name for (name,) in con.execute(MARTS_TABLES).fetchall()]
        return {name: as_text(con.execute(mart_query(name, served)).fetchall()) for name in names}


def postgres_marts(url: str, served: bool = False) -> Rows:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text(MARTS_TABLES)).scalars().all()
            return {
                name: as_text(conn.execute(sa.text(mart_query(name, served))).all())
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


def publish_and_reconcile(
    live: Settings, warehouse: Rows, updated_by_key: tuple[str, ...]
) -> list[Difference]:
    """Publish, check every served mart equals ``warehouse``'s (the served columns of the marts
    just built), and return what `velo reconcile` finds between the serving DB and the
    operations DB."""
    report = publish(live)
    assert report.updated == updated_by_key
    served = duckdb_marts(live.with_overrides(warehouse_path=live.serving_path), served=True)
    assert {name: served[name] for name in SERVED_MARTS} == {
        name: warehouse[name] for name in SERVED_MARTS
    }
    return reconcile(live)[2]


def run_changes(
    settings: Settings,
    full_refresh_copy: Callable[[], Rows],
    warehouse_marts: Callable[[bool], Rows],
    updated_by_key: tuple[str, ...],
) -> None:
    """The first publish is whole; each step's publish then updates ``updated_by_key``."""
    publish(settings)
    rng = random.Random(SEED)
    for kinds in change_plan(SEED):
        step = apply(settings, rng, kinds)
        live = resolve_clock(settings)  # the simulated company's clock, as an entry point does
        incremental_run(live)
        incremental = warehouse_marts(False)
        found = publish_and_reconcile(live, warehouse_marts(True), updated_by_key)
        assert found == [], f"served figures differ after {step}"
        assert_same_marts(incremental, full_refresh_copy(), step)


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

    # After the first, whole publish, the sales one-big-table is updated by key.
    updated = ("obt_sales_order_lines",)
    run_changes(settings, full_refresh_copy, lambda served: duckdb_marts(settings, served), updated)


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

    # Publishing from PostgreSQL copies every served mart whole each time.
    run_changes(settings, full_refresh_copy, lambda served: postgres_marts(pg_url, served), ())


@pytest.mark.parametrize("seed", [SEED])
def test_change_plan_covers_every_kind_of_change(seed: int) -> None:
    plan = change_plan(seed)
    assert len(plan) == STEPS
    assert sorted(kind for step in plan for kind in step) == sorted([*EDITS, "tick", "tick"])
