"""The simulated operations database of Velo Cycles (`velo sim init`, `sim tick`, `summary`).

Everything is generated column-wise with numpy and bulk-loaded (see :mod:`velo.simulator.bulk`).

Determinism:
- ``init_company`` draws from one generator seeded by (seed, history window, scale).
- ``tick`` draws each simulated day from a generator seeded by (seed, day), so a day's rows do not
  depend on how the days were batched into ticks.
- Facts about an entity that later ticks must recompute without storing them (when an order will
  be approved/shipped, when a work order will finish, whether a customer is a store) are hashes of
  (seed, entity id): an order's status at any instant is a pure function, so ``init`` can state it
  as of the end of history and ``tick`` can replay the changes day by day.

Ids are contiguous from 1 and aligned: customer k has person k, address k and credit card k, and
store customers also store k. The simulator's bookkeeping (clock, seed, scale, history start) lives
in ``sim_state``; the next ids are the current maxima plus one.

The public API is re-exported here. Where things live: ``history`` (`sim init`), ``ticks``
(`sim tick`) and ``database`` (opening a company, ``sim_state``, `sim summary`) drive the
generators ``customers``, ``prices``, ``arrivals``, ``orders`` and ``work_orders``, which build
on ``reference`` (catalog data), ``columns`` (column batches, random text), ``randomness``
(seed streams, per-entity hashes) and ``instants`` (time in unix seconds).
"""

from velo.simulator.company.database import (
    SOURCE_KEY,
    company_summary,
    creation_marker,
    row_counts,
    write_state,
)
from velo.simulator.company.history import init_company
from velo.simulator.company.ticks import tick

__all__ = [
    "SOURCE_KEY",
    "company_summary",
    "creation_marker",
    "init_company",
    "row_counts",
    "tick",
    "write_state",
]
