"""A warehouse whose operations source is switched to another company is rebuilt from scratch:
its marts equal a build of the new company alone, and nothing of the old company survives
(the incremental facts' windows and the product snapshot would otherwise keep its rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from warehouse_helpers import (
    AS_OF,
    DAYS,
    NEWS_DAYS,
    SCALE,
    mart_tables,
    settings_in,
    warehouse_rows,
)

from velo.bench.transform import land_news
from velo.ingest import run_ingest
from velo.runtime import platform
from velo.settings import Settings
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company
from velo.warehouse.rebuild import rebuild_path
from velo.warehouse.runner import transform

# Stamped by each build's load (the wall clock): equal only when loaded in the same instant.
LOAD_STAMPS = frozenset({"source_loaded_at"})
# The product history the snapshot keeps and everything that reads it: what a stale snapshot or
# a stale incremental row would show.
OPERATIONS_MARTS = (
    "dim_product",
    "fct_sales_order_lines",
    "fct_work_orders",
    "obt_sales_order_lines",
    "obt_work_orders",
)


def company(directory: Path, seed: int, *, product_prefix: str = "") -> Settings:
    """A small simulated company (its own operations DB) loaded into raw the platform's way and
    built; ``product_prefix`` names its products otherwise than the shared catalogue does."""
    settings = settings_in(directory)
    init_company(settings, days=DAYS, scale=SCALE, seed=seed, as_of=AS_OF)
    if product_prefix:
        rename_products(settings, product_prefix)
    with platform(settings) as live:
        land_news(live, AS_OF, NEWS_DAYS)
        run_ingest(live, ["operations", "fx", "sentiment"])
    transform(settings, echo=False)
    return settings


def rename_products(settings: Settings, prefix: str) -> None:
    engine = open_engine(settings.ops_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("update product set name = :prefix || name"), {"prefix": prefix})
    engine.dispose()


def mart_rows(settings: Settings, mart: str) -> list[tuple]:
    columns = [
        name
        for (name,) in warehouse_rows(
            settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [mart],
        )
        if name not in LOAD_STAMPS
    ]
    listed = ", ".join(columns)
    return warehouse_rows(settings, f"select {listed} from marts.{mart} order by all")


def snapshot_products(settings: Settings) -> set[tuple]:
    return set(
        warehouse_rows(
            settings,
            "select product_id, name, dbt_valid_from from snapshots.snp_operations__product",
        )
    )


OLD_NAMES = "Old company's "
ORDER_DATES = "select sales_order_id, order_date from marts.fct_sales_order_lines"


@dataclass(frozen=True)
class Switch:
    moved: Settings  # the first company's warehouse, switched to the second company
    second: Settings  # the second company's own warehouse, built from scratch
    first_orders: dict[int, date]  # the first company's orders and products, before the switch
    first_products: set[tuple]


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Switch:
    root = tmp_path_factory.mktemp("switch")
    second = company(root / "second", seed=8)
    first = company(root / "first", seed=7, product_prefix=OLD_NAMES)
    first_orders = dict(warehouse_rows(first, ORDER_DATES))
    first_products = snapshot_products(first)
    moved = first.with_overrides(ops_db_url=second.ops_db_url)
    with platform(moved) as live:
        run_ingest(live, ["operations"])
    assert rebuild_path(moved).is_file()  # the reload asked for a rebuild from scratch
    result = transform(moved, echo=False)
    assert result.from_scratch is not None
    assert result.from_scratch.startswith("operations source changed (sqlite:")
    assert result.from_scratch.endswith("rebuilding the warehouse from scratch")
    return Switch(moved, second, first_orders, first_products)


def test_the_two_companies_share_order_keys_but_not_their_rows(switched: Switch) -> None:
    """The premise: an incremental build keyed on order ids would mix them."""
    second_orders = dict(warehouse_rows(switched.second, ORDER_DATES))
    shared = switched.first_orders.keys() & second_orders.keys()
    assert shared
    assert any(switched.first_orders[key] != second_orders[key] for key in shared)


@pytest.mark.parametrize("mart", OPERATIONS_MARTS)
def test_switched_warehouse_equals_a_build_of_the_new_company_alone(
    switched: Switch, mart: str
) -> None:
    assert mart_rows(switched.moved, mart) == mart_rows(switched.second, mart)


def test_every_mart_of_the_new_company_is_there(switched: Switch) -> None:
    assert mart_tables(switched.moved) == mart_tables(switched.second)


def test_no_product_version_of_the_old_company_survives(switched: Switch) -> None:
    # The premise: the first company's versions (its own names) differ from the second's.
    assert any(name.startswith(OLD_NAMES) for _id, name, _from in switched.first_products)
    assert snapshot_products(switched.moved) == snapshot_products(switched.second)


def test_no_product_name_of_the_old_company_survives(switched: Switch) -> None:
    for mart in ("dim_product", "obt_sales_order_lines"):
        query = f"select count(*) from marts.{mart} where product_name like ?"
        assert warehouse_rows(switched.moved, query, [OLD_NAMES + "%"]) == [(0,)]


def test_a_rebuilt_warehouse_clears_the_request(switched: Switch) -> None:
    assert not rebuild_path(switched.moved).exists()
