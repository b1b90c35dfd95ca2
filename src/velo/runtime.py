"""What the entry points (the CLI and the Dagster resources) decide once per command or run.

- The platform clock: ``--as-of`` (the end of that day), else the ``clock`` setting, else the
  simulated company's clock when the operations DB holds one, else the wall clock.
- The simulated FX/news APIs: started in-process while the command runs when the settings still
  point at their simulated default URLs.

Both reach the rest of the platform as values in the settings (``clock``, ``clock_kind``, the
API URLs); ingest, functions, warehouse, serving and dashboard never read the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from velo.clock import FIXED, SIMULATED, WALL, end_of_day, wall_now
from velo.settings import Settings


def resolve_clock(settings: Settings, as_of: date | None = None) -> Settings:
    """The settings with the platform clock decided (a clock already set is kept)."""
    if as_of is not None:
        return settings.with_overrides(clock=end_of_day(as_of), clock_kind=FIXED)
    if settings.clock is not None:
        return settings
    from velo.simulator.clock import read_sim_clock

    simulated = read_sim_clock(settings.ops_db_url)
    if simulated is not None:
        return settings.with_overrides(clock=simulated, clock_kind=SIMULATED)
    return settings.with_overrides(clock=wall_now(), clock_kind=WALL)


@contextmanager
def platform(settings: Settings, as_of: date | None = None) -> Iterator[Settings]:
    """The settings with the clock resolved and, while the block runs, live simulated APIs
    answering up to that clock (when the URLs are the simulated defaults)."""
    from velo.simulator.apis import running_apis

    with running_apis(resolve_clock(settings, as_of)) as live:
        yield live
