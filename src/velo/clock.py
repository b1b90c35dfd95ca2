"""The platform's notion of 'now', as a value.

An entry point (the CLI, the Dagster resources: :mod:`velo.runtime`) decides the clock once per
command or run and stores it in ``settings.clock`` with its kind in ``settings.clock_kind``:

- ``fixed``: the ``clock`` setting (``VELO_CLOCK``) or a ``--as-of`` date (end of that day);
- ``simulated``: the simulated company's clock (it runs ahead of the wall clock after
  ``velo sim tick``);
- ``wall``: the wall clock (UTC) when the command started.

Code below the entry points only calls :func:`now` and never reads the simulator.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from velo.settings import Settings

FIXED, SIMULATED, WALL = "fixed", "simulated", "wall"
# How answers, publish and the dashboard name each kind next to a time they show.
CLOCK_LABELS = {
    FIXED: "fixed clock",
    SIMULATED: "simulated time",
    WALL: "wall-clock time (UTC)",
}


def wall_now() -> datetime:
    return load_time().replace(microsecond=0)


def load_time() -> datetime:
    """The instant a load stamps on the rows it writes (``_loaded_at``): the wall clock in naive
    UTC, to the microsecond, so two loads never share a stamp."""
    return datetime.now(UTC).replace(tzinfo=None)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


def now(settings: Settings) -> datetime:
    """The clock an entry point resolved, else (a caller that resolved none) the wall clock."""
    return settings.clock if settings.clock is not None else wall_now()


def clock_label(settings: Settings) -> str:
    return CLOCK_LABELS[settings.clock_kind]
