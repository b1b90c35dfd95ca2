"""A warehouse whose operations source is switched to another company is rebuilt from scratch:
its marts equal a build of the new company alone, and nothing of the old company survives
(the incremental facts' windows and the product snapshot would otherwise keep its rows)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console
from warehouse_helpers import (
    AS_OF,
    DAYS,
    NEWS_DAYS,
    SCALE,
    mart_tables,
    settings_in,
    table_columns,
    warehouse_rows,
)

from velo.bench.transform import land_news
from velo.ingest import run_ingest
from velo.orchestration.run import run_platform
from velo.runtime import platform
from velo.settings import Settings
from velo.simulator.bulk import open_engine
from velo.simulator.company import init_company
from velo.warehouse.rebuild import rebuild_path
from velo.warehouse.runner import transform

pytestmark = pytest.mark.slow  # two companies, three builds and a Dagster build job: ~100 s CPU

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
    columns = [name for name in table_columns(settings, mart) if name not in LOAD_STAMPS]
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


def built(settings: Settings) -> dict[str, object]:
    """What a warehouse holds: the operations marts (without load stamps), the snapshot's
    product versions, every mart's name, the orders' dates."""
    return {
        **{mart: mart_rows(settings, mart) for mart in OPERATIONS_MARTS},
        "snapshot": snapshot_products(settings),
        "marts": mart_tables(settings),
        "orders": dict(warehouse_rows(settings, ORDER_DATES)),
    }


@dataclass(frozen=True)
class Switch:
    first: dict[str, object]  # the first company built from scratch
    second: dict[str, object]  # the second company built from scratch, in its own data dir
    switched: dict[str, object]  # the first's warehouse after its source became the second
    announced: str | None  # what that build (velo transform) said
    switched_back: dict[str, object]  # ... and after it became the first again (Dagster build)
    run_output: str  # what that `velo run --only build` printed
    pending: tuple[bool, ...]  # a rebuild requested: after each switch's ingest, build


@pytest.fixture(scope="module")
def switch(tmp_path_factory: pytest.TempPathFactory) -> Switch:
    root = tmp_path_factory.mktemp("switch")
    second = company(root / "second", seed=8)
    first = company(root / "first", seed=7, product_prefix=OLD_NAMES)
    first_built = built(first)

    moved = first.with_overrides(ops_db_url=second.ops_db_url)
    pending = [load_operations(moved)]
    result = transform(moved, echo=False)
    pending.append(rebuild_path(moved).is_file())
    switched = built(moved)

    back = moved.with_overrides(ops_db_url=first.ops_db_url)
    pending.append(load_operations(back))
    console = Console(file=io.StringIO(), width=200)
    run_platform(back, only="build", console=console, answers=False)
    pending.append(rebuild_path(back).is_file())
    return Switch(
        first=first_built,
        second=built(second),
        switched=switched,
        announced=result.from_scratch,
        switched_back=built(back),
        run_output=console.file.getvalue(),
        pending=tuple(pending),
    )


def load_operations(settings: Settings) -> bool:
    """Ingest the operations source; whether the warehouse is then asked to rebuild."""
    with platform(settings) as live:
        run_ingest(live, ["operations"])
    return rebuild_path(settings).is_file()


def test_the_two_companies_share_order_keys_but_not_their_rows(switch: Switch) -> None:
    """The premise: an incremental build keyed on order ids would mix them."""
    first, second = switch.first["orders"], switch.second["orders"]
    shared = first.keys() & second.keys()
    assert shared and any(first[key] != second[key] for key in shared)
    # and the first company's products have names of its own
    assert any(name.startswith(OLD_NAMES) for _id, name, _from in switch.first["snapshot"])


def test_each_switch_asks_for_a_rebuild_which_a_green_build_clears(switch: Switch) -> None:
    assert switch.pending == (True, False, True, False)


@pytest.mark.parametrize("part", [*OPERATIONS_MARTS, "snapshot", "marts"])
def test_switched_warehouse_equals_a_build_of_the_new_company_alone(
    switch: Switch, part: str
) -> None:
    assert switch.switched[part] == switch.second[part]


def test_no_product_name_of_the_old_company_survives(switch: Switch) -> None:
    for mart in ("dim_product", "obt_sales_order_lines"):
        names = {row for rows in switch.switched[mart] for row in rows if isinstance(row, str)}
        assert not [name for name in names if name.startswith(OLD_NAMES)]


def test_velo_transform_says_it_rebuilds_from_scratch(switch: Switch) -> None:
    assert switch.announced is not None
    assert switch.announced.startswith("operations source changed (sqlite:")
    assert switch.announced.endswith("rebuilding the warehouse from scratch")


@pytest.mark.parametrize("part", [*OPERATIONS_MARTS, "snapshot", "marts"])
def test_the_dagster_build_after_switching_back_equals_the_first_build(
    switch: Switch, part: str
) -> None:
    assert switch.switched_back[part] == switch.first[part]


def test_the_dagster_build_says_so_and_publishes(switch: Switch) -> None:
    shown = " ".join(switch.run_output.split())
    assert "! operations source changed (sqlite:" in shown
    assert "rebuilding the warehouse from scratch" in shown
    assert "✓ dbt build" in shown and "✓ publish serving DB" in shown, shown
