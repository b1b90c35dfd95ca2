"""Which operations database raw was loaded from: a fingerprint kept under ``state_dir``.

The fingerprint is the database's address (URL without credentials), the creation marker a
database may carry (the simulator writes one each time it creates a company: ``sim_state`` key
``created``), and the orders table's first key. When ops_db_url
points at another database, or the same address holds a re-created company, the fingerprint
differs and ingestion reloads every table in full: raw never mixes two companies. Nothing in
the fingerprint may change with ordinary updates (a cursor value would: the oldest order's
status changes), or an incremental load would turn into a full reload.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from velo.ingest.contract import (
    CREATION_MARKER_KEY,
    CREATION_MARKER_TABLE,
    IDENTITY_TABLE,
    SourceTable,
)
from velo.settings import Settings
from velo.state_files import write_json_atomically
from velo.warehouse.rebuild import request_rebuild

IDENTITY_FILE = "operations_source.json"


@dataclass(frozen=True)
class SourceIdentity:
    database: str
    created: str | None
    first_order: str | None

    def differs_from_last_load(self, settings: Settings) -> bool:
        """True unless raw was last loaded from this very database (unknown counts as other).

        When raw was loaded from another known database, the warehouse built from it is asked
        to rebuild from scratch (:mod:`velo.warehouse.rebuild`) before raw is replaced: asked
        first, a build after a failed reload still starts over. With no record there was
        nothing built from another company (a first load), so no rebuild is asked for."""
        last = last_loaded(settings)
        if last is not None and last != self:
            request_rebuild(settings, self.change_from(last))
        return last != self

    def change_from(self, last: SourceIdentity) -> str:
        if last.database != self.database:
            return f"{last.database} -> {self.database}"
        return f"{self.database} holds a re-created company"

    def remember(self, settings: Settings) -> None:
        """Record this database as raw's source (written atomically, after a successful load)."""
        write_json_atomically(identity_path(settings), asdict(self))


def identity_path(settings: Settings) -> Path:
    return settings.state_dir / IDENTITY_FILE


def last_loaded(settings: Settings) -> SourceIdentity | None:
    path = identity_path(settings)
    try:
        return SourceIdentity(**json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None  # never loaded, or unreadable: reload in full to be safe


def database_address(url: str) -> str:
    """The database a URL names, without credentials (a changed password is the same database)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:{Path(parsed.database or '').resolve()}"
    return f"{parsed.get_backend_name()}://{parsed.host}:{parsed.port or ''}/{parsed.database}"


def read_identity(engine: sa.Engine, url: str, contract: tuple[SourceTable, ...]) -> SourceIdentity:
    with engine.connect() as conn:
        return SourceIdentity(
            database=database_address(url),
            created=_creation_marker(conn),
            first_order=_first_row(conn, contract),
        )


def _creation_marker(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table(CREATION_MARKER_TABLE):
        return None
    marker = sa.table(CREATION_MARKER_TABLE, sa.column("key"), sa.column("value"))
    return conn.execute(
        sa.select(marker.c.value).where(marker.c.key == CREATION_MARKER_KEY)
    ).scalar_one_or_none()


def _first_row(conn: sa.Connection, contract: tuple[SourceTable, ...]) -> str | None:
    """The orders table's smallest key, when the contract reads that table."""
    orders = next((t for t in contract if t.name == IDENTITY_TABLE), None)
    if orders is None or not orders.primary_key:
        return None
    table = sa.table(orders.name, sa.column(orders.primary_key[0]))
    table.schema = orders.schema
    first = conn.execute(sa.select(sa.func.min(table.c[orders.primary_key[0]]))).scalar()
    return None if first is None else str(first)
