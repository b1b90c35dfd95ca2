"""Reconcile raw with the operations DB: what a cursor cannot see, found by key and checksum.

The incremental load reads rows whose ``modified_date`` moved past the cursor. It cannot see a
row deleted in the source, a row changed without its ``modified_date`` bumped (an order set to
rejected by a script), a row inserted with an old ``modified_date``, or a row left out because
it was dated after the platform clock. This step compares, for every changing table, each
row's primary key and a checksum of its values in the operations DB with raw's, then repairs
raw: rows whose key is gone are deleted; rows missing or different are read again (through the
same dlt pipeline, merged by key, with a new ``_loaded_at`` so the incremental models
re-process them). dbt's facts drop keys that left raw (``delete_keys_gone_from``).

It reads every changing table in full on both sides: its cost (``velo bench reconcile``) is why
it runs once a day, after the operations load, rather than with every load.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from velo.clock import now
from velo.ingest.common import LOADED_AT
from velo.ingest.operations import (
    CURSOR_COLUMN,
    SOURCE_NAME,
    connect_ops_db,
    operations,
    primary_key,
    reflect_company_tables,
)
from velo.settings import Settings
from velo.simulator import schema

Key = tuple[Any, ...]  # a primary key as comparable() values
Row = tuple[int, Key]  # a row's checksum and its primary key as its side holds it


@dataclass
class TableRepair:
    deleted: int = 0  # keys gone from the source, removed from raw
    reread: int = 0  # rows missing from raw or different from the source, read again
    future_dated: int = 0  # rows modified after the platform clock (loaded here, not by cursor)


@dataclass
class RepairReport:
    tables: dict[str, TableRepair] = field(default_factory=dict)
    rows_compared: int = 0
    seconds: float = 0.0

    @property
    def repaired(self) -> bool:
        return any(t.deleted or t.reread for t in self.tables.values())

    def summary(self) -> str:
        parts = [
            f"{name}: {t.deleted} deleted, {t.reread} re-read"
            + (f" ({t.future_dated} dated after the platform clock)" if t.future_dated else "")
            for name, t in self.tables.items()
            if t.deleted or t.reread
        ]
        body = "; ".join(parts) if parts else "raw matches the operations DB"
        return f"reconciled {self.rows_compared:,} rows in {self.seconds:.1f} s: {body}"


def comparable(value: Any) -> Any:
    """One value as both sides hold it: numbers at the warehouse's 4 decimals, instants as naive
    UTC (raw may hold them with a time zone), booleans as 0/1 (SQLite has no boolean)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal | float):
        return round(float(value), 4)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def checksums(rows: Iterable[Sequence[Any]], key_width: int) -> dict[Key, Row]:
    """Comparable key -> (checksum of the row's comparable values, key as held); keys first."""
    return {
        tuple(comparable(k) for k in row[:key_width]): (
            hash(tuple(comparable(v) for v in row[key_width:])),
            tuple(row[:key_width]),
        )
        for row in rows
    }


def compared_columns(source: sa.Table, raw_columns: Iterable[str]) -> list[str]:
    """The source columns raw has too, primary key first (new source columns arrive by load)."""
    keys = primary_key(source.name)
    present = set(raw_columns)
    return keys + [c.name for c in source.columns if c.name in present and c.name not in keys]


def source_checksums(conn: sa.Connection, table: sa.Table, columns: list[str]) -> dict[Key, Row]:
    result = conn.execution_options(stream_results=True).execute(
        sa.select(*(table.c[name] for name in columns))
    )
    return checksums(result, len(primary_key(table.name)))


def raw_checksums(client: Any, table: str, columns: list[str]) -> dict[Key, Row]:
    qualified = client.make_qualified_table_name(table)
    rows = client.execute_sql(f"select {', '.join(columns)} from {qualified}")
    return checksums(rows, len(primary_key(table)))


def delete_from_raw(client: Any, table: str, keys: Sequence[tuple[Any, ...]]) -> None:
    """Delete raw's rows with these keys (as raw holds them), one statement per key: deletes
    in a source are rare, and bound parameters keep keys of any type exact."""
    qualified = client.make_qualified_table_name(table)
    match = " and ".join(f"{name} = %s" for name in primary_key(table))
    for key in keys:
        client.execute_sql(f"delete from {qualified} where {match}", *key)


def future_dated(conn: sa.Connection, table: sa.Table, clock: datetime) -> set[Key]:
    columns = [table.c[name] for name in primary_key(table.name)]
    rows = conn.execute(sa.select(*columns).where(table.c[CURSOR_COLUMN] > clock))
    return {tuple(comparable(v) for v in row) for row in rows}


def reconcile_raw(settings: Settings, loaded_at: datetime | None = None) -> RepairReport:
    """Compare every changing table of the operations DB with raw by key and checksum; repair."""
    from velo.ingest.runner import make_pipeline

    started = time.perf_counter()
    loaded_at = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    report = RepairReport()
    pipeline = make_pipeline(settings, SOURCE_NAME)
    if not pipeline.default_schema_name:
        return report  # nothing loaded yet: the first load reads everything
    raw_tables = pipeline.default_schema.tables
    engine = connect_ops_db(settings.ops_db_url)
    try:
        metadata = reflect_company_tables(engine, settings.ops_db_url)
        clock = now(settings)
        reread: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn, pipeline.sql_client() as client:
            for name in schema.CHANGING_TABLES:
                if name not in raw_tables:
                    continue
                table = metadata.tables[name]
                columns = compared_columns(table, set(raw_tables[name]["columns"]) - {LOADED_AT})
                source = source_checksums(conn, table, columns)
                try:
                    loaded = raw_checksums(client, name, columns)
                except DatabaseUndefinedRelation:
                    continue
                gone = [loaded[k][1] for k in loaded.keys() - source.keys()]
                stale = {k for k, row in source.items() if loaded.get(k, (None,))[0] != row[0]}
                report.rows_compared += len(source)
                report.tables[name] = TableRepair(
                    deleted=len(gone),
                    reread=len(stale),
                    future_dated=len(future_dated(conn, table, clock) & stale),
                )
                delete_from_raw(client, name, gone)
                if stale:
                    reread[name] = [source[k][1] for k in stale]
        if reread:
            pipeline.run(
                operations(engine, metadata, loaded_at, set(), repair_keys=reread)
            ).raise_on_failed_jobs()
    finally:
        engine.dispose()
    report.seconds = round(time.perf_counter() - started, 3)
    return report
