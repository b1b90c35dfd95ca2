"""The simulated company's clock: the one place that reads it from the operations DB.

The simulator keeps its "now" in ``sim_state`` (key ``now``); ``velo sim init`` sets it, each
``velo sim tick`` day moves it on. Only the entry points (:mod:`velo.runtime`) and the simulated
APIs read it; the rest of the platform receives the resolved clock as a value.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from velo.simulator.bulk import sqlite_path
from velo.simulator.schema import sim_state

SIM_CLOCK_KEY = "now"
# How long a long-lived simulated API server (`velo sim serve`) trusts its last read of the
# simulated clock: a tick in another process shows within this many seconds.
SIM_CLOCK_REFRESH_SECONDS = 5.0


def read_sim_clock(ops_db_url: str) -> datetime | None:
    """The simulated company's clock, or None when there is no simulated company there."""
    path = sqlite_path(ops_db_url)
    if path is not None and not path.exists():
        return None  # connecting would create an empty file
    engine = sa.create_engine(ops_db_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(sim_state.name):
                return None
            value = conn.execute(
                sa.select(sim_state.c.value).where(sim_state.c.key == SIM_CLOCK_KEY)
            ).scalar_one_or_none()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    return datetime.fromisoformat(value) if value else None


def following_sim_clock(
    ops_db_url: str, otherwise: Callable[[], datetime]
) -> Callable[[], datetime]:
    """A 'now' that follows the simulated clock (re-read at most every few seconds), or
    ``otherwise()`` while there is no simulated company."""
    last_read = -SIM_CLOCK_REFRESH_SECONDS
    cached: datetime | None = None

    def now() -> datetime:
        nonlocal last_read, cached
        if time.monotonic() - last_read >= SIM_CLOCK_REFRESH_SECONDS:
            cached, last_read = read_sim_clock(ops_db_url), time.monotonic()
        return cached or otherwise()

    return now
