"""The operations database as the simulator keeps it: opening an initialised company with its
bookkeeping (``sim_state``: clock, seed, scale, history start, creation marker), writing that
bookkeeping, row counts, and the summary behind `velo sim summary`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from velo.errors import VeloError
from velo.ingest.contract import CREATION_MARKER_KEY
from velo.settings import Settings
from velo.simulator import schema
from velo.simulator.bulk import open_engine, shown_url, sqlite_path
from velo.simulator.clock import SIM_CLOCK_KEY
from velo.simulator.company.instants import _day_number

# sim_state key naming the real dataset a company was loaded from (absent when simulated)
SOURCE_KEY = "source"


def _missing(settings: Settings) -> VeloError:
    return VeloError(
        f"no operations database at {shown_url(settings.ops_db_url)}: run `velo sim init`"
    )


@dataclass(frozen=True)
class _SimState:
    seed: int
    scale: float
    start_day: int
    now: datetime
    source: str | None = None  # the dataset a real company's data was loaded from


def _open_company(settings: Settings) -> tuple[sa.Engine, _SimState]:
    """An engine on an initialised operations DB and the simulator's state, or a clear error."""
    path = sqlite_path(settings.ops_db_url)
    if path is not None and not path.exists():
        raise _missing(settings)
    engine = open_engine(settings.ops_db_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("sim_state"):
                raise _missing(settings)
            values = dict(
                conn.execute(sa.select(schema.sim_state.c.key, schema.sim_state.c.value)).all()
            )
    except sa.exc.OperationalError:
        engine.dispose()
        raise _missing(settings) from None
    except VeloError:
        engine.dispose()
        raise
    try:
        state = _SimState(
            seed=int(values["seed"]),
            scale=float(values["scale"]),
            start_day=_day_number(date.fromisoformat(values["history_start"])),
            now=datetime.fromisoformat(values[SIM_CLOCK_KEY]),
            source=values.get(SOURCE_KEY),
        )
    except (KeyError, ValueError):
        engine.dispose()
        raise VeloError(
            f"operations database at {shown_url(settings.ops_db_url)} has no valid simulator "
            "state: run `velo sim init`"
        ) from None
    return engine, state


def write_state(conn: sa.Connection, values: dict[str, str]) -> None:
    """Set these simulator bookkeeping values (``sim_state``), keeping the others."""
    table = schema.sim_state
    conn.execute(table.delete().where(table.c.key.in_(list(values))))
    conn.execute(table.insert(), [{"key": k, "value": v} for k, v in values.items()])


def creation_marker() -> dict[str, str]:
    """A new value for the creation marker: ingestion tells a re-created company from the old."""
    return {CREATION_MARKER_KEY: uuid.uuid4().hex}


def row_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per company table."""
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(schema.TABLES[name])).scalar_one()
        for name in schema.COMPANY_TABLES
    }


def company_summary(settings: Settings) -> dict[str, int | str]:
    """Row counts per table and the simulated clock, or a clear error when there is no company."""
    engine, state = _open_company(settings)
    try:
        with engine.connect() as conn:
            counts = row_counts(conn)
    finally:
        engine.dispose()
    return {
        "ops_db": shown_url(settings.ops_db_url),
        **counts,
        "now": state.now.isoformat(),
        "seed": state.seed,
    }
