"""Sales orders: their header, detail and sales-reason rows (with the new customers who place
them), and each order's lifecycle status as a pure function of (seed, order id, instant).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from velo.simulator import catalog
from velo.simulator.bulk import datetimes
from velo.simulator.company.columns import Batch
from velo.simulator.company.customers import _customers
from velo.simulator.company.instants import NEVER, SECONDS_PER_DAY
from velo.simulator.company.prices import PriceHistory
from velo.simulator.company.randomness import (
    H_BACKORDER,
    H_BACKORDER_AT,
    H_DECIDE,
    H_FINAL,
    H_OUTCOME,
    _hash_uniform,
    _is_store,
)
from velo.simulator.company.reference import _products

ORDER_ID_BASE = 43_659  # order numbers continue AdventureWorks' SO43659
ORDERS_PER_YEAR = 30_000  # at scale 1, averaged over the first year
NEW_CUSTOMER_SHARE = 0.5  # share of orders placed by a first-time customer
DISCOUNTS_BP = np.array([0, 200, 500, 1000, 1500])  # unit price discounts in basis points
STORE_DISCOUNT_P = (0.35, 0.20, 0.25, 0.15, 0.05)
INDIVIDUAL_DISCOUNT_P = (0.88, 0.03, 0.05, 0.03, 0.01)
TAX_PERCENT = 8
FREIGHT_PERMILLE = 25


def _order_state(
    seed: int, order_ids: np.ndarray, placed: np.ndarray, at: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Status, ship time (-1 if unshipped), last change and revision of orders at instant ``at``.

    Lifecycle: in_process -> approved (or rejected, 1 %) within 1-37 h -> backordered (6 %)
    -> shipped, or cancelled (1.5 %), within 2 weeks of the order.
    """
    outcome = _hash_uniform(seed, order_ids, H_OUTCOME)
    rejected = outcome < 0.01
    cancelled = (outcome >= 0.01) & (outcome < 0.025)
    hour = 3600
    decided = (
        placed + hour + (_hash_uniform(seed, order_ids, H_DECIDE) * 36 * hour).astype(np.int64)
    )
    backordered = ~rejected & (_hash_uniform(seed, order_ids, H_BACKORDER) < 0.06)
    delay = (_hash_uniform(seed, order_ids, H_BACKORDER_AT) * 12 * hour).astype(np.int64)
    backorder_at = np.where(backordered, decided + delay, NEVER)
    ready = np.where(backordered, backorder_at + 3 * SECONDS_PER_DAY, decided + SECONDS_PER_DAY)
    span = np.where(backordered, 7, 5) * SECONDS_PER_DAY
    final_at = ready + (_hash_uniform(seed, order_ids, H_FINAL) * span).astype(np.int64)
    final_at = np.where(rejected, NEVER, final_at)

    status = np.ones(len(order_ids), dtype=np.int64)
    changed = placed.copy()
    revision = np.ones(len(order_ids), dtype=np.int64)
    steps = (
        (decided, np.where(rejected, 4, 2)),
        (backorder_at, 3),
        (final_at, np.where(cancelled, 6, 5)),
    )
    for when, new_status in steps:
        hit = when <= at
        status = np.where(hit, new_status, status)
        changed = np.where(hit, when, changed)
        revision += hit
    ship = np.where(status == 5, final_at, -1)
    return status, ship, changed, revision


@dataclass(frozen=True)
class _NextIds:
    customer: int
    order: int
    line: int
    work_order: int


def _orders(
    rng: np.random.Generator,
    seed: int,
    placed: np.ndarray,
    next_ids: _NextIds,
    list_prices: PriceHistory,
    at: int,
) -> tuple[list[tuple[str, Batch]], _NextIds]:
    """Orders placed at the given instants (with their new customers), as of instant ``at``.

    Returns (table, batch) pairs in load order and the ids that follow the batch's.
    """
    n = len(placed)
    products = _products()
    order_id = next_ids.order + np.arange(n)
    existing = next_ids.customer - 1
    is_new = rng.random(n) < NEW_CUSTOMER_SHARE
    is_new |= existing + np.cumsum(is_new) - is_new == 0  # the very first order needs a customer
    new_before = np.cumsum(is_new) - is_new
    returning = 1 + (rng.random(n) * (existing + new_before)).astype(np.int64)
    customer_id = np.where(is_new, next_ids.customer + new_before, returning)
    store = _is_store(seed, customer_id)

    n_lines = np.where(store, 1 + rng.poisson(10.0, n), 1 + rng.poisson(2.5, n)).clip(max=60)
    line_order = np.repeat(np.arange(n), n_lines)
    m = len(line_order)
    line_store = store[line_order]
    product_id = products.product_id[rng.choice(len(products), m, p=products.line_weight)]
    qty = np.where(line_store, 1 + rng.poisson(3.0, m), 1 + rng.poisson(0.2, m))
    discount_bp = np.where(
        line_store,
        rng.choice(DISCOUNTS_BP, m, p=STORE_DISCOUNT_P),
        rng.choice(DISCOUNTS_BP, m, p=INDIVIDUAL_DISCOUNT_P),
    )
    # money in exact integer units of 1/10 000 (the columns' 4 decimals)
    unit = np.round(list_prices.value_at(product_id, placed[line_order]) * 10_000).astype(np.int64)
    line_total = (unit * qty * (10_000 - discount_bp) + 5_000) // 10_000
    first_line = np.cumsum(n_lines) - n_lines
    sub_total = np.add.reduceat(line_total, first_line) if n else np.zeros(0, dtype=np.int64)
    tax = (sub_total * TAX_PERCENT + 50) // 100
    freight = (sub_total * FREIGHT_PERMILLE + 500) // 1000

    reasons = len(catalog.SALES_REASONS)
    n_reasons = np.where(store, 0, rng.choice(3, n, p=(0.25, 0.55, 0.20)))
    reason1 = rng.choice(reasons, n, p=[r[3] for r in catalog.SALES_REASONS])
    reason2 = (reason1 + 1 + rng.integers(0, reasons - 1, n)) % reasons
    with_reason = np.concatenate([np.flatnonzero(n_reasons >= 1), np.flatnonzero(n_reasons == 2)])
    reason_id = np.concatenate([reason1[n_reasons >= 1], reason2[n_reasons == 2]]) + 1

    status, ship, changed, revision = _order_state(seed, order_id, placed, at)
    order_day = placed // SECONDS_PER_DAY * SECONDS_PER_DAY
    batches = list(_customers(rng, seed, customer_id[is_new], placed[is_new]).items())
    header = {
        "salesorderid": order_id,
        "revisionnumber": revision,
        "orderdate": datetimes(placed),
        "duedate": datetimes(order_day + 12 * SECONDS_PER_DAY),
        "shipdate": datetimes(ship),
        "status": status,
        "onlineorderflag": ~store,
        "customerid": customer_id,
        "billtoaddressid": customer_id,
        "shiptoaddressid": customer_id,
        "creditcardid": pa.array(customer_id, mask=store),  # shops pay on invoice
        "subtotal": sub_total / 10_000,
        "taxamt": tax / 10_000,
        "freight": freight / 10_000,
        "totaldue": (sub_total + tax + freight) / 10_000,
        "modifieddate": datetimes(changed),
    }
    detail = {
        "salesorderdetailid": next_ids.line + np.arange(m),
        "salesorderid": order_id[line_order],
        "orderqty": qty,
        "productid": product_id,
        "unitprice": unit / 10_000,
        "unitpricediscount": discount_bp / 10_000,
        "modifieddate": datetimes(placed[line_order]),
    }
    reason = {
        "salesorderid": order_id[with_reason],
        "salesreasonid": reason_id,
        "modifieddate": datetimes(placed[with_reason]),
    }
    batches += [
        ("salesorderheader", header),
        ("salesorderdetail", detail),
        ("salesorderheadersalesreason", reason),
    ]
    following = replace(
        next_ids,
        customer=next_ids.customer + int(is_new.sum()),
        order=next_ids.order + n,
        line=next_ids.line + m,
    )
    return batches, following
