"""Deterministic randomness: the streams that seed the generators of ``init`` and ``tick``, and
per-entity facts hashed from (seed, entity id, stream) so later ticks can recompute them without
storing them (see the package docstring).
"""

from __future__ import annotations

import numpy as np

INIT_STREAM, TICK_STREAM = 1, 2
# hash streams: independent per-entity facts
H_OUTCOME, H_DECIDE, H_BACKORDER, H_BACKORDER_AT, H_FINAL, H_STORE, H_WORK_END = range(7)
STORE_SHARE = 0.04  # share of customers that are bike shops (larger orders, volume discounts)


_MASK64 = (1 << 64) - 1


def _hash_uniform(seed: int, ids: np.ndarray, stream: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, id, stream) (splitmix64 finaliser)."""
    salt = np.uint64((seed * 0x100000001B3 + (stream + 1) * 0xBF58476D1CE4E5B9) & _MASK64)
    with np.errstate(over="ignore"):
        x = np.asarray(ids).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _is_store(seed: int, customer_ids: np.ndarray) -> np.ndarray:
    return _hash_uniform(seed, customer_ids, H_STORE) < STORE_SHARE
