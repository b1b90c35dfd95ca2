"""Product prices over time: the list-price and standard-cost histories (SCD2 rows), the random
price changes that extend them, and the product rows carrying the current prices.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from velo.simulator.bulk import datetimes
from velo.simulator.company.columns import Batch
from velo.simulator.company.instants import SECONDS_PER_DAY
from velo.simulator.company.reference import _products

PRICE_CHANGES_PER_DAY = 0.3  # list-price changes across the whole range; the same for costs


class PriceHistory:
    """One price of every product over time (list price or standard cost), as SCD2 rows.

    Rows are [start, end (-1 while current), value, modified] per product, in start order.
    """

    def __init__(self, rows: dict[int, list[list[Any]]]) -> None:
        self.rows = rows

    @classmethod
    def starting(cls, starts: np.ndarray, values: np.ndarray) -> PriceHistory:
        return cls(
            {
                pid: [[int(s), -1, float(v), int(s)]]
                for pid, (s, v) in enumerate(zip(starts, values, strict=True), 1)
            }
        )

    def current(self, product_id: int) -> float:
        return self.rows[product_id][-1][2]

    def last_start(self, product_id: int) -> int:
        return self.rows[product_id][-1][0]

    def change(self, product_id: int, at: int, value: float) -> None:
        last = self.rows[product_id][-1]
        last[1] = last[3] = at
        self.rows[product_id].append([at, -1, value, at])

    def changed_since(self, first: int) -> tuple[list[tuple[int, int, int]], list[list[Any]]]:
        """Rows closed since ``first`` that started before (pid, start, end), and rows started
        since ``first`` ([pid, start, end, value, modified])."""
        closed, started = [], []
        for pid, rows in self.rows.items():
            for start, end, value, modified in rows:
                if start >= first:
                    started.append([pid, start, end, value, modified])
                elif end >= first:
                    closed.append((pid, start, end))
        return closed, started

    def value_at(self, product_ids: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Each product's value in force at each time (vectorised lookup)."""
        pids, starts, values = [], [], []
        for pid in sorted(self.rows):
            for start, _, value, _ in self.rows[pid]:
                pids.append(pid)
                starts.append(start)
                values.append(value)
        span = np.int64(1 << 36)  # > any time in seconds we simulate
        keys = np.array(pids, dtype=np.int64) * span + np.array(starts, dtype=np.int64)
        found = np.searchsorted(keys, product_ids.astype(np.int64) * span + times, side="right") - 1
        return np.array(values)[found]

    def batch(self, value_column: str) -> Batch:
        flat = [(pid, *row) for pid in sorted(self.rows) for row in self.rows[pid]]
        pid, start, end, value, modified = (np.array(col) for col in zip(*flat, strict=True))
        return {
            "productid": pid,
            "startdate": datetimes(start),
            "enddate": datetimes(end),
            value_column: value,
            "modifieddate": datetimes(modified),
        }


def _next_list_price(old: float, factor: float) -> float:
    price = old * factor
    price = math.floor(price) + 0.99 if price >= 20 else round(price, 2)
    if abs(price - old) < 0.005:  # a change must change something
        price = old + (1.0 if old >= 20 else 0.1)
    return round(price, 2)


def _change_prices(
    rng: np.random.Generator, list_prices: PriceHistory, costs: PriceHistory, first: int, last: int
) -> dict[int, int]:
    """Random list-price and cost changes between two instants; returns product -> last change.

    A product without both a list-price and a cost history (possible in a database the simulator
    did not create) is left alone; the draws stay the same, so the other products' changes do too.
    """
    n_days = (last - first + 1) / SECONDS_PER_DAY
    n_list = rng.poisson(PRICE_CHANGES_PER_DAY * n_days)
    n = n_list + rng.poisson(PRICE_CHANGES_PER_DAY * n_days)
    times = rng.integers(first, last + 1, n)
    product_ids = rng.integers(1, len(_products()) + 1, n)
    factors = 1 + np.clip(rng.normal(0.03, 0.03, n), -0.08, 0.12)
    changed: dict[int, int] = {}
    for i in np.lexsort((product_ids, times)):
        pid, at, factor = int(product_ids[i]), int(times[i]), float(factors[i])
        if pid not in list_prices.rows or pid not in costs.rows:
            continue
        history = list_prices if i < n_list else costs
        if history.last_start(pid) >= at:  # two changes in the same second: keep the first
            continue
        if i < n_list:
            value = _next_list_price(list_prices.current(pid), factor)
        else:
            value = round(min(costs.current(pid) * factor, 0.95 * list_prices.current(pid)), 4)
        history.change(pid, at, value)
        changed[pid] = at
    return changed


def _product_batch(list_prices: PriceHistory, costs: PriceHistory, sell_start: np.ndarray) -> Batch:
    products = _products()
    ids = products.product_id
    modified = [max(list_prices.rows[pid][-1][0], costs.rows[pid][-1][0]) for pid in ids.tolist()]
    return {
        "productid": ids,
        "name": products.name,
        "productnumber": products.product_number,
        "color": products.color,
        "size": products.size,
        "productsubcategoryid": products.subcategory_id,
        "standardcost": np.array([costs.current(pid) for pid in ids.tolist()]),
        "listprice": np.array([list_prices.current(pid) for pid in ids.tolist()]),
        "sellstartdate": datetimes(sell_start),
        "sellenddate": datetimes(np.full(len(ids), -1)),
        "modifieddate": datetimes(np.array(modified)),
    }
