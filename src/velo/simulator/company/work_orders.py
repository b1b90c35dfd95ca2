"""Manufacturing work orders for bikes and components, and when each one finishes (a hash of
(seed, work order id), so ticks can finish it without storing the time).
"""

from __future__ import annotations

import numpy as np

from velo.simulator.bulk import datetimes
from velo.simulator.company.columns import Batch
from velo.simulator.company.instants import SECONDS_PER_DAY
from velo.simulator.company.randomness import H_WORK_END, _hash_uniform
from velo.simulator.company.reference import _products

WORK_ORDERS_PER_YEAR = 70_000


def _work_order_end(seed: int, ids: np.ndarray, started: np.ndarray) -> np.ndarray:
    duration = (1 + _hash_uniform(seed, ids, H_WORK_END) * 9) * SECONDS_PER_DAY
    return started + duration.astype(np.int64)


def _work_orders(
    rng: np.random.Generator, seed: int, started: np.ndarray, first_id: int, at: int
) -> Batch:
    """Manufacturing orders for bikes and components started at the given instants."""
    n = len(started)
    products = _products()
    ids = first_id + np.arange(n)
    index = rng.choice(len(products), n, p=products.work_weight)
    bike = products.category_id[index] == 1
    qty = np.where(bike, 1 + rng.poisson(6.0, n), 10 + rng.poisson(40.0, n))
    scrapped = np.where(rng.random(n) < 0.03, rng.integers(1, 4, n), 0).clip(max=qty)
    end = _work_order_end(seed, ids, started)
    ended = end <= at
    return {
        "workorderid": ids,
        "productid": products.product_id[index],
        "orderqty": qty,
        "scrappedqty": scrapped,
        "startdate": datetimes(started),
        "enddate": datetimes(np.where(ended, end, -1)),
        "duedate": datetimes(started // SECONDS_PER_DAY * SECONDS_PER_DAY + 14 * SECONDS_PER_DAY),
        "modifieddate": datetimes(np.where(ended, end, started)),
    }
