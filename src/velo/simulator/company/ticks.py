"""Advancing the company day by day (`velo sim tick`): each simulated day changes prices, moves
a few customers, progresses open orders, finishes work orders and adds new orders and work
orders, updating the operations database in place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa

from velo.errors import UsageError
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import datetimes, insert_batch, shown_url
from velo.simulator.clock import SIM_CLOCK_KEY
from velo.simulator.company.arrivals import _arrivals
from velo.simulator.company.columns import _street_lines
from velo.simulator.company.database import _open_company, _SimState, write_state
from velo.simulator.company.instants import SECONDS_PER_DAY, _moment, _seconds
from velo.simulator.company.orders import (
    ORDER_ID_BASE,
    ORDERS_PER_YEAR,
    _NextIds,
    _order_state,
    _orders,
)
from velo.simulator.company.prices import PriceHistory, _change_prices
from velo.simulator.company.randomness import TICK_STREAM
from velo.simulator.company.work_orders import (
    WORK_ORDERS_PER_YEAR,
    _work_order_end,
    _work_orders,
)

ADDRESS_MOVES_PER_DAY = 3.0  # at scale 1, in ticks


def tick(settings: Settings, *, days: int = 1) -> dict[str, int | str]:
    """Advance the business ``days`` days; returns the rows inserted and updated per table."""
    if days < 1:
        raise UsageError(f"--days must be at least 1 (got {days})")
    engine, state = _open_company(settings)
    counts: Counter[str] = Counter()
    try:
        if state.source is not None:  # ticking would invent rows in a real company's data
            raise UsageError(
                f"the operations DB at {shown_url(settings.ops_db_url)} holds real data loaded "
                f"from {state.source}; `velo sim tick` only advances the simulated company"
            )
        for _ in range(days):
            now = state.now + timedelta(days=1)
            with engine.begin() as conn:
                _simulate_day(conn, state, _seconds(state.now) + 1, _seconds(now), counts)
                write_state(conn, {SIM_CLOCK_KEY: now.isoformat()})
            state = replace(state, now=now)
    finally:
        engine.dispose()
    return {"days": days, "now": state.now.isoformat(), **dict(sorted(counts.items()))}


def _max_id(conn: sa.Connection, column: sa.Column) -> int:
    return conn.execute(sa.select(sa.func.max(column))).scalar_one() or 0


def _load_history(conn: sa.Connection, table: sa.Table, value_column: str) -> PriceHistory:
    rows: dict[int, list[list[Any]]] = {}
    query = sa.select(
        table.c.productid,
        table.c.startdate,
        table.c.enddate,
        table.c[value_column],
        table.c.modifieddate,
    ).order_by(table.c.productid, table.c.startdate)
    for pid, start, end, value, modified in conn.execute(query):
        rows.setdefault(pid, []).append(
            [
                _seconds(start),
                -1 if end is None else _seconds(end),
                float(value),
                _seconds(modified),
            ]
        )
    return PriceHistory(rows)


def _simulate_day(
    conn: sa.Connection, state: _SimState, first: int, at: int, counts: Counter[str]
) -> None:
    """One business day, from instant ``first`` to ``at``: price changes, new customers and
    orders, order progress, work orders."""
    # keyed by the day the window starts: a company's tick windows are 24 h apart, so one each
    rng = np.random.default_rng([state.seed, TICK_STREAM, first // SECONDS_PER_DAY])

    list_prices = _load_history(conn, schema.product_list_price_history, "listprice")
    costs = _load_history(conn, schema.product_cost_history, "standardcost")
    changed = _change_prices(rng, list_prices, costs, first, at)
    for history, table, column in (
        (list_prices, schema.product_list_price_history, "listprice"),
        (costs, schema.product_cost_history, "standardcost"),
    ):
        closed, started = history.changed_since(first)
        _update(
            conn,
            table,
            counts,
            [
                {
                    "b_productid": pid,
                    "b_startdate": _moment(start),
                    "enddate": _moment(end),
                    "modifieddate": _moment(end),
                }
                for pid, start, end in closed
            ],
            keys=("productid", "startdate"),
        )
        if started:
            pid, start, end, value, modified = (np.array(c) for c in zip(*started, strict=True))
            counts[f"{table.name} inserted"] += insert_batch(
                conn,
                table,
                {
                    "productid": pid,
                    "startdate": datetimes(start),
                    "enddate": datetimes(end),
                    column: value,
                    "modifieddate": datetimes(modified),
                },
            )
    _update(
        conn,
        schema.product,
        counts,
        [
            {
                "b_productid": pid,
                "listprice": Decimal(f"{list_prices.current(pid):.4f}"),
                "standardcost": Decimal(f"{costs.current(pid):.4f}"),
                "modifieddate": _moment(when),
            }
            for pid, when in sorted(changed.items())
        ],
        keys=("productid",),
    )

    next_ids = _NextIds(
        customer=_max_id(conn, schema.customer.c.customerid) + 1,
        order=max(_max_id(conn, schema.sales_order_header.c.salesorderid) + 1, ORDER_ID_BASE),
        line=_max_id(conn, schema.sales_order_detail.c.salesorderdetailid) + 1,
        work_order=_max_id(conn, schema.work_order.c.workorderid) + 1,
    )
    _progress_orders(conn, state.seed, first, at, counts)
    _finish_work_orders(conn, state.seed, at, counts)
    _move_customers(rng, conn, next_ids.customer - 1, state.scale, first, counts)

    placed = _arrivals(rng, first, at, state.start_day, ORDERS_PER_YEAR / 365 * state.scale)
    batches, _ = _orders(rng, state.seed, placed, next_ids, list_prices, at)
    for name, batch in batches:
        counts[f"{name} inserted"] += insert_batch(conn, schema.TABLES[name], batch)
    started = _arrivals(rng, first, at, state.start_day, WORK_ORDERS_PER_YEAR / 365 * state.scale)
    work = _work_orders(rng, state.seed, started, next_ids.work_order, at)
    counts["workorder inserted"] += insert_batch(conn, schema.work_order, work)


def _update(
    conn: sa.Connection,
    table: sa.Table,
    counts: Counter[str],
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
) -> None:
    """Update rows by primary key; each row dict holds b_<key> values and the new column values."""
    if not rows:
        return
    values = {name: sa.bindparam(name) for name in rows[0] if not name.startswith("b_")}
    where = [table.c[key] == sa.bindparam(f"b_{key}") for key in keys]
    conn.execute(table.update().where(*where).values(values), rows)
    counts[f"{table.name} updated"] += len(rows)


def _progress_orders(
    conn: sa.Connection, seed: int, first: int, at: int, counts: Counter[str]
) -> None:
    """Move open orders along their lifecycle to where they stand at the end of the day."""
    header = schema.sales_order_header
    open_orders = conn.execute(
        sa.select(header.c.salesorderid, header.c.orderdate, header.c.status)
        .where(schema.OPEN_ORDER, header.c.orderdate < _moment(first))
        .order_by(header.c.salesorderid)
    ).all()
    if not open_orders:
        return
    ids = np.array([row[0] for row in open_orders], dtype=np.int64)
    placed = np.array([_seconds(row[1]) for row in open_orders], dtype=np.int64)
    before = np.array([row[2] for row in open_orders])
    status, ship, changed, revision = _order_state(seed, ids, placed, at)
    moved = np.flatnonzero(status != before)
    _update(
        conn,
        header,
        counts,
        [
            {
                "b_salesorderid": int(ids[i]),
                "status": int(status[i]),
                "revisionnumber": int(revision[i]),
                "shipdate": _moment(ship[i]) if ship[i] >= 0 else None,
                "modifieddate": _moment(changed[i]),
            }
            for i in moved
        ],
        keys=("salesorderid",),
    )


def _finish_work_orders(conn: sa.Connection, seed: int, at: int, counts: Counter[str]) -> None:
    work = schema.work_order
    running = conn.execute(
        sa.select(work.c.workorderid, work.c.startdate)
        .where(schema.RUNNING_WORK_ORDER)
        .order_by(work.c.workorderid)
    ).all()
    if not running:
        return
    ids = np.array([row[0] for row in running], dtype=np.int64)
    end = _work_order_end(
        seed, ids, np.array([_seconds(row[1]) for row in running], dtype=np.int64)
    )
    _update(
        conn,
        work,
        counts,
        [
            {
                "b_workorderid": int(ids[i]),
                "enddate": _moment(end[i]),
                "modifieddate": _moment(end[i]),
            }
            for i in np.flatnonzero(end <= at)
        ],
        keys=("workorderid",),
    )


def _move_customers(
    rng: np.random.Generator,
    conn: sa.Connection,
    n_customers: int,
    scale: float,
    first: int,
    counts: Counter[str],
) -> None:
    """A few customers move house within their city: their address row changes."""
    n = min(rng.poisson(ADDRESS_MOVES_PER_DAY * scale), n_customers)
    ids = (
        np.sort(rng.choice(n_customers, n, replace=False) + 1) if n else np.zeros(0, dtype=np.int64)
    )
    lines = _street_lines(rng, n).to_pylist()
    when = np.sort(first + rng.integers(0, SECONDS_PER_DAY, n))
    _update(
        conn,
        schema.address,
        counts,
        [
            {
                "b_addressid": int(ids[i]),
                "addressline1": lines[i],
                "modifieddate": _moment(when[i]),
            }
            for i in range(n)
        ],
        keys=("addressid",),
    )
