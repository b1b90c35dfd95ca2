"""A new company (`velo sim init`): the operations database re-created with ``days`` of generated
history, produced block by block so memory stays bounded at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime

import numpy as np

from velo.clock import wall_now
from velo.errors import UsageError
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import load_tables, rebuilt_database
from velo.simulator.clock import SIM_CLOCK_KEY
from velo.simulator.company.arrivals import _arrivals
from velo.simulator.company.columns import Batch
from velo.simulator.company.customers import _customers
from velo.simulator.company.database import creation_marker, row_counts, write_state
from velo.simulator.company.instants import SECONDS_PER_DAY, _day_number, _moment, _seconds
from velo.simulator.company.orders import ORDER_ID_BASE, ORDERS_PER_YEAR, _NextIds, _orders
from velo.simulator.company.prices import PriceHistory, _change_prices, _product_batch
from velo.simulator.company.randomness import INIT_STREAM
from velo.simulator.company.reference import _products, _reference_batches
from velo.simulator.company.work_orders import WORK_ORDERS_PER_YEAR, _work_orders

BASE_CUSTOMERS = 3_000  # customers who already exist when the history starts
BLOCK_DAYS = 28  # init generates and loads history in blocks of this many days


def init_company(
    settings: Settings,
    *,
    days: int = 365,
    scale: float = 1.0,
    seed: int | None = None,
    as_of: date | None = None,
) -> dict[str, int | str]:
    """(Re)create the operations DB with ``days`` of history ending at ``as_of``: that instant
    (a datetime), the end of that day (a date), or by default the current instant (wall clock),
    so a new company holds no order, price change or work order from the future."""
    if days < 1:
        raise UsageError(f"--days must be at least 1 (got {days})")
    if not scale > 0:
        raise UsageError(f"--scale must be positive (got {scale})")
    seed = settings.seed if seed is None else seed
    if seed < 0:
        raise UsageError(f"--seed must not be negative (got {seed})")
    state, batches = _history(seed, days, scale, _history_end(as_of))

    with rebuilt_database(settings.ops_db_url, schema.metadata) as conn:
        load_tables(conn, schema.metadata, batches)
        write_state(conn, {**state, **creation_marker()})
        counts = row_counts(conn)
    return {**counts, "now": state["now"], "seed": seed, "history_start": state["history_start"]}


def _history_end(as_of: date | None) -> datetime:
    if isinstance(as_of, datetime):
        return as_of.replace(microsecond=0)
    if as_of is not None:
        return datetime.combine(as_of, datetime.max.time()).replace(microsecond=0)
    return wall_now()


def _history(
    seed: int, days: int, scale: float, end: datetime
) -> tuple[dict[str, str], Iterator[tuple[str, Batch]]]:
    """The simulator state and every row of a company with ``days`` of history up to ``end``
    (the last of those days ends at ``end``).

    Rows come as (table, batch) pairs generated block by block of days, so memory stays bounded
    at any scale.
    """
    end_day = _day_number(end.date())
    rng = np.random.default_rng([seed, INIT_STREAM, end_day, days, round(scale * 1e6)])
    start_day = end_day - days + 1
    start = start_day * SECONDS_PER_DAY
    at = _seconds(end)
    products = _products()

    # Products were launched one to two years before the history starts.
    sell_start = (start_day - 730 + (products.product_id * 37) % 365) * SECONDS_PER_DAY
    list_prices = PriceHistory.starting(sell_start, products.list_price)
    costs = PriceHistory.starting(sell_start, products.standard_cost)
    _change_prices(rng, list_prices, costs, start, at)

    def rows() -> Iterator[tuple[str, Batch]]:
        yield from _reference_batches(start - 730 * SECONDS_PER_DAY).items()
        yield "product", _product_batch(list_prices, costs, sell_start)
        yield "productlistpricehistory", list_prices.batch("listprice")
        yield "productcosthistory", costs.batch("standardcost")
        n_base = max(1, round(BASE_CUSTOMERS * scale))
        base_created = np.sort(rng.integers(start - 365 * SECONDS_PER_DAY, start, n_base))
        yield from _customers(rng, seed, np.arange(1, n_base + 1), base_created).items()
        next_ids = _NextIds(customer=n_base + 1, order=ORDER_ID_BASE, line=1, work_order=1)
        for block_start in range(start, at + 1, BLOCK_DAYS * SECONDS_PER_DAY):
            block_end = min(block_start + BLOCK_DAYS * SECONDS_PER_DAY - 1, at)
            placed = _arrivals(
                rng, block_start, block_end, start_day, ORDERS_PER_YEAR / 365 * scale
            )
            batches, next_ids = _orders(rng, seed, placed, next_ids, list_prices, at)
            yield from batches
            started = _arrivals(
                rng, block_start, block_end, start_day, WORK_ORDERS_PER_YEAR / 365 * scale
            )
            yield "workorder", _work_orders(rng, seed, started, next_ids.work_order, at)
            next_ids = replace(next_ids, work_order=next_ids.work_order + len(started))

    state = {
        SIM_CLOCK_KEY: _moment(at).isoformat(),
        "seed": str(seed),
        "scale": repr(float(scale)),
        "history_start": _moment(start).date().isoformat(),
    }
    return state, rows()
