"""The platform's notion of 'now'.

Real deployments use the wall clock. The simulated company keeps its own clock (in the
operations DB's ``sim_state`` table, key ``now``) so that "last month", the FX API's latest rate
and the news of the last 24 h all agree with the simulated business. An explicit ``clock`` setting
(``VELO_CLOCK``) overrides both.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from velo.settings import Settings

SIM_CLOCK_KEY = "now"


def wall_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def read_sim_clock(ops_db_url: str) -> datetime | None:
    """The simulated company's clock, or None when there is no simulated company there."""
    from velo.simulator.schema import sim_state

    if ops_db_url.startswith("sqlite:///"):
        from pathlib import Path

        if not Path(ops_db_url.removeprefix("sqlite:///")).exists():
            return None
    engine = sa.create_engine(ops_db_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("sim_state"):
                return None
            value = conn.execute(
                sa.select(sim_state.c.value).where(sim_state.c.key == SIM_CLOCK_KEY)
            ).scalar_one_or_none()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    return datetime.fromisoformat(value) if value else None


def now(settings: Settings) -> datetime:
    """The configured clock, else the simulated company's clock, else the wall clock (UTC)."""
    if settings.clock is not None:
        return settings.clock
    return read_sim_clock(settings.ops_db_url) or wall_now()
